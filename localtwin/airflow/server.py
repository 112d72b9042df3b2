"""A running local Airflow 3.0 on the twin: api-server (UI, REST and the tasks' execution API), scheduler (with the
LocalExecutor) and dag-processor, each an engine process in its own group, over the same DAG files MWAA gets.

Airflow 3.0 splits the old webserver: tasks report to the api-server's execution API, so all three processes are
needed. The UI logs everyone in as admin
(`[core] simple_auth_manager_all_admins`, Simple auth manager, meant for development:
https://airflow.apache.org/docs/apache-airflow/stable/core-concepts/auth-manager/simple/index.html).

Stopping signals the three process groups, and then every process left that carries this AIRFLOW_HOME in its
environment: Cosmos starts each dbt command in a session of its own (`os.setsid` in its subprocess hook), out of
reach of the scheduler's group.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from localtwin.airflow.home import AirflowHome
from localtwin.airflow.venv import AirflowSetupError
from localtwin.engines.process import ManagedProcess, free_port

_FINISHED = ("success", "failed")
_STOP_GRACE_S = 15.0


@dataclass
class LocalAirflow:
    """Airflow's three processes over `home` (its settings: the twin's KEYSTONE_* variables)."""

    home: AirflowHome
    port: int = field(default_factory=free_port)
    processes: list[ManagedProcess] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 300.0) -> None:
        self.launch()
        self.wait_ready(timeout_s)

    def launch(self) -> None:
        """Migrate the metadata DB and start the three processes (not yet serving: `wait_ready`)."""
        self.home = replace(self.home, settings={**self.home.settings, **self._server_config()})
        self.home.migrate()
        env = self.home.environment()
        logs = self.home.path / "processes"
        python = str(self.home.python)
        commands = {
            "airflow api-server": ["api-server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1"],
            "airflow scheduler": ["scheduler"],
            "airflow dag-processor": ["dag-processor"],
        }
        for name, args in commands.items():
            process = ManagedProcess(name, [python, "-m", "airflow", *args], logs / f"{args[0]}.log", env)
            self.processes.append(process)
            process.start()

    def wait_ready(self, timeout_s: float = 300.0) -> None:
        try:
            self.processes[0].wait_ready(self._healthy, timeout_s)
        except BaseException:
            self.stop()
            raise

    def stop(self, grace_s: float = _STOP_GRACE_S) -> None:
        """SIGTERM the three process groups at once, SIGKILL them after `grace_s` (at once if interrupted while
        waiting), then SIGKILL whatever still runs with this AIRFLOW_HOME."""
        try:
            for process in self.processes:
                process.terminate()
            deadline = time.monotonic() + grace_s
            for process in self.processes:
                process.stop(grace_s=max(0.0, deadline - time.monotonic()))
        finally:
            for process in self.processes:
                process.kill()
            kill_leftovers(self.home.path)

    def trigger(self, dag_id: str, conf: dict[str, Any] | None = None, timeout_s: float = 180.0) -> str:
        """Trigger a run once the dag-processor has parsed the DAG; the run id."""
        self._wait_parsed(dag_id, timeout_s)
        args = ["dags", "trigger", dag_id, "--output", "json"]
        if conf:
            args += ["--conf", json.dumps(conf)]
        result = self.home.airflow(*args)
        if result.returncode != 0:
            raise AirflowSetupError(f"`airflow dags trigger {dag_id}` failed:\n{result.stdout}{result.stderr}")
        # The JSON is the last line; Airflow's own log lines come before it on stdout.
        (run,) = json.loads(result.stdout.strip().splitlines()[-1])
        return str(run["dag_run_id"])

    def wait_for(self, dag_id: str, run_id: str, timeout_s: float = 900.0) -> str:
        """The run's final state (`success` or `failed`); raises naming the state it was stuck in after `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        state = None
        while time.monotonic() < deadline:
            state = self._query_one("select state from dag_run where dag_id = ? and run_id = ?", dag_id, run_id)
            if state in _FINISHED:
                return str(state)
            time.sleep(2)
        raise TimeoutError(
            f"{dag_id} run {run_id} still {state} after {timeout_s:.0f} s (tasks {self.task_states(dag_id, run_id)});"
            f" logs under {self.home.path}"
        )

    def task_states(self, dag_id: str, run_id: str) -> dict[str, str]:
        with sqlite3.connect(self.home.path / "airflow.db") as db:
            rows = db.execute(
                "select task_id, map_index, state from task_instance where dag_id = ? and run_id = ?", (dag_id, run_id)
            ).fetchall()
        return {(task if index < 0 else f"{task}[{index}]"): str(state) for task, index, state in rows}

    def run_url(self, dag_id: str, run_id: str) -> str:
        """The run's page in the UI."""
        return f"{self.url}/dags/{dag_id}/runs/{urllib.parse.quote(run_id, safe='')}"

    def _server_config(self) -> dict[str, str]:
        return {
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            # One task at a time per DAG: DuckDB has a single writer, and two of the transform's Cosmos dbt tasks at
            # once fail on its file lock. The other DAGs (Kafka, S3, no warehouse) run beside it.
            "AIRFLOW__CORE__MAX_ACTIVE_TASKS_PER_DAG": "1",
            "AIRFLOW__CORE__PARALLELISM": "2",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS": "True",
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "False",
            # Only triggered runs: the micro-batch schedules would otherwise start runs before the twin has data.
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
            "AIRFLOW__API__BASE_URL": self.url,
            "AIRFLOW__API__PORT": str(self.port),
        }

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/api/v2/monitor/health", timeout=2) as response:
                return response.status == 200
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def _wait_parsed(self, dag_id: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._query_one("select dag_id from serialized_dag where dag_id = ?", dag_id) is None:
            # The DAG files are named after their DAG.
            error = self._query_one("select stacktrace from import_error where filename like ?", f"%{dag_id}.py")
            if error is not None:
                raise AirflowSetupError(f"the dag-processor could not import {dag_id}:\n{error}")
            for process in self.processes:
                if not process.running:
                    raise AirflowSetupError(f"{process.name} exited:\n{process.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the dag-processor did not parse {dag_id} within {timeout_s:.0f} s:\n"
                    f"{self.processes[-1].log_tail()}"
                )
            time.sleep(1)

    def _query_one(self, sql: str, *params: str) -> Any:
        with sqlite3.connect(self.home.path / "airflow.db", timeout=30) as db:
            row = db.execute(sql, params).fetchone()
        return row[0] if row else None


def processes_of(home: Path) -> list[int]:
    """Every process of this user whose environment reads AIRFLOW_HOME=`home`, outside the caller's session (a shell
    that exported the same AIRFLOW_HOME is not Airflow's): the tasks' dbt commands among them. Not the processes that
    retitle themselves (the api-server, the executor's workers: setproctitle overwrites the environment they show);
    those stay in the process groups `stop` signals."""
    marker = f"AIRFLOW_HOME={home}".encode()
    own_session = os.getsid(0)
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        # Another user's process is unreadable, and a process may exit while being read: neither is Airflow's.
        with contextlib.suppress(FileNotFoundError, ProcessLookupError, PermissionError):
            pid = int(entry.name)
            if marker in (entry / "environ").read_bytes().split(b"\0") and os.getsid(pid) != own_session:
                found.append(pid)
    return found


def kill_leftovers(home: Path) -> None:
    for pid in processes_of(home):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
