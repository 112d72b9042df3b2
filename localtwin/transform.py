"""The transform stage of the local run: `dbt build` of the project on DuckDB (reading Bronze from S3), or on
Athena's engine, the twin's Trino (`TrinoTarget`: Bronze through the Catalog stack's Glue tables)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from dbt_project.scripts.local_target import LocalTarget

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = REPO_ROOT / "dbt_project"
EXTENSION_DIR = REPO_ROOT / ".cache" / "duckdb_extensions"


class DbtFailed(RuntimeError):
    """dbt build ended with errors or failing tests; the message names them."""


class DbtTarget(Protocol):
    name: ClassVar[str]  # the output in dbt_project/profiles.yml
    selector: ClassVar[str | None]  # what a full build selects there (dbt_project/selectors.yml); None: everything

    def environment(self) -> dict[str, str]: ...


@dataclass(frozen=True)
class TrinoTarget:
    """The `trino` output: the twin's Trino on `port`, Silver and Gold in the Catalog stack's Glue databases."""

    name: ClassVar[str] = "trino"
    selector: ClassVar[str | None] = "athena"
    port: int
    databases: Mapping[str, str]  # layer (bronze, silver, gold) -> Glue database

    def environment(self) -> dict[str, str]:
        layers = {f"KEYSTONE_{layer.upper()}_DATABASE": database for layer, database in self.databases.items()}
        return {"KEYSTONE_DBT_TARGET": self.name, "KEYSTONE_TRINO_PORT": str(self.port), **layers}


def duckdb_target(warehouse: Path, bronze_root: str, aws_environment: Mapping[str, str]) -> LocalTarget:
    """The `local` output: the DuckDB file `warehouse`, Bronze under `bronze_root` on the twin's S3 server."""
    return LocalTarget(
        bronze_root=bronze_root,
        duckdb_path=warehouse,
        extension_dir=EXTENSION_DIR,
        s3_endpoint=aws_environment.get("AWS_ENDPOINT_URL_S3"),
    )


@dataclass(frozen=True)
class DbtResult:
    statuses: Counter[str]  # e.g. {"success": 40, "pass": 120, "warn": 3}
    warnings: list[str]
    log: Path

    def outcome(self) -> str:
        """`23 built, 119 passed, 1 warned`."""
        words = {"success": "built", "pass": "passed", "warn": "warned", "skipped": "skipped", "no-op": "no-op"}
        counts = [f"{self.statuses[status]} {word}" for status, word in words.items() if self.statuses[status]]
        counts += [f"{n} {status}" for status, n in sorted(self.statuses.items()) if status not in words]
        return ", ".join(counts) or "nothing to do"

    def render(self) -> str:
        """One line: `dbt build: 23 built, 119 passed, 1 warned (report.md lists the warnings)`."""
        note = " (report.md lists the warnings)" if self.warnings else ""
        return f"dbt build: {self.outcome()}{note}"


class DbtSession:
    """One warm dbt process (localtwin/dbt_worker.py) for a run's repeated builds on one target: the project is
    parsed once, each build then costs what it builds. A context manager; `dbt_build(..., session=)` uses it."""

    def __init__(self, run_dir: Path, target: DbtTarget, aws_environment: Mapping[str, str]) -> None:
        self.log = run_dir / "dbt-session.log"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "localtwin.dbt_worker", str(self.log), *_dbt_options(run_dir, target)],
            env=_dbt_environment(target, aws_environment),
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        if not self._reply().get("parsed"):
            self.close()
            raise DbtFailed(f"dbt could not parse the project; see {self.log}:\n{_tail(self.log)}")

    def invoke(self, *args: str) -> int:
        """`dbt <args>` in the warm process; the exit code the CLI would give."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(args) + "\n")
        self.process.stdin.flush()
        return int(self._reply()["exit"])

    def _reply(self) -> dict[str, object]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait()
            raise DbtFailed(f"the dbt process ended (exit {code}); see {self.log}:\n{_tail(self.log)}")
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait()

    def __enter__(self) -> DbtSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def dbt_build(
    run_dir: Path,
    target: DbtTarget,
    aws_environment: Mapping[str, str],
    selector: str | None = None,
    session: DbtSession | None = None,
) -> DbtResult:
    """Build and test every model; warnings (known orphans) are reported, errors and failures raise.

    `selector` (a name in dbt_project/selectors.yml) builds only its nodes, e.g. `micro_batch`; by default the
    target's own (`DbtTarget.selector`). With a `session` (on the same run_dir and target) it builds in that warm
    process, else in a `dbt` process of its own.
    """
    target_path = run_dir / "dbt" / "target"
    arguments = ["build"]
    if selector or target.selector:
        arguments += ["--selector", selector or target.selector]
    if session is None:
        log = run_dir / "dbt.log"
        command = [_dbt_executable(), *arguments, *_dbt_options(run_dir, target)]
        exit_code = _run(command, log, _dbt_environment(target, aws_environment)).returncode
    else:
        log, exit_code = session.log, session.invoke(*arguments)
    results = json.loads((target_path / "run_results.json").read_text()) if exit_code in (0, 1) else None
    if results is None:
        raise DbtFailed(f"dbt could not run (exit {exit_code}); see {log}:\n{_tail(log)}")
    statuses = Counter(result["status"] for result in results["results"])
    problems = [
        f"{result['unique_id']}: {result['status']}: {(result.get('message') or '').strip()}"
        for result in results["results"]
        if result["status"] in ("error", "fail", "runtime error")
    ]
    if exit_code != 0 or problems:
        raise DbtFailed("dbt build failed:\n  " + "\n  ".join(problems or [f"exit {exit_code}, see {log}"]))
    warnings = [
        f"{result['unique_id']}: {(result.get('message') or '').strip()}"
        for result in results["results"]
        if result["status"] == "warn"
    ]
    return DbtResult(statuses, warnings, log)


def dbt_docs(run_dir: Path, target: DbtTarget, aws_environment: Mapping[str, str]) -> Path:
    """`dbt docs generate --static` of the built warehouse: one self-contained page (lineage, models, columns,
    tests) at `<run>/lineage.html`, readable offline."""
    log = run_dir / "dbt-docs.log"
    command = [_dbt_executable(), "docs", "generate", "--static", *_dbt_options(run_dir, target)]
    completed = _run(command, log, _dbt_environment(target, aws_environment))
    page = run_dir / "dbt" / "target" / "static_index.html"
    if completed.returncode != 0 or not page.is_file():
        raise DbtFailed(f"dbt docs generate failed (exit {completed.returncode}); see {log}:\n{_tail(log)}")
    return page.replace(run_dir / "lineage.html")


def _dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def _dbt_options(run_dir: Path, target: DbtTarget) -> list[str]:
    """The flags every dbt command of a run shares."""
    return [
        "--project-dir", str(DBT_PROJECT),
        "--profiles-dir", str(DBT_PROJECT),
        "--target", target.name,
        "--target-path", str(run_dir / "dbt" / "target"),
        "--log-path", str(run_dir / "dbt" / "logs"),
    ]  # fmt: skip


def _dbt_environment(target: DbtTarget, aws_environment: Mapping[str, str]) -> dict[str, str]:
    return {**os.environ, **aws_environment, **target.environment()}


def _run(command: list[str], log: Path, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    with log.open("w") as output:
        return subprocess.run(command, env=env, stdout=output, stderr=subprocess.STDOUT, cwd=REPO_ROOT)


def _tail(path: Path, lines: int = 30) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
