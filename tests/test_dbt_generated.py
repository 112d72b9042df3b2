"""`dbt build --target local` over generated Olist data in an S3 bucket, read through DuckDB's httpfs.

Bronze is written by the real batch ingestion (orders and the file-only tables) and by the test writer (events of
items, payments and reviews): orders have no stream at all here, so their events source is an empty relation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import boto3
import pytest
from botocore.config import Config

from contracts import TABLES
from datagen import GeneratorConfig, generate
from dbt_project.scripts.local_target import LocalTarget
from lambdas.ingestion.cli import ingest_directory
from lambdas.ingestion.storage import S3Bronze
from tests.fixtures.bronze_writer import purchase_times, read_rows, stream_events, write_events
from tests.fixtures.dbt_cli import DbtProject, DbtRun, query
from tests.fixtures.s3 import S3_ENVIRONMENT, s3_server

pytestmark = pytest.mark.slow

ORDERS = 2000
BUCKET = "keystone-test-bronze"
FILE_TABLES = ["orders", "customers", "geolocation", "products", "sellers", "product_category_name_translation"]
STREAM_TABLES = ["order_items", "order_payments", "order_reviews"]
ARRIVAL = datetime(2026, 11, 20, 10, 15)


@dataclass
class GeneratedBuild:
    csv_dir: Path
    duckdb_path: Path
    run: DbtRun
    manifest_path: Path


@pytest.fixture(scope="module")
def generated_build(tmp_path_factory: pytest.TempPathFactory) -> GeneratedBuild:
    work = tmp_path_factory.mktemp("dbt_generated")
    csv_dir = work / "csv"
    generate(GeneratorConfig(orders=ORDERS, seed=11), csv_dir)
    landing = work / "landing"
    landing.mkdir()
    for name in FILE_TABLES:
        (landing / TABLES[name].file_name).symlink_to(csv_dir / TABLES[name].file_name)
    events_dir = work / "events"
    orders = read_rows(csv_dir / TABLES["orders"].file_name, TABLES["orders"])
    for name in STREAM_TABLES:
        rows = read_rows(csv_dir / TABLES[name].file_name, TABLES[name])
        write_events(events_dir, TABLES[name], stream_events(rows, purchase_times(orders)), ARRIVAL, f"{name}-0")

    with s3_server() as endpoint:
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name=S3_ENVIRONMENT["AWS_REGION"],
            aws_access_key_id=S3_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=S3_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
            config=Config(s3={"addressing_style": "path"}),
        )
        s3.create_bucket(Bucket=BUCKET)
        report = ingest_directory(landing, S3Bronze(s3, BUCKET))
        assert not report.failures, report.failures
        for path in sorted(events_dir.rglob("*.jsonl.gz")):
            s3.upload_file(str(path), BUCKET, path.relative_to(events_dir).as_posix())

        target = LocalTarget(f"s3://{BUCKET}", work / "lake.duckdb", work / "duckdb_extensions", endpoint)
        run = DbtProject(work, {**S3_ENVIRONMENT, **target.environment()}).run("build")
    return GeneratedBuild(csv_dir, target.duckdb_path, run, work / "target" / "manifest.json")


def test_generated_data_builds_from_s3_with_every_test_passing(generated_build: GeneratedBuild) -> None:
    run = generated_build.run
    assert run.with_status("error") == [] and run.with_status("fail") == []
    # Generated data is consistent; only the original's two untranslated categories are reported.
    (warned,) = run.with_status("warn")
    assert "relationships_stg_olist__products_category_name" in warned
    # Every data and unit test of the project ran, and all but that one passed.
    manifest = json.loads(generated_build.manifest_path.read_text(encoding="utf-8"))
    tests = {node for node in manifest["nodes"] if node.startswith("test.")} | set(manifest["unit_tests"])
    assert set(run.with_status("pass")) == tests - {warned}


def test_generated_orders_items_and_revenue_reach_gold(generated_build: GeneratedBuild) -> None:
    items = read_rows(generated_build.csv_dir / TABLES["order_items"].file_name, TABLES["order_items"])
    path = generated_build.duckdb_path
    assert query(path, "select count(*) from gold.fct_orders") == [(ORDERS,)]
    assert query(path, "select count(*), sum(price) from gold.fct_order_items") == [
        (len(items.typed), sum(typed["price"] for _, typed in items.typed))
    ]
    assert query(path, "select count(*) from silver.stg_olist__orders where _source_kind <> 'batch'") == [(0,)]
