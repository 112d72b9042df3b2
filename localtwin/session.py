"""The engines `make up` leaves running for exploration, and `make down`, which stops exactly those.

`make up` (`python -m localtwin --keep`) records its engine processes in `.runs/up.json` as soon as they have
started, so `make down` (`python -m localtwin.session down`) finds them after a finished run and after a crash
alike. A process is recognised by its pid *and* its start time, so a pid the system has since reused for
something else is never signalled (not by its command line: Airflow's api-server rewrites its own). Airflow's
processes are also found by their AIRFLOW_HOME (localtwin/airflow/server.py), which its dbt commands carry too.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from localtwin.airflow.server import LocalAirflow, kill_leftovers
from localtwin.engines import LocalEngines
from localtwin.engines.process import wait_for_group_to_end
from localtwin.engines.s3 import LOCAL_CREDENTIALS, LOCAL_REGION

REPO_ROOT = Path(__file__).resolve().parents[1]
UP_FILE = REPO_ROOT / ".runs" / "up.json"
_STOP_GRACE_S = 20.0


class AlreadyUp(RuntimeError):
    """A `make up` is still running; a second one would only start a second set of engines."""


@dataclass(frozen=True)
class EngineProcess:
    name: str
    pid: int
    started: int | None  # clock ticks after boot (/proc/<pid>/stat); None: it had already exited


@dataclass(frozen=True)
class Session:
    run_dir: str
    warehouse: str
    bronze_bucket: str
    bootstrap_servers: str
    connect_url: str
    s3_endpoint: str
    processes: list[EngineProcess]
    other_aws_endpoint: str | None = None
    airflow_url: str | None = None
    airflow_home: str | None = None

    @classmethod
    def of(
        cls,
        engines: LocalEngines,
        run_dir: Path,
        warehouse: Path,
        bronze_bucket: str,
        airflow: LocalAirflow | None = None,
    ) -> Session:
        engine_processes = (engines.s3, engines.moto, engines.broker, engines.connect)
        managed = [engine.process for engine in engine_processes if engine is not None]
        managed += airflow.processes if airflow is not None else []
        processes = [
            EngineProcess(process.name, pid, started_at(pid)) for process in managed if (pid := process.pid) is not None
        ]
        return cls(
            str(run_dir),
            str(warehouse),
            bronze_bucket,
            engines.bootstrap_servers,
            engines.connect_url,
            engines.s3_endpoint,
            processes,
            engines.aws_endpoints.other,
            airflow.url if airflow is not None else None,
            str(airflow.home.path) if airflow is not None else None,
        )

    def alive(self) -> list[EngineProcess]:
        return [p for p in self.processes if p.started is not None and started_at(p.pid) == p.started]

    def table(self) -> str:
        """How to reach each engine, and how to stop them."""
        key, secret = LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"], LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"]
        rows = [
            ("Kafka bootstrap", self.bootstrap_servers),
            ("Kafka Connect REST", f"{self.connect_url}/connectors?expand=status"),
            ("S3 endpoint (versitygw)", f"{self.s3_endpoint} (key {key}, secret {secret}, region {LOCAL_REGION})"),
            ("other AWS APIs (moto)", self.other_aws_endpoint or "not started"),
            (
                "  list the lake",
                f"AWS_ACCESS_KEY_ID={key} AWS_SECRET_ACCESS_KEY={secret} "
                f"aws --endpoint-url {self.s3_endpoint} s3 ls --recursive s3://{self.bronze_bucket}/",
            ),
            (
                "warehouse (DuckDB)",
                f".venv/bin/python -c \"import duckdb; duckdb.connect('{self.warehouse}', read_only=True)"
                ".sql('from gold.fct_orders limit 5').show()\"",
            ),
            *([("Airflow UI", f"{self.airflow_url} (no login: every visitor is admin)")] if self.airflow_url else []),
            ("run folder", self.run_dir),
            ("stop everything", "make down"),
        ]
        width = max(len(name) for name, _ in rows)
        return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def refuse_if_up() -> None:
    session = load()
    if session is not None and session.alive():
        raise AlreadyUp(
            f"the engines of a previous `make up` are still running (run folder {session.run_dir}):\n"
            f"{session.table()}\n`make down` stops them first"
        )


def record(session: Session) -> None:
    UP_FILE.parent.mkdir(parents=True, exist_ok=True)
    UP_FILE.write_text(json.dumps(asdict(session), indent=2) + "\n")


def load() -> Session | None:
    if not UP_FILE.exists():
        return None
    raw = json.loads(UP_FILE.read_text())
    raw["processes"] = [EngineProcess(**process) for process in raw["processes"]]
    return Session(**raw)


def down() -> list[str]:
    """Stop the recorded engines, last started first (SIGTERM to its process group, SIGKILL to whatever of the group
    still runs after a grace period, the engine's children included); their names. In that order a client stops
    before the server it flushes to: Connect, stopped after the broker, would retry it until killed."""
    session = load()
    if session is None:
        return []
    alive = session.alive()
    for process in reversed(alive):
        _signal_group(process.pid, signal.SIGTERM)
        if wait_for_group_to_end(process.pid, _STOP_GRACE_S):
            _signal_group(process.pid, signal.SIGKILL)
            # Killed processes still run while the kernel frees their memory.
            wait_for_group_to_end(process.pid, _STOP_GRACE_S)
    if session.airflow_home is not None:
        kill_leftovers(Path(session.airflow_home))
    UP_FILE.unlink()
    return [process.name for process in alive]


def started_at(pid: int) -> int | None:
    """The process's start time (field 22 of /proc/<pid>/stat, after the parenthesised name); None if it has
    exited (a zombie too: only its exit status is left, for its parent to read)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    state, *fields = stat.rsplit(")", 1)[1].split()
    return None if state == "Z" else int(fields[18])


def _signal_group(pid: int, sig: signal.Signals) -> None:
    # Each engine leads its own process group (ManagedProcess starts a new session); one that exited since it was
    # found alive needs no signal.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localtwin.session", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["down", "status"])
    args = parser.parse_args(argv)
    if args.command == "status":
        session = load()
        if session is None or not session.alive():
            print("nothing is up (`make up` starts the engines and leaves them running)")
            return 1
        print(session.table())
        return 0
    stopped = down()
    print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was up")
    return 0


if __name__ == "__main__":
    sys.exit(main())
