"""Airflow DAG `olist_batch_ingestion`: wait for a drop in the landing bucket, ingest it, verify its manifest.

Per new landing object (key + ETag not yet in the ledger): the ingestion function runs on it (the Lambda on AWS,
the same handler in the project venv locally), then its manifest must account for every row (read = loaded +
quarantined) and name Bronze objects that exist; any mismatch fails the run, naming the file and the counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from airflow.sdk import Param, PokeReturnValue, dag, task
from keystone_dags.defaults import default_args


@dag(
    dag_id="olist_batch_ingestion",
    description="Landing CSV drops -> Bronze Parquet + quarantine + manifest, verified",
    schedule=timedelta(hours=1),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=2),
    default_args=default_args(execution_timeout=timedelta(minutes=20)),
    params={
        "landing_prefix": Param("", type="string", description="Only drops under this landing prefix, e.g. orders/"),
    },
    tags=["keystone", "bronze", "batch"],
)
def olist_batch_ingestion() -> None:
    @task.sensor(poke_interval=30, timeout=timedelta(minutes=50), mode="reschedule", soft_fail=True)
    def wait_for_drop(params: dict[str, Any]) -> PokeReturnValue:
        """Drops not yet ingested; succeeds with their list as soon as there is one (skips the run after 50 min)."""
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
        from keystone_dags import ingestion, settings
        from keystone_dags.store import artifact_store

        config = settings.load()
        ledger = artifact_store(config.artifacts_uri, config.aws_conn_id)
        drops = ingestion.new_drops(
            S3Hook(aws_conn_id=config.aws_conn_id), config.landing_bucket, params["landing_prefix"], ledger
        )
        return PokeReturnValue(is_done=bool(drops), xcom_value=[drop.to_dict() for drop in drops])

    @task(max_active_tis_per_dagrun=4)
    def ingest(drop: dict[str, str]) -> dict[str, Any]:
        from keystone_dags import ingestion, settings

        config = settings.load()
        result = ingestion.invoke_ingestion(config, ingestion.Drop(**drop))
        return {"drop": drop, "result": result}

    @task(retries=0)
    def verify_manifest(ingested: dict[str, Any]) -> dict[str, Any]:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
        from keystone_dags import ingestion, settings
        from keystone_dags.alerts import fail_without_retry
        from keystone_dags.store import artifact_store

        config = settings.load()
        drop = ingestion.Drop(**ingested["drop"])
        try:
            verified = ingestion.verify_manifest(
                S3Hook(aws_conn_id=config.aws_conn_id), config, drop, ingested["result"]
            )
        except ingestion.ManifestMismatch as error:
            fail_without_retry(error)
        ingestion.record_ingested(artifact_store(config.artifacts_uri, config.aws_conn_id), drop, verified)
        return verified

    verify_manifest.expand(ingested=ingest.expand(drop=wait_for_drop()))


olist_batch_ingestion()
