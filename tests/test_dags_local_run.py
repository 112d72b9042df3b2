"""`airflow dags test` of each DAG, unchanged, against the local engines: S3 server, Kafka + Connect, DuckDB.

One pipeline per module, as on a real day: olist_replay streams the real sample's order activity through Kafka and
the S3 sink into Bronze, olist_batch_ingestion loads every table's CSV drop, olist_transform checks the micro-batch
and builds Silver and Gold. Then the failure paths: a failing dbt test, a Bronze batch breaking an expectation, a
manifest that does not add up. The transform renders fct_orders and its parents (the DAGs' `dbt_select` setting),
to keep the module's runs short.
"""

from __future__ import annotations

import io
import json
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from connector.s3_sink import S3SinkSettings, connector_config, key_template
from contracts import STREAMED_TABLES, TABLES
from dbt_project.scripts.manifest import parse_manifest
from lambdas.ingestion.cli import ingest_directory, ingest_landing
from lambdas.ingestion.storage import S3Bronze
from localtwin.airflow.venv import REPO_ROOT
from tests.fixtures.airflow import (  # noqa: F401
    DagRun,
    LocalTwin,
    airflow_python,
    dbt_manifest,
    duckdb_extension_dir,
    make_twin,
    migrated_airflow_db,
)
from tests.fixtures.olist_data import OLIST_SAMPLE_DIR

pytestmark = pytest.mark.slow

# Orders, items, payments, reviews and customers whose orders are all present; the other tables are complete files.
CONSISTENT = OLIST_SAMPLE_DIR / "consistent_subset"
GOLD_TABLES = ("fct_orders",)  # what the module's twin builds of Gold (see `pipeline`)


def sample_file(table: str) -> Path:
    name = TABLES[table].file_name
    return CONSISTENT / name if (CONSISTENT / name).is_file() else OLIST_SAMPLE_DIR / name


def assert_succeeded(run: DagRun) -> None:
    assert run.state == "success", run.failure_report()


def gold_snapshot(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Per Gold table: row count and an order-independent checksum of every row."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {
            name: con.sql(f"select count(*), coalesce(sum(hash(t)), 0) from gold.{name} as t").fetchone()  # type: ignore[misc]
            for name in GOLD_TABLES
        }


