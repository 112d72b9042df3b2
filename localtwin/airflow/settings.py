"""The KEYSTONE_* settings the DAGs read on the local twin."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from environments.profiles import CLOUD_FRESHNESS
from localtwin.airflow.venv import REPO_ROOT


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
    # The models the transform DAG renders (dbt selection syntax, as Cosmos reads it, e.g. "+fct_orders"); None: all.
    dbt_select: str | None = None

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
            # The DAGs run when the twin triggers them; the schedule they declare is the cloud's.
            "KEYSTONE_TRANSFORM_INTERVAL_MINUTES": str(CLOUD_FRESHNESS.transform_interval_minutes),
        }
        if self.kafka_bootstrap_servers:
            env["KEYSTONE_KAFKA_BOOTSTRAP_SERVERS"] = self.kafka_bootstrap_servers
        if self.replay_input_dir:
            env["KEYSTONE_REPLAY_INPUT_DIR"] = str(self.replay_input_dir)
        if self.topic_suffix:
            env["KEYSTONE_TOPIC_SUFFIX"] = self.topic_suffix
        if self.dbt_select:
            env["KEYSTONE_DBT_SELECT"] = self.dbt_select
        return env
