"""A throwaway AIRFLOW_HOME whose `airflow` commands run in the Airflow venv, and how to read a `dags test` result.

The DAG files are the repository's `dags/` folder, unchanged; every endpoint, bucket and name they need comes from
the KEYSTONE_* variables given here (see dags/keystone_dags/settings.py), so the same files run locally and on MWAA.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from localtwin.airflow.venv import REPO_ROOT, AirflowSetupError, venv_python

DAGS_FOLDER = REPO_ROOT / "dags"


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
