"""Airflow DAG `olist_transform`: quality-check the new Bronze micro-batch, then dbt (one Cosmos task per model).

1. `select_micro_batch`: Bronze objects not yet published (keystone_dags/quality_gate.py: a listing whose size does
   not grow with the stream's history); none -> the run is skipped.
2. `quality_checkpoint`: Great Expectations suites derived from contracts/; a failed expectation fails the run
   before dbt starts. Data Docs go to `<artifacts>/data-docs/<run_id>/` either way.
3. The `dbt` task group: `dbt build` per model with that model's tests, so a failing test stops everything downstream
   of it, Gold included. `source_freshness` runs on every run, new data or not (stale sources fail it and alert);
   it does not gate dbt.
4. `mark_published`: the batch's objects will not be checked again (a failed run leaves them to be checked again).
5. `full_scan_due` -> `dbt_tests` -> `maintain_iceberg_tables` -> `mark_full_scan`: the tests that scan or compare
   whole tables (selector `full_scan_tests`: references between models, reconciliations of Bronze, Silver and Gold)
   on the first run and then once a day (keystone_dags/full_scan.py), not on every micro-batch (with a dbt selection,
   every test of the selected models: keystone_dags/dbt.py); then the daily
   Iceberg maintenance of Silver and Gold (dbt_project/macros/maintenance.sql: OPTIMIZE and VACUUM on Athena), after
   the day's merges so it never competes with one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from airflow.sdk import dag, task
from cosmos import DbtTaskGroup
from cosmos.operators.local import DbtRunOperationLocalOperator, DbtSourceLocalOperator, DbtTestLocalOperator
from keystone_dags import settings
from keystone_dags.dbt import cosmos_configs, full_scan_test_selection, operator_args, profile_config
from keystone_dags.defaults import default_args

# environments.profiles.Freshness.transform_interval, set by the orchestration stack (the twin: localtwin/airflow).
MICRO_BATCH_MINUTES = int(settings.require("transform_interval_minutes"))


@dag(
    dag_id="olist_transform",
    description="Bronze micro-batch -> Great Expectations checkpoint -> dbt Silver/Gold (Cosmos)",
    schedule=timedelta(minutes=MICRO_BATCH_MINUTES),
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=1),
    default_args=default_args(execution_timeout=timedelta(minutes=30)),
    tags=["keystone", "silver", "gold", "dbt", "quality"],
)
def olist_transform() -> None:
    @task.short_circuit
    def select_micro_batch() -> dict[str, Any]:
        from airflow.providers.amazon.aws.hooks.s3 import S3Hook
        from keystone_dags import quality_gate
        from keystone_dags.store import artifact_store

        config = settings.load()
        state = artifact_store(config.artifacts_uri, config.aws_conn_id)
        listed_at = datetime.now(UTC)
        hook = S3Hook(aws_conn_id=config.aws_conn_id)
        keys = quality_gate.new_bronze_objects(hook, config.bronze_bucket, state, listed_at)
        return {"keys": keys, "listed_at": listed_at.isoformat()} if keys else {}

    @task(retries=0)
    def quality_checkpoint(batch: dict[str, Any], run_id: str | None = None) -> dict[str, Any]:
        from keystone_dags import quality_gate
        from keystone_dags.alerts import fail_without_retry
        from keystone_dags.store import artifact_store

        config = settings.load()
        docs = artifact_store(config.artifacts_uri, config.aws_conn_id)
        try:
            docs_uri = quality_gate.run_checkpoint(config, batch["keys"], run_id or "manual", docs)
        except quality_gate.QualityCheckFailed as error:
            fail_without_retry(error)
        return {"objects": len(batch["keys"]), "data_docs": docs_uri}

    @task.short_circuit
    def full_scan_due(logical_date: datetime | None = None) -> bool:
        from keystone_dags import full_scan
        from keystone_dags.store import artifact_store

        config = settings.load()
        state = artifact_store(config.artifacts_uri, config.aws_conn_id)
        return full_scan.full_scan_due(state, logical_date or datetime.now(UTC))

    @task
    def mark_full_scan(logical_date: datetime | None = None, run_id: str | None = None) -> None:
        from keystone_dags import full_scan
        from keystone_dags.store import artifact_store

        config = settings.load()
        state = artifact_store(config.artifacts_uri, config.aws_conn_id)
        full_scan.mark_full_scan(state, logical_date or datetime.now(UTC), run_id or "manual")

    @task
    def mark_published(batch: dict[str, Any], run_id: str | None = None) -> int:
        from keystone_dags import quality_gate
        from keystone_dags.store import artifact_store

        config = settings.load()
        state = artifact_store(config.artifacts_uri, config.aws_conn_id)
        listed_at = datetime.fromisoformat(batch["listed_at"])
        quality_gate.mark_validated(state, batch["keys"], run_id or "manual", listed_at)
        return len(batch["keys"])

    batch = select_micro_batch()
    checked = quality_checkpoint(batch)
    dbt_settings = settings.dbt_settings()
    dbt_command = {
        "project_dir": str(dbt_settings.project_dir),
        "profile_config": profile_config(),
        "dbt_executable_path": str(dbt_settings.executable),
        **operator_args(),
    }
    DbtSourceLocalOperator(task_id="source_freshness", **dbt_command)
    models = DbtTaskGroup(group_id="dbt", **cosmos_configs())
    if not models.children:
        # Cosmos renders an empty group, and the run would succeed building nothing.
        raise ValueError(
            f"dbt_select={dbt_settings.select!r} and dbt_exclude={dbt_settings.exclude!r} leave no dbt model to build"
        )
    full_scan_tests = DbtTestLocalOperator(task_id="dbt_tests", **full_scan_test_selection(), **dbt_command)
    checked >> models >> mark_published(batch)
    maintenance = DbtRunOperationLocalOperator(
        task_id="maintain_iceberg_tables", macro_name="maintain_iceberg_tables", **dbt_command
    )
    models >> full_scan_due() >> full_scan_tests >> maintenance >> mark_full_scan()


olist_transform()
