"""The three DAGs triggered through a running local Airflow (api-server, scheduler, dag-processor), as `make up`
runs them, and their effect in the lake: the dropped files in Bronze, the replayed events in Bronze, Gold built."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import duckdb
import pytest

from contracts import STREAMED_TABLES, TABLES
from localtwin.airflow.server import LocalAirflow
from tests.fixtures.airflow import (  # noqa: F401
    LocalTwin,
    airflow_python,
    dbt_manifest,
    duckdb_extension_dir,
    make_twin,
    migrated_airflow_db,
)
from tests.test_dags_local_run import CONSISTENT, Pipeline, sample_file

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def airflow(make_twin: Callable[..., LocalTwin], local_engines: Any) -> Iterator[tuple[LocalAirflow, Pipeline]]:  # noqa: F811
    twin = make_twin("airflow-server", topic_suffix=".airflow-server")
    server = LocalAirflow(twin.home)
    server.start()
    pipeline = Pipeline(twin, local_engines)
    yield server, pipeline
    server.stop()
    pipeline.stop_sinks()


def run_to_end(server: LocalAirflow, dag_id: str, conf: dict[str, Any] | None = None) -> None:
    run_id = server.trigger(dag_id, conf)
    state = server.wait_for(dag_id, run_id)
    assert state == "success", f"{dag_id} {run_id} ended {state}: {server.task_states(dag_id, run_id)}"


def test_the_replay_dag_streams_events_into_bronze(airflow: tuple[LocalAirflow, Pipeline]) -> None:
    server, pipeline = airflow
    pipeline._start_sink()
    run_to_end(server, "olist_replay", {"speed": "max", "input_dir": str(CONSISTENT)})
    pipeline._wait_for_streams()
    for table in STREAMED_TABLES:
        assert pipeline.twin.bronze_keys(f"streaming/{table.topic}/"), table.topic


def test_the_ingestion_dag_loads_a_dropped_file_into_bronze(airflow: tuple[LocalAirflow, Pipeline]) -> None:
    server, pipeline = airflow
    twin = pipeline.twin
    for table in TABLES.values():
        twin.s3.upload_file(str(sample_file(table.name)), twin.landing, f"{table.name}/{table.file_name}")
    run_to_end(server, "olist_batch_ingestion")
    for table in TABLES.values():
        assert twin.bronze_keys(f"manifests/{table.name}/"), table.name


def test_the_transform_dag_builds_gold_behind_its_quality_gate(airflow: tuple[LocalAirflow, Pipeline]) -> None:
    server, pipeline = airflow
    twin = pipeline.twin
    run_to_end(server, "olist_transform")
    orders = sum(1 for _ in sample_file("orders").open(encoding="utf-8")) - 1
    with duckdb.connect(str(twin.settings.warehouse), read_only=True) as con:
        assert con.sql("select count(*) from gold.fct_orders").fetchone() == (orders,)
    assert list((twin.run_dir / "data-docs").glob("*/index.html")), "the quality gate published no Data Docs"
