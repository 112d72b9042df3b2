"""The DAG files import cleanly in the Airflow venv, declare their safety nets, and parse fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from localtwin.airflow.home import DAGS_FOLDER, AirflowHome
from localtwin.airflow.settings import LocalTwinSettings
from stacks.ingestion import FUNCTION_TIMEOUT as INGESTION_FUNCTION_TIMEOUT
from tests.fixtures.airflow import airflow_python, dbt_manifest, duckdb_extension_dir, migrated_airflow_db  # noqa: F401

EXPECTED_DAGS = {"olist_batch_ingestion", "olist_replay", "olist_transform"}

_PROBE = """
import json
from airflow.models.dagbag import DagBag

bag = DagBag(include_examples=False)
report = {"import_errors": bag.import_errors, "dags": {}}
for dag_id, dag in bag.dags.items():
    report["dags"][dag_id] = {
        "fileloc": dag.fileloc,
        "dagrun_timeout": dag.dagrun_timeout.total_seconds() if dag.dagrun_timeout else None,
        "tasks": {
            task.task_id: {
                "retries": task.retries,
                "execution_timeout": task.execution_timeout.total_seconds() if task.execution_timeout else None,
                "on_failure_callback": bool(task.on_failure_callback),
            }
            for task in dag.tasks
        },
    }
print("REPORT " + json.dumps(report))
"""


def _settings(work: Path, extension_dir: Path, manifest: Path, **overrides: Any) -> LocalTwinSettings:
    return LocalTwinSettings(
        landing_bucket="landing",
        bronze_bucket="bronze",
        artifacts_dir=work / "run",
        warehouse=work / "warehouse.duckdb",
        duckdb_extension_dir=extension_dir,
        dbt_manifest=manifest,
        **overrides,
    )


@pytest.fixture(scope="module")
def dagbag_report(
    airflow_python: Path,  # noqa: F811
    migrated_airflow_db: Path,  # noqa: F811
    dbt_manifest: Path,  # noqa: F811
    duckdb_extension_dir: Path,  # noqa: F811
    tmp_path_factory: pytest.TempPathFactory,
) -> dict:
    work = tmp_path_factory.mktemp("dagbag")
    settings = _settings(work, duckdb_extension_dir, dbt_manifest)
    home = AirflowHome(work, settings=settings.environment(), python=airflow_python)
    result = home.python_script(_PROBE)
    lines = [line for line in result.stdout.splitlines() if line.startswith("REPORT ")]
    assert result.returncode == 0 and lines, f"DagBag probe failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return json.loads(lines[-1][len("REPORT ") :])


@pytest.mark.slow
def test_dagbag_imports_every_dag_without_errors(dagbag_report: dict) -> None:
    assert dagbag_report["import_errors"] == {}
    assert set(dagbag_report["dags"]) == EXPECTED_DAGS


@pytest.mark.slow
def test_every_dag_declares_a_run_timeout_and_every_task_a_timeout_and_an_alert(dagbag_report: dict) -> None:
    for dag_id, dag in dagbag_report["dags"].items():
        assert dag["dagrun_timeout"], f"{dag_id} has no dagrun_timeout"
        for task_id, task in dag["tasks"].items():
            assert task["execution_timeout"], f"{dag_id}.{task_id} has no execution_timeout"
            assert task["on_failure_callback"], f"{dag_id}.{task_id} has no on_failure_callback"


@pytest.mark.slow
def test_transform_renders_one_task_per_dbt_model(dagbag_report: dict, dbt_manifest: Path) -> None:  # noqa: F811
    manifest = json.loads(dbt_manifest.read_text())
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    tasks = set(dagbag_report["dags"]["olist_transform"]["tasks"])
    assert {f"dbt.{model}_model_build" for model in models} <= tasks
    assert {"select_micro_batch", "quality_checkpoint", "source_freshness", "dbt_tests", "mark_published"} <= tasks
    assert "maintain_iceberg_tables" in tasks


@pytest.mark.slow
def test_a_dbt_selection_that_matches_no_model_fails_the_transform_dags_import(
    airflow_python: Path,  # noqa: F811
    dbt_manifest: Path,  # noqa: F811
    duckdb_extension_dir: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    settings = _settings(tmp_path, duckdb_extension_dir, dbt_manifest, dbt_select="+fct_ordrs")
    home = AirflowHome(tmp_path, settings=settings.environment(), python=airflow_python)
    dag_file = DAGS_FOLDER / "olist_transform.py"
    probe = f"from airflow.models.dagbag import DagBag\nprint(DagBag({str(dag_file)!r}).import_errors)"
    result = home.python_script(probe)
    assert "dbt_select='+fct_ordrs' and dbt_exclude=None leave no dbt model to build" in result.stdout, result.stderr


@pytest.mark.slow
def test_the_ingest_task_outlasts_the_invoke_it_waits_on(dagbag_report: dict) -> None:
    # A task killed by its execution_timeout is retried by Airflow: a second invoke while the function still runs.
    sys.path.insert(0, str(DAGS_FOLDER))
    from keystone_dags.ingestion import invoke_client_config

    read_timeout = invoke_client_config(int(INGESTION_FUNCTION_TIMEOUT.to_seconds())).read_timeout
    ingest = dagbag_report["dags"]["olist_batch_ingestion"]["tasks"]["ingest"]
    assert ingest["execution_timeout"] > read_timeout
