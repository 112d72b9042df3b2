"""Explore mode's Airflow (`make up`): the three DAGs on a running local Airflow, against the run's engines.

After the pipeline has filled the lake, Airflow starts over the same buckets, warehouse and Kafka topics (the
topics' S3 sinks are still running) and the replay, the batch ingestion and the transform with its quality gate are
triggered once each; their runs are then in the Airflow UI. A file dropped into the landing bucket later is picked
up by the next triggered ingestion run.
"""

from __future__ import annotations

from pathlib import Path

from dbt_project.scripts.local_target import prepare_extension_directory
from dbt_project.scripts.manifest import parse_manifest
from localtwin.airflow.home import AirflowHome
from localtwin.airflow.server import LocalAirflow
from localtwin.airflow.settings import LocalTwinSettings
from localtwin.airflow.venv import REPO_ROOT, ensure_venv
from localtwin.engines import LocalEngines

TRIGGERED = ("olist_replay", "olist_batch_ingestion", "olist_transform")


def start_airflow(
    engines: LocalEngines, run_dir: Path, warehouse: Path, buckets: tuple[str, str], replay_dir: Path
) -> tuple[LocalAirflow, dict[str, str]]:
    """The running Airflow and the run id of each triggered DAG."""
    work = run_dir / "airflow"
    landing, bronze = buckets
    settings = LocalTwinSettings(
        landing_bucket=landing,
        bronze_bucket=bronze,
        artifacts_dir=run_dir,
        warehouse=warehouse.resolve(),
        duckdb_extension_dir=prepare_extension_directory(work / "duckdb-extensions"),
        dbt_manifest=parse_manifest(REPO_ROOT / "dbt_project", work / "dbt-target"),
        s3_endpoint=engines.s3_endpoint,
        kafka_bootstrap_servers=engines.bootstrap_servers,
        replay_input_dir=replay_dir,
    )
    home = AirflowHome(
        work / "home",
        settings=settings.environment(),
        s3_endpoint=engines.s3_endpoint,
        aws_environment={**engines.aws_environment, "AWS_DEFAULT_REGION": engines.region},
        python=ensure_venv(),
    )
    airflow = LocalAirflow(home)
    airflow.start()
    try:
        runs = {dag_id: airflow.trigger(dag_id) for dag_id in TRIGGERED}
    except BaseException:
        airflow.stop()
        raise
    return airflow, runs
