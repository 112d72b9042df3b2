"""`python -m quality check` in the Airflow venv: Great Expectations over Bronze objects, Data Docs written."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from contracts import TABLES
from lambdas.ingestion.cli import ingest_directory
from lambdas.ingestion.storage import LocalBronze
from localtwin.airflow.venv import REPO_ROOT
from tests.fixtures.airflow import airflow_python  # noqa: F401
from tests.fixtures.bronze_writer import purchase_times, read_rows, stream_events, write_events

pytestmark = pytest.mark.slow

STREAMED = ["orders", "order_items", "order_payments", "order_reviews"]


def check(python: Path, bronze: Path, keys: list[str], docs: Path) -> tuple[subprocess.CompletedProcess[str], dict]:
    result_file = docs.parent / f"{docs.name}.json"
    command = [str(python), "-m", "quality", "check", "--bronze-dir", str(bronze), "--keys", *keys]
    command += ["--docs-dir", str(docs), "--result-file", str(result_file)]
    env = {"PYTHONPATH": str(REPO_ROOT), "GX_ANALYTICS_ENABLED": "false", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)
    outcome = json.loads(result_file.read_text()) if result_file.exists() else {}
    return result, outcome


def write_bronze(csv_dir: Path, root: Path, streamed: list[str], batch: list[str]) -> None:
    """Bronze as the platform writes it: ingestion Parquet, the producer's envelopes laid out as the sink does."""
    staging = root.parent / "landing"
    staging.mkdir()
    for name in batch:
        (staging / TABLES[name].file_name).write_bytes((csv_dir / TABLES[name].file_name).read_bytes())
    assert ingest_directory(staging, LocalBronze(root)).ok
    rows = {name: read_rows(csv_dir / TABLES[name].file_name, TABLES[name]) for name in {*streamed, "orders"}}
    for name in streamed:
        events = stream_events(rows[name], purchase_times(rows["orders"]))
        write_events(root, TABLES[name], events, datetime(2026, 1, 1, 10), f"{name}-events")


def data_keys(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_the_real_sample_passes_every_suite(airflow_python: Path, olist_sample_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    bronze = tmp_path / "bronze"
    write_bronze(olist_sample_dir / "consistent_subset", bronze, streamed=STREAMED, batch=STREAMED)
    result, outcome = check(airflow_python, bronze, data_keys(bronze), tmp_path / "docs")
    assert result.returncode == 0, result.stdout + result.stderr
    assert outcome["success"] and outcome["failures"] == []
    assert set(outcome["suites"]) == {f"bronze_{kind}_{t}" for t in STREAMED for kind in ("batch", "stream")}
    assert (tmp_path / "docs" / "index.html").is_file()


def test_a_batch_breaking_the_contract_fails_naming_expectations_and_objects(
    airflow_python: Path,  # noqa: F811
    olist_sample_dir: Path,
    tmp_path: Path,
) -> None:
    bronze = tmp_path / "bronze"
    write_bronze(olist_sample_dir / "consistent_subset", bronze, streamed=[], batch=["orders", "order_items"])
    (items_key,) = [k for k in data_keys(bronze) if k.startswith("batch/order_items/")]
    items = pq.read_table(bronze / items_key)
    prices = items.column("price").to_pylist()
    prices[0] = Decimal("-1.00")
    items = items.set_column(
        items.schema.get_field_index("price"), "price", pa.array(prices, items.schema.field("price").type)
    )
    pq.write_table(items, bronze / items_key)
    (orders_key,) = [k for k in data_keys(bronze) if k.startswith("batch/orders/")]
    orders = pq.read_table(bronze / orders_key)
    approved = orders.column("order_approved_at").to_pylist()
    purchased = orders.column("order_purchase_timestamp").to_pylist()
    approved[0] = purchased[0].replace(year=purchased[0].year - 1)
    column = orders.schema.get_field_index("order_approved_at")
    pq.write_table(
        orders.set_column(column, "order_approved_at", pa.array(approved, orders.schema.field(column).type)),
        bronze / orders_key,
    )

    result, outcome = check(airflow_python, bronze, data_keys(bronze), tmp_path / "docs")

    assert result.returncode == 3, result.stdout + result.stderr
    failures = {(f["suite"], f["expectation"], f["column"]): f for f in outcome["failures"]}
    price = failures[("bronze_batch_order_items", "expect_column_values_to_be_between", "price")]
    assert price["unexpected_count"] == 1 and price["objects"] == [items_key]
    order = failures[("bronze_batch_orders", "expect_column_pair_values_a_to_be_greater_than_b", "order_approved_at")]
    assert order["unexpected_count"] == 1 and order["objects"] == [orders_key]
    assert len(failures) == 2
    assert f"in {items_key}" in result.stdout
    assert (tmp_path / "docs" / "index.html").is_file()


def test_every_derived_expectation_is_a_valid_great_expectations_expectation(airflow_python: Path) -> None:  # noqa: F811
    script = (
        "import great_expectations as gx\n"
        "from quality.suites import all_suites\n"
        "n = 0\n"
        "for suite in all_suites():\n"
        "    for spec in suite.expectations:\n"
        "        getattr(gx.expectations, spec.type)(**spec.kwargs); n += 1\n"
        "print(n)\n"
    )
    env = {"PYTHONPATH": str(REPO_ROOT), "GX_ANALYTICS_ENABLED": "false", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [str(airflow_python), "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.split()[-1]) > 100
