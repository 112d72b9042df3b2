"""Local Airflow: the `.venv-airflow` virtualenv (offline, reproducible), a throwaway AIRFLOW_HOME, `airflow dags test`.

    python -m localtwin.airflow setup                  # create or refresh .venv-airflow; prints its python
    python -m localtwin.airflow dags-test DAG_ID [--conf JSON] [--env KEY=VALUE ...]

Airflow lives in its own venv, apart from dbt and the CDK, as on MWAA. The DAG files are the repository's
`dags/` folder, unchanged; every endpoint, bucket and name they need comes from the KEYSTONE_* variables given
here (see dags/keystone_dags/settings.py), so the same files run against the local engines and on MWAA.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
VENV = REPO_ROOT / ".venv-airflow"
REQUIREMENTS = REPO_ROOT / "requirements-airflow.txt"
DAGS_FOLDER = REPO_ROOT / "dags"
# MWAA runs 3.0.6 on Python 3.12; 3.11 is the interpreter every machine of this project has (pyenv's 3.12 is not
# on PATH), and Airflow 3.0.6 supports both.
PYTHON_VERSION = "3.11"
# Airflow 3.0.6 was released on 2025-09-04: resolving its dependencies as of that day gives the libraries it was
# tested with. Anything newer (a plain `pip install`) breaks `airflow dags test` with a 422 from the task API.
EXCLUDE_NEWER = "2025-09-05"
# Packages released after that day that we pin on purpose, each with its own cutoff (its release day + 1).
EXCLUDE_NEWER_PACKAGES = {"astronomer-cosmos": "2026-08-05"}
_STAMP = ".keystone-installed"


class AirflowSetupError(RuntimeError):
    """The Airflow venv could not be created or an Airflow command failed; the message says what and where."""


def uv_binary() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not Path(found).is_file():
        raise AirflowSetupError("uv is not installed: run `make install` (or `python3 -m pip install --user uv`)")
    return found


def _install_command(python: Path) -> list[str]:
    command = [uv_binary(), "pip", "install", "--quiet", "--python", str(python), "--compile-bytecode"]
    command += ["--exclude-newer", EXCLUDE_NEWER]
    for package, cutoff in sorted(EXCLUDE_NEWER_PACKAGES.items()):
        command += ["--exclude-newer-package", f"{package}={cutoff}"]
    return [*command, "-r", str(REQUIREMENTS)]


def _stamp_value(python: Path) -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(json.dumps(_install_command(python)[4:]).encode())
    return digest.hexdigest()


def venv_python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def ensure_venv(venv: Path = VENV) -> Path:
    """Create or refresh the Airflow venv when requirements-airflow.txt changed; returns its python."""
    python = venv_python(venv)
    stamp = venv / _STAMP
    if python.is_file() and stamp.is_file() and stamp.read_text().strip() == _stamp_value(python):
        return python
    uv = uv_binary()
    _run([uv, "venv", "--quiet", "--allow-existing", "--python", PYTHON_VERSION, str(venv)], "create the Airflow venv")
    _run(_install_command(python), f"install {REQUIREMENTS.name} into {venv}")
    stamp.write_text(_stamp_value(python) + "\n")
    return python


def _run(command: Sequence[str], what: str) -> None:
    result = subprocess.run(list(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise AirflowSetupError(f"could not {what} (`{' '.join(command)}` exited {result.returncode}):\n{tail}")


@dataclass
class AirflowHome:
    """A throwaway AIRFLOW_HOME (sqlite metadata DB) whose commands run in the Airflow venv.

    `settings` are the KEYSTONE_* variables the DAGs read; `s3_endpoint` also becomes the `aws_default`
    connection's `endpoint_url`, which is how the Amazon provider reaches the local S3 server.
    """

    path: Path
    settings: Mapping[str, str] = field(default_factory=dict)
    s3_endpoint: str | None = None
    aws_environment: Mapping[str, str] = field(default_factory=dict)
    python: Path = field(default_factory=venv_python)
    dags_folder: Path = DAGS_FOLDER

    def environment(self) -> dict[str, str]:
        # The parent's own Airflow and KEYSTONE_ settings must not leak into a run meant to be self-contained.
        inherited = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KEYSTONE_"))}
        env = {
            **inherited,
            **self.aws_environment,
            "AIRFLOW_HOME": str(self.path),
            "AIRFLOW__CORE__DAGS_FOLDER": str(self.dags_folder),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{self.path / 'airflow.db'}",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(self.path / "logs"),
            # The repository root holds contracts/ and quality/ (on MWAA they are deployed inside the DAGs folder).
            # Airflow 3 puts the DAG bundle on sys.path in its DAG processor and task runner, not in `dags test`.
            "PYTHONPATH": os.pathsep.join([str(self.dags_folder), str(REPO_ROOT)]),
            "GX_ANALYTICS_ENABLED": "false",
            "KEYSTONE_RUNTIME": "local",
            **dict(self.settings),
        }
        if self.s3_endpoint:
            extra = {"endpoint_url": self.s3_endpoint, "region_name": self.aws_environment.get("AWS_REGION", "")}
            env["AIRFLOW_CONN_AWS_DEFAULT"] = json.dumps({"conn_type": "aws", "extra": extra})
            env.setdefault("KEYSTONE_S3_ENDPOINT", self.s3_endpoint)
        return env

    def airflow(self, *args: str, timeout_s: float = 600.0) -> subprocess.CompletedProcess[str]:
        """Run `airflow <args>` in the venv; the result is returned whatever the exit code."""
        command = [str(self.python), "-m", "airflow", *args]
        return subprocess.run(
            command, capture_output=True, text=True, env=self.environment(), timeout=timeout_s, check=False
        )

    def python_script(self, script: str, timeout_s: float = 300.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.python), "-c", script],
            capture_output=True,
            text=True,
            env=self.environment(),
            timeout=timeout_s,
            check=False,
        )

    def migrate(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        result = self.airflow("db", "migrate")
        if result.returncode != 0:
            raise AirflowSetupError(f"`airflow db migrate` failed in {self.path}:\n{_tail(result)}")

    def dags_test(
        self, dag_id: str, conf: Mapping[str, object] | None = None, timeout_s: float = 900.0
    ) -> subprocess.CompletedProcess[str]:
        """`airflow dags test DAG_ID` (one run, tasks in this process); check `returncode` and the output."""
        args = ["dags", "test", dag_id]
        if conf:
            args += ["--conf", json.dumps(conf)]
        return self.airflow(*args, timeout_s=timeout_s)


@dataclass(frozen=True)
class LocalTwinSettings:
    """The KEYSTONE_* settings of the DAGs on the local twin (their MWAA twins are Airflow config options)."""

    landing_bucket: str
    bronze_bucket: str
    # The run folder: Data Docs and orchestration state are written under it.
    artifacts_dir: Path
    warehouse: Path
    duckdb_extension_dir: Path
    dbt_manifest: Path
    s3_endpoint: str | None = None
    dbt_project_dir: Path = REPO_ROOT / "dbt_project"
    kafka_bootstrap_servers: str | None = None
    replay_input_dir: Path | None = None
    topic_suffix: str = ""
    project_python: Path = REPO_ROOT / ".venv" / "bin" / "python"
    task_retries: int = 0

    def environment(self) -> dict[str, str]:
        from dbt_project.scripts.local_target import LocalTarget

        # dbt's local target: Bronze on the S3 server, DuckDB at an absolute path (Cosmos runs each dbt task
        # in a temporary copy of the project), httpfs from the wheel.
        dbt_env = LocalTarget(
            f"s3://{self.bronze_bucket}", self.warehouse, self.duckdb_extension_dir, self.s3_endpoint
        ).environment()
        env = {
            **dbt_env,
            "KEYSTONE_RUNTIME": "local",
            "KEYSTONE_LANDING_BUCKET": self.landing_bucket,
            "KEYSTONE_BRONZE_BUCKET": self.bronze_bucket,
            "KEYSTONE_ARTIFACTS_URI": str(self.artifacts_dir.resolve()),
            "KEYSTONE_PROJECT_PYTHON": str(self.project_python),
            "KEYSTONE_TASK_RETRIES": str(self.task_retries),
            "KEYSTONE_DBT_PROJECT_DIR": str(self.dbt_project_dir),
            "KEYSTONE_DBT_MANIFEST": str(self.dbt_manifest),
            "KEYSTONE_DBT_EXECUTABLE": str(self.project_python.parent / "dbt"),
            "KEYSTONE_DBT_THREADS": "1",
        }
        if self.kafka_bootstrap_servers:
            env["KEYSTONE_KAFKA_BOOTSTRAP_SERVERS"] = self.kafka_bootstrap_servers
        if self.replay_input_dir:
            env["KEYSTONE_REPLAY_INPUT_DIR"] = str(self.replay_input_dir)
        if self.topic_suffix:
            env["KEYSTONE_TOPIC_SUFFIX"] = self.topic_suffix
        return env


def dbt_parse(
    project_dir: Path, target_dir: Path, project_python: Path = REPO_ROOT / ".venv" / "bin" / "python"
) -> Path:
    """`dbt parse` into `target_dir`: the manifest Cosmos renders the DAG from (no dbt runs when the DAG is parsed)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KEYSTONE_")},
        # Parsing reads profiles.yml, whose local target needs these set; nothing is opened.
        "KEYSTONE_DUCKDB_PATH": str(target_dir / "parse.duckdb"),
        "KEYSTONE_DUCKDB_EXTENSION_DIR": str(target_dir),
        "KEYSTONE_DBT_TARGET": "local",
    }
    command = [
        str(project_python.parent / "dbt"), "parse", "--project-dir", str(project_dir), "--profiles-dir",
        str(project_dir), "--target-path", str(target_dir), "--log-path", str(target_dir / "logs"), "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=300)
    if result.returncode != 0:
        raise AirflowSetupError(f"`dbt parse` of {project_dir} failed:\n{_tail(result)}")
    return target_dir / "manifest.json"


def _tail(result: subprocess.CompletedProcess[str], lines: int = 60) -> str:
    return "\n".join((result.stdout + result.stderr).splitlines()[-lines:])


_RUN_FINISHED = re.compile(r"DagRun Finished: dag_id=(?P<dag>[^,]+),.*?, state=(?P<state>\w+)")


def dag_run_state(result: subprocess.CompletedProcess[str]) -> str | None:
    """The final state `airflow dags test` logged for its run (`success`, `failed`), None if it never finished."""
    found = _RUN_FINISHED.findall(result.stdout + result.stderr)
    return found[-1][1] if found else None


def dag_run_failed(result: subprocess.CompletedProcess[str]) -> bool:
    """`airflow dags test` 3.0.6 can exit 0 although the run failed: the DagRun's final state decides."""
    return result.returncode != 0 or dag_run_state(result) != "success"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localtwin.airflow", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("setup", help="create or refresh .venv-airflow (offline-reproducible, see EXCLUDE_NEWER)")
    test = commands.add_parser("dags-test", help="airflow dags test in a throwaway AIRFLOW_HOME")
    test.add_argument("dag_id")
    test.add_argument("--conf", default=None, help="DAG run conf as JSON (DAG params)")
    test.add_argument("--env", action="append", default=[], metavar="KEY=VALUE", help="KEYSTONE_* setting")
    test.add_argument("--s3-endpoint", help="local S3 server endpoint, e.g. http://127.0.0.1:PORT")
    args = parser.parse_args(argv)
    conf = None
    if args.command == "dags-test":
        malformed = [item for item in args.env if "=" not in item]
        if malformed:
            parser.error(f"--env takes KEY=VALUE, got {', '.join(map(repr, malformed))}")
        try:
            conf = json.loads(args.conf) if args.conf else None
        except json.JSONDecodeError as error:
            parser.error(f"--conf is not valid JSON ({error}): {args.conf!r}")
    try:
        python = ensure_venv()
        if args.command == "setup":
            print(python)
            return 0
        settings = dict(item.split("=", 1) for item in args.env)
        with tempfile.TemporaryDirectory(prefix="airflow-home-") as home:
            airflow = AirflowHome(Path(home), settings=settings, s3_endpoint=args.s3_endpoint)
            airflow.migrate()
            result = airflow.dags_test(args.dag_id, conf)
        print(result.stdout, end="")
        print(result.stderr, end="", file=sys.stderr)
        return 1 if dag_run_failed(result) else 0
    except AirflowSetupError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