@dataclass
class Pipeline:
    """The module's twin and the DAG runs so far (each DAG is run once, on first use)."""

    twin: LocalTwin
    engines: Any
    runs: dict[str, DagRun] = field(default_factory=dict)

    def replay(self) -> DagRun:
        if "replay" not in self.runs:
            self._start_sink()
            run = self.twin.dags_test("olist_replay", conf={"speed": "max", "input_dir": str(CONSISTENT)})
            self.runs["replay"] = run
            if run.state == "success":
                self._wait_for_streams()
        return self.runs["replay"]

    def ingest(self) -> DagRun:
        if "ingest" not in self.runs:
            for table in TABLES.values():
                self.twin.s3.upload_file(
                    str(sample_file(table.name)), self.twin.landing, f"{table.name}/{table.file_name}"
                )
            self.runs["ingest"] = self.twin.dags_test("olist_batch_ingestion")
        return self.runs["ingest"]

    def transform(self) -> DagRun:
        if "transform" not in self.runs:
            assert_succeeded(self.replay())
            assert_succeeded(self.ingest())
            self.runs["transform"] = self.twin.dags_test("olist_transform")
        return self.runs["transform"]

    def _start_sink(self) -> None:
        """One S3 sink per topic into this twin's Bronze: the sink's own config, the topic renamed back in the key.

        The replay uses suffixed topics so no other test's connector sees its events; the key template writes them
        where Bronze keeps that table's stream.
        """
        suffix = self.twin.settings.topic_suffix
        for table in STREAMED_TABLES:
            settings = S3SinkSettings(
                topics=(f"{table.topic}{suffix}",),
                bucket=self.twin.bronze,
                region=self.engines.region,
                rotate_interval_ms=1_000,
                endpoint_url=self.engines.s3_endpoint,
            )
            config = connector_config(settings)
            config["s3.key.template"] = key_template().replace("{topic}", str(table.topic), 1)
            name = f"bronze-{table.name}{suffix}"
            self.engines.connect.put_connector(name, config)
            self.engines.connect.wait_running(name)

    def _wait_for_streams(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        missing: list[str] = []
        while time.monotonic() < deadline:
            missing = [t.topic for t in STREAMED_TABLES if not self.twin.bronze_keys(f"streaming/{t.topic}/")]
            if not missing:
                return
            time.sleep(1)
        raise AssertionError(f"the S3 sink wrote nothing for {missing} within {timeout_s:.0f} s")

    def stop_sinks(self) -> None:
        for table in STREAMED_TABLES:
            self.engines.connect.delete_connector(f"bronze-{table.name}{self.twin.settings.topic_suffix}")


@pytest.fixture(scope="module")
def pipeline(make_twin: Callable[..., LocalTwin], local_engines: Any, olist_sample_dir: Path):  # noqa: F811
    # fct_orders and its parents, 10 of the 22 models: each Cosmos task is a dbt process, about 7 s on CI's 2 cores.
    # test_dags.py checks that the whole DAG renders every model.
    twin = make_twin("pipeline", topic_suffix=f".dags-{uuid.uuid4().hex[:8]}", dbt_select="+fct_orders")
    pipeline = Pipeline(twin, local_engines)
    yield pipeline
    if "replay" in pipeline.runs:
        pipeline.stop_sinks()


def test_replay_dag_streams_the_sample_into_bronze(pipeline: Pipeline) -> None:
    run = pipeline.replay()
    assert_succeeded(run)
    for table in STREAMED_TABLES:
        assert pipeline.twin.bronze_keys(f"streaming/{table.topic}/"), f"no Bronze objects for {table.topic}"


def test_batch_ingestion_dag_loads_every_drop_and_verifies_its_manifest(pipeline: Pipeline) -> None:
    run = pipeline.ingest()
    assert_succeeded(run)
    twin = pipeline.twin
    verified = {k: v for k, v in run.task_states.items() if k.startswith("verify_manifest[")}
    assert len(verified) == len(TABLES) and set(verified.values()) == {"success"}, run.task_states
    for table in TABLES.values():
        (manifest_key,) = twin.bronze_keys(f"manifests/{table.name}/")
        manifest = twin.read_json(twin.bronze, manifest_key)
        assert manifest["rows_read"] == manifest["rows_loaded"] + manifest["rows_quarantined"]
        assert twin.bronze_keys(manifest["output_key"]) == [manifest["output_key"]]
        ledger = list((twin.run_dir / "orchestration" / "ingested" / table.name / table.file_name).iterdir())
        assert len(ledger) == 1 and json.loads(ledger[0].read_text())["rows_read"] == manifest["rows_read"]


def test_transform_dag_checks_the_batch_then_builds_silver_and_gold(pipeline: Pipeline) -> None:
    run = pipeline.transform()
    assert_succeeded(run)
    twin = pipeline.twin
    assert run.task_states["quality_checkpoint"] == "success"
    assert run.task_states["dbt.fct_orders_model_build"] == "success"
    assert run.task_states["dbt_tests"] == "success"
    assert run.task_states["maintain_iceberg_tables"] == "success"  # DuckDB's tables are not Iceberg: a no-op
    assert run.task_states["source_freshness"] == "success"
    docs = list((twin.run_dir / "data-docs").glob("*/index.html"))
    assert len(docs) == 1
    assert (docs[0].parent / "validations").is_dir()
    orders = sum(1 for _ in sample_file("orders").open(encoding="utf-8")) - 1
    with duckdb.connect(str(twin.settings.warehouse), read_only=True) as con:
        assert con.sql("select count(*) from gold.fct_orders").fetchone() == (orders,)
    published = {
        p.relative_to(twin.run_dir / "orchestration" / "validated").as_posix()
        for p in (twin.run_dir / "orchestration" / "validated").rglob("*")
        if p.is_file()
    }
    data_keys = {k for k in twin.bronze_keys() if k.endswith((".parquet", ".jsonl.gz"))}
    assert published == data_keys


def test_a_failing_dbt_test_stops_the_run_before_gold_changes(pipeline: Pipeline, tmp_path: Path) -> None:
    assert_succeeded(pipeline.transform())
    twin = pipeline.twin
    before = gold_snapshot(twin.settings.warehouse)
    # A new micro-batch that would change Gold: orders the warehouse has not seen.
    from datagen.generator import GeneratorConfig, generate

    generate(GeneratorConfig(orders=50, seed=4242), tmp_path / "new", tables=["orders"])
    assert ingest_directory(tmp_path / "new", S3Bronze(twin.s3, twin.bronze)).ok
    # The same project plus one test on a Silver model that fails whenever it has rows.
    project = tmp_path / "dbt_project"
    shutil.copytree(REPO_ROOT / "dbt_project", project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "tests" / "injected_failure_on_silver_orders.sql").write_text(
        "select order_id from {{ ref('stg_olist__orders') }}\n"
    )
    manifest = parse_manifest(project, tmp_path / "target")

    # Only the failing model and what depends on it are rendered: the gate is the same, the run much shorter.
    run = twin.with_settings(dbt_project_dir=project, dbt_manifest=manifest).dags_test(
        "olist_transform", extra_env={"KEYSTONE_DBT_SELECT": "stg_olist__orders+"}
    )

    assert run.state == "failed", run.failure_report()
    assert run.task_states["quality_checkpoint"] == "success"
    assert run.task_states["dbt.stg_olist__orders_model_build"] == "failed"
    for gold in ("fct_orders", "agg_daily_sales"):
        assert run.task_states[f"dbt.{gold}_model_build"] == "upstream_failed", run.task_states
    assert run.task_states["mark_published"] == "upstream_failed"
    assert "injected_failure_on_silver_orders" in run.output
    assert gold_snapshot(twin.settings.warehouse) == before


def test_a_bronze_batch_breaking_an_expectation_fails_the_checkpoint_with_data_docs(
    make_twin: Callable[..., LocalTwin],  # noqa: F811
    olist_sample_dir: Path,
) -> None:
    twin = make_twin("bad-batch")
    report = ingest_directory(_one_table_dir("orders", twin.run_dir.parent / "csv"), S3Bronze(twin.s3, twin.bronze))
    assert report.ok, report.render()
    (good_key,) = twin.bronze_keys("batch/orders/")
    table = pq.read_table(io.BytesIO(twin.s3.get_object(Bucket=twin.bronze, Key=good_key)["Body"].read()))
    statuses = table.column("order_status").to_pylist()
    statuses[0] = "teleported"
    bad = table.set_column(table.schema.get_field_index("order_status"), "order_status", pa.array(statuses))
    bad_key = good_key.rsplit("/", 1)[0] + "/bad-batch.parquet"
    sink = io.BytesIO()
    pq.write_table(bad, sink)
    twin.s3.put_object(Bucket=twin.bronze, Key=bad_key, Body=sink.getvalue())

    run = twin.dags_test("olist_transform")

    assert run.state == "failed", run.failure_report()
    assert run.task_states["quality_checkpoint"] == "failed"
    assert {state for task, state in run.task_states.items() if task.startswith("dbt.")} == {"upstream_failed"}
    assert "expect_column_values_to_be_in_set(order_status)" in run.output
    assert bad_key in run.output
    (index,) = (twin.run_dir / "data-docs").glob("*/index.html")
    validations = [p.read_text() for p in (index.parent / "validations").rglob("*.html")]
    assert any("teleported" in page for page in validations)
    assert not (twin.run_dir / "orchestration" / "validated").exists()


def test_a_manifest_that_does_not_add_up_fails_ingestion_naming_the_file_and_counts(
    make_twin: Callable[..., LocalTwin],  # noqa: F811
    olist_sample_dir: Path,
) -> None:
    twin = make_twin("mismatch")
    key = "orders/olist_orders_dataset.csv"
    twin.s3.upload_file(str(sample_file("orders")), twin.landing, key)
    report = ingest_landing(twin.s3, twin.landing, "", S3Bronze(twin.s3, twin.bronze))
    assert report.ok, report.render()
    (manifest_key,) = twin.bronze_keys("manifests/orders/")
    manifest = twin.read_json(twin.bronze, manifest_key)
    read, loaded = manifest["rows_read"], manifest["rows_loaded"]
    assert manifest["rows_quarantined"] == 0 and read == loaded
    manifest["rows_loaded"] = loaded - 1
    twin.s3.put_object(Bucket=twin.bronze, Key=manifest_key, Body=json.dumps(manifest).encode())

    run = twin.dags_test("olist_batch_ingestion")

    assert run.state == "failed", run.failure_report()
    assert run.task_states["ingest[0]"] == "success"
    assert run.task_states["verify_manifest[0]"] == "failed"
    expected = f"rows_read={read} but rows_loaded={loaded - 1} + rows_quarantined=0 = {loaded - 1}"
    assert f"s3://{twin.landing}/{key}" in run.output and expected in run.output
    assert not (twin.run_dir / "orchestration" / "ingested").exists()


def _one_table_dir(table: str, directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample_file(table), directory / TABLES[table].file_name)
    return directory
