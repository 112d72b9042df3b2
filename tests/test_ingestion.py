"""Batch ingestion against a real S3 server (versitygw, tests/fixtures/s3.py): the real sample, bad inputs, idempotency,
the Lambda handler with the real S3 event shape, and transient S3 errors.

The S3 server is this module's own session fixture (`ingestion_s3`): the shared `local_s3` fixture of
tests/fixtures/engines.py also starts Kafka and Connect, which these tests do not need.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from botocore.config import Config
from botocore.exceptions import ConnectionClosedError

from contracts.arrow.readers import arrow_batches, csv_batches
from contracts.arrow.scan import scan
from contracts.layout import LINEAGE_COLUMNS, REPLAY_PREFIX, landing_prefix
from contracts.olist import TABLES
from datagen import GeneratorConfig, generate
from lambdas.ingestion.cli import ingest_directory, ingest_landing, main
from lambdas.ingestion.handler import IngestionFailed, handler
from lambdas.ingestion.ingest import ingest_file
from lambdas.ingestion.keys import KeyIndex
from lambdas.ingestion.loader import FileLoader
from lambdas.ingestion.report import FileResult
from lambdas.ingestion.routing import UnknownTable
from lambdas.ingestion.storage import LocalBronze, LocalSource, S3Bronze, S3Source
from tests.fixtures.lambda_context import LambdaContext
from tests.fixtures.s3 import S3_ENVIRONMENT, s3_server

pytestmark = pytest.mark.slow

REGION = S3_ENVIRONMENT["AWS_REGION"]
CREDENTIALS = S3_ENVIRONMENT


@pytest.fixture(scope="session")
def ingestion_s3() -> Iterator[str]:
    """The S3 server for this module; yields its endpoint URL."""
    with s3_server() as endpoint:
        yield endpoint


def make_client(endpoint: str, max_attempts: int = 3) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        config=Config(retries={"mode": "standard", "max_attempts": max_attempts}, s3={"addressing_style": "path"}),
    )


@pytest.fixture
def s3(ingestion_s3: str) -> Any:
    return make_client(ingestion_s3)


@pytest.fixture
def buckets(s3: Any) -> tuple[str, str]:
    """A fresh landing bucket and Bronze bucket per test."""
    suffix = uuid.uuid4().hex[:8]
    landing, bronze = f"landing-{suffix}", f"bronze-{suffix}"
    s3.create_bucket(Bucket=landing)
    s3.create_bucket(Bucket=bronze)
    return landing, bronze


def land(s3: Any, bucket: str, key: str, data: bytes) -> S3Source:
    s3.put_object(Bucket=bucket, Key=key, Body=data)
    return S3Source.head(s3, bucket, key)


def snapshot(bronze: S3Bronze) -> dict[str, bytes]:
    return {key: bronze.read_bytes(key) for key in bronze.list_keys()}


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1:]


def quarantine_entries(bronze: S3Bronze, result: FileResult) -> list[dict[str, Any]]:
    key = result.manifest.quarantine_key
    return [json.loads(line) for line in bronze.read_bytes(key).splitlines()] if key else []


# --- the real sample ------------------------------------------------------------------------------------------


def test_real_sample_lands_in_bronze_with_every_row_accounted_for(
    s3: Any, buckets: tuple[str, str], olist_sample_dir: Path
) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    for table in TABLES.values():
        data = (olist_sample_dir / table.file_name).read_bytes()
        source = land(s3, landing, landing_prefix(table.name) + table.file_name, data)
        result = ingest_file(source, bronze)
        manifest = result.manifest
        assert result.ok and not result.skipped
        assert manifest.rows_read == len(csv_rows(data)) == manifest.rows_loaded + manifest.rows_quarantined
        assert manifest.rows_quarantined == 0, quarantine_entries(bronze, result)
        parquet = pq.read_table(io.BytesIO(bronze.read_bytes(manifest.output_key)))
        assert parquet.num_rows == manifest.rows_loaded
        assert parquet.column_names == [*table.column_names, *LINEAGE_COLUMNS]
        assert manifest.output_key.startswith(f"batch/{table.name}/ingest_date=")
        assert manifest.output_key.endswith(f"/{manifest.source_sha256}.parquet")
        lineage = parquet.select(list(LINEAGE_COLUMNS)).to_pylist()
        assert {row["_source_key"] for row in lineage} == {source.key}
        assert [row["_source_row"] for row in lineage] == list(range(1, parquet.num_rows + 1))


def test_review_texts_and_zip_prefixes_round_trip_exactly(
    s3: Any, buckets: tuple[str, str], olist_sample_dir: Path
) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    checks = {
        "order_reviews": ("review_id", "order_id", "review_comment_title", "review_comment_message"),
        "customers": ("customer_zip_code_prefix", "customer_city"),
        "sellers": ("seller_zip_code_prefix", "seller_city"),
        "geolocation": ("geolocation_zip_code_prefix", "geolocation_city"),
    }
    for name, columns in checks.items():
        table = TABLES[name]
        data = (olist_sample_dir / table.file_name).read_bytes()
        result = ingest_file(land(s3, landing, f"{name}/{table.file_name}", data), bronze)
        parquet = pq.read_table(io.BytesIO(bronze.read_bytes(result.manifest.output_key)))
        originals = csv_rows(data)
        for column in columns:
            position = table.column_names.index(column)
            expected = [(row[position] or None) for row in originals]
            assert parquet.column(column).to_pylist() == expected, f"{name}.{column}"
    zips = pq.read_table(
        io.BytesIO(bronze.read_bytes(bronze.list_keys("batch/geolocation/")[0])),
        columns=["geolocation_zip_code_prefix"],
    ).column(0)
    assert "01037" in zips.to_pylist()


def test_multiline_crlf_review_messages_are_kept_byte_for_byte(
    s3: Any, buckets: tuple[str, str], olist_sample_dir: Path
) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    table = TABLES["order_reviews"]
    data = (olist_sample_dir / table.file_name).read_bytes()
    result = ingest_file(land(s3, landing, f"order_reviews/{table.file_name}", data), bronze)
    messages = pq.read_table(io.BytesIO(bronze.read_bytes(result.manifest.output_key))).column("review_comment_message")
    multiline = [m for m in messages.to_pylist() if m and "\r\n" in m]
    assert len(multiline) >= 200
    # In the file each one is a quoted field (quotes doubled) with its CRLFs inside.
    assert all(b'"' + m.replace('"', '""').encode() + b'"' in data for m in multiline)


def test_arrow_and_csv_readers_give_identical_bronze(tmp_path: Path, olist_sample_dir: Path) -> None:
    ingested_at = datetime(2024, 1, 1, tzinfo=UTC)
    for table in TABLES.values():
        path = olist_sample_dir / table.file_name
        tables = []
        for name, batches in (
            ("arrow", lambda stream, t=table: arrow_batches(stream, t, block_bytes=64 * 1024)),
            ("csv", lambda stream, t=table, p=path: csv_batches(stream, t, p.name, True, batch_rows=1000)),
        ):
            work = tmp_path / table.name / name
            work.mkdir(parents=True)
            loader = FileLoader(table, work, f"{table.name}/x.csv", ingested_at)
            with open(path, "rb") as stream:
                for item in batches(stream):
                    loader.take(item)
            loader.close()
            tables.append(pq.read_table(loader.parquet_path))
        assert tables[0].equals(tables[1]), table.name


# --- idempotency ----------------------------------------------------------------------------------------------


def test_same_file_twice_gives_identical_bronze(s3: Any, buckets: tuple[str, str], olist_sample_dir: Path) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    for table in TABLES.values():
        s3.put_object(
            Bucket=landing,
            Key=f"{table.name}/{table.file_name}",
            Body=(olist_sample_dir / table.file_name).read_bytes(),
        )
    first = ingest_landing(s3, landing, "", bronze)
    before = snapshot(bronze)
    second = ingest_landing(s3, landing, "", bronze)
    assert first.ok and second.ok
    assert all(not r.skipped for r in first.results) and all(r.skipped for r in second.results)
    assert snapshot(bronze) == before

    # The same bytes dropped again under another key are recognised by their checksum.
    orders = TABLES["orders"]
    again = land(s3, landing, "orders/resent/orders-copy.csv", (olist_sample_dir / orders.file_name).read_bytes())
    result = ingest_file(again, bronze)
    assert result.skipped and result.manifest.source_key == f"orders/{orders.file_name}"
    assert snapshot(bronze) == before


def test_listing_a_landing_bucket_skips_what_the_lambda_skips(
    s3: Any, buckets: tuple[str, str], olist_sample_dir: Path
) -> None:
    landing, bronze_bucket = buckets
    sellers = TABLES["sellers"]
    body = (olist_sample_dir / sellers.file_name).read_bytes()
    s3.put_object(Bucket=landing, Key=f"sellers/{sellers.file_name}", Body=body)
    s3.put_object(Bucket=landing, Key=f"{REPLAY_PREFIX}/2026-11-25/{TABLES['orders'].file_name}", Body=b"not read")
    s3.put_object(Bucket=landing, Key="sellers/", Body=b"")
    report = ingest_landing(s3, landing, "", S3Bronze(s3, bronze_bucket))
    assert report.ok, report.failures
    assert [result.manifest.source_key for result in report.results] == [f"sellers/{sellers.file_name}"]


def test_cli_into_local_folder_is_idempotent_and_prints_a_summary(
    tmp_path: Path, olist_sample_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bronze"
    assert main(["--source-dir", str(olist_sample_dir), "--bronze-dir", str(out), "--log-level", "WARNING"]) == 0
    summary = capsys.readouterr().out
    assert "order_reviews" in summary and "6123" in summary
    files = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main(["--source-dir", str(olist_sample_dir), "--bronze-dir", str(out), "--log-level", "WARNING"]) == 0
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == files


def test_cli_into_s3_with_endpoint(ingestion_s3: str, s3: Any, buckets: tuple[str, str], tmp_path: Path) -> None:
    _, bronze_bucket = buckets
    generate(GeneratorConfig(orders=200, seed=3), tmp_path)
    with pytest.MonkeyPatch.context() as env:
        for name, value in CREDENTIALS.items():
            env.setenv(name, value)
        code = main(["--source-dir", str(tmp_path), "--bronze", f"s3://{bronze_bucket}", "--s3-endpoint", ingestion_s3])
    assert code == 0
    bronze = S3Bronze(s3, bronze_bucket)
    manifests = {m["table"]: m for key in bronze.list_keys("manifests/") if (m := bronze.read_json(key))}
    assert manifests.keys() == TABLES.keys()
    for name, table in TABLES.items():
        manifest = manifests[name]
        assert manifest["status"] == "loaded", manifest
        assert manifest["rows_read"] == len(csv_rows((tmp_path / table.file_name).read_bytes())), name
        assert manifest["rows_loaded"] + manifest["rows_quarantined"] == manifest["rows_read"], name
        assert (
            pq.read_metadata(io.BytesIO(bronze.read_bytes(manifest["output_key"]))).num_rows == manifest["rows_loaded"]
        )


# --- bad inputs -----------------------------------------------------------------------------------------------

ITEMS = TABLES["order_items"]
ITEMS_HEADER = b'"order_id","order_item_id","product_id","seller_id","shipping_limit_date","price","freight_value"\n'


def item_row(order: int, item: int = 1, *, date: str = "2017-09-19 09:45:35", price: str = "58.90") -> bytes:
    return (
        f'"{order:032x}",{item},a244733e06e7ecb4970a6e2683c13e61,b8436dade18ac8b2bce089ec2a041202,{date},{price},13.29\n'
    ).encode()


GOOD_ROWS = b"".join(item_row(order) for order in range(1, 6))

# (name, file content, expected row-level reason fragment, column)
ROW_LEVEL_CASES = [
    ("extra_column", item_row(10).rstrip(b"\n") + b",surplus\n", "extra column value(s) ['surplus']", None),
    ("bad_timestamp", item_row(10, date="2017-13-45 25:61:00"), "is not a valid timestamp", "shipping_limit_date"),
    ("non_numeric_price", item_row(10, price="R$ 10"), "non-numeric amount 'R$ 10'", "price"),
    ("negative_price", item_row(10, price="-3.00"), "negative amount -3.00", "price"),
    ("duplicate_primary_key", item_row(1), "duplicate primary key (order_id, order_item_id)", "order_id"),
    (
        "oversized_field",
        item_row(10).replace(b"a244733e", b"a244733e" * 5),
        "oversized value: 64 characters, the maximum is 32",
        "product_id",
    ),
    ("missing_required_value", item_row(10).replace(b",58.90,", b",,"), "missing required value", "price"),
]


@pytest.mark.parametrize(("name", "bad_row", "reason", "column"), ROW_LEVEL_CASES, ids=[c[0] for c in ROW_LEVEL_CASES])
def test_row_level_problems_are_quarantined_with_their_reason(
    s3: Any, buckets: tuple[str, str], name: str, bad_row: bytes, reason: str, column: str | None
) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    data = ITEMS_HEADER + GOOD_ROWS + bad_row + item_row(20)
    result = ingest_file(land(s3, landing, f"order_items/{name}.csv", data), bronze)
    manifest = result.manifest
    assert result.ok
    assert (manifest.rows_read, manifest.rows_loaded, manifest.rows_quarantined) == (7, 6, 1)
    [entry] = quarantine_entries(bronze, result)
    assert entry["row"] == 6 and entry["column"] == column and reason in entry["reason"], entry
    # Nothing lost: the quarantined raw values are the original fields.
    original = csv_rows(data)[5]
    assert [entry["raw"][k] or "" for k in entry["raw"]] == original
    loaded = pq.read_table(io.BytesIO(bronze.read_bytes(manifest.output_key)))
    assert loaded.column("_source_row").to_pylist() == [1, 2, 3, 4, 5, 7]


def test_duplicate_key_reason_names_the_first_row(s3: Any, buckets: tuple[str, str]) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    result = ingest_file(land(s3, landing, "order_items/dup.csv", ITEMS_HEADER + GOOD_ROWS + item_row(3)), bronze)
    [entry] = quarantine_entries(bronze, result)
    assert "row 3 of this file already has it" in entry["reason"]


def test_truncated_last_record_is_quarantined_as_truncated(s3: Any, buckets: tuple[str, str]) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    data = ITEMS_HEADER + GOOD_ROWS + item_row(9)[:50]
    result = ingest_file(land(s3, landing, "order_items/cut.csv", data), bronze)
    assert (result.manifest.rows_read, result.manifest.rows_loaded, result.manifest.rows_quarantined) == (6, 5, 1)
    [entry] = quarantine_entries(bronze, result)
    assert entry["reason"].startswith("truncated last record") and entry["line"] == 7


# (name, file content, expected error kind, reason fragment)
FILE_LEVEL_CASES = [
    ("empty_file", b"", "empty_file", "empty file"),
    ("header_only", ITEMS_HEADER, "header_only", "no data rows"),
    (
        "wrong_header",
        ITEMS_HEADER.replace(b'"price"', b'"preco"') + GOOD_ROWS,
        "header_mismatch",
        "missing columns ['price']",
    ),
    ("missing_header", GOOD_ROWS, "header_mismatch", "header row is missing"),
    (
        "invalid_utf8",
        ITEMS_HEADER + GOOD_ROWS + item_row(9).replace(b"a2447", b"a\xff\xfe47"),
        "invalid_utf8",
        "invalid UTF-8",
    ),
    (
        "unterminated_quote",
        ITEMS_HEADER + GOOD_ROWS + b'"0000000000000000000000000000000a,1,x,y\n',
        "malformed_csv",
        "unterminated quoted field",
    ),
    (
        "text_after_closing_quote",
        ITEMS_HEADER + GOOD_ROWS + b'"ab"cd,1,x,y,2017-09-19 09:45:35,1.00,1.00\n',
        "malformed_csv",
        "broken CSV quoting",
    ),
]


@pytest.mark.parametrize(("name", "data", "kind", "reason"), FILE_LEVEL_CASES, ids=[c[0] for c in FILE_LEVEL_CASES])
def test_file_level_problems_reject_the_file_and_keep_its_bytes(
    s3: Any, buckets: tuple[str, str], name: str, data: bytes, kind: str, reason: str
) -> None:
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    result = ingest_file(land(s3, landing, f"order_items/{name}.csv", data), bronze)
    manifest = result.manifest
    assert not result.ok and manifest.status == "rejected"
    assert manifest.error is not None and manifest.error.kind == kind and reason in manifest.error.reason
    assert manifest.rows_loaded == 0 and manifest.rows_read == manifest.rows_quarantined
    assert manifest.output_key is None and not bronze.list_keys("batch/")
    assert bronze.read_bytes(manifest.rejected_copy_key) == data
    [entry] = quarantine_entries(bronze, result)
    assert entry["kind"] == kind and entry["rejected_copy_key"] == manifest.rejected_copy_key
    # Retrying the same bytes finds the rejection again (and the Lambda keeps failing, so the event reaches the DLQ).
    again = ingest_file(land(s3, landing, f"order_items/{name}-again.csv", data), bronze)
    assert again.skipped and not again.ok


def test_unknown_table_prefix_is_a_clear_error(s3: Any, buckets: tuple[str, str]) -> None:
    landing, bronze_bucket = buckets
    source = land(s3, landing, "invoices/2024.csv", ITEMS_HEADER + GOOD_ROWS)
    with pytest.raises(UnknownTable, match=r"'invoices/2024.csv' is not under a table prefix.*order_items/"):
        ingest_file(source, S3Bronze(s3, bronze_bucket))


def test_bad_input_suite_covers_at_least_twelve_kinds() -> None:
    kinds = (
        {c[0] for c in ROW_LEVEL_CASES} | {c[0] for c in FILE_LEVEL_CASES} | {"truncated_last_record", "unknown_table"}
    )
    assert len(kinds) >= 12


# --- the Lambda handler ---------------------------------------------------------------------------------------


def s3_event(bucket: str, keys: list[str]) -> dict[str, Any]:
    """An S3 ObjectCreated notification as S3 sends it: keys URL-encoded (spaces as '+')."""
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2024-05-01T12:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "landing-created",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "EXAMPLE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": {
                        "key": quote_plus(key, safe="/"),
                        "size": 1,
                        "eTag": "x",
                        "sequencer": "0A1B2C3D4E5F678901",
                    },
                },
            }
            for key in keys
        ]
    }


@pytest.fixture
def lambda_environment(ingestion_s3: str, buckets: tuple[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as env:
        for name, value in CREDENTIALS.items():
            env.setenv(name, value)
        env.setenv("AWS_ENDPOINT_URL_S3", ingestion_s3)
        env.setenv("BRONZE_BUCKET", buckets[1])
        env.setenv("LOG_LEVEL", "WARNING")
        yield


def test_handler_ingests_the_objects_of_a_real_s3_event(
    s3: Any, buckets: tuple[str, str], olist_sample_dir: Path, lambda_environment: None
) -> None:
    landing, bronze_bucket = buckets
    keys = ["order_reviews/export 2018+05 (1).csv", "sellers/olist_sellers_dataset.csv"]
    s3.put_object(Bucket=landing, Key=keys[0], Body=(olist_sample_dir / TABLES["order_reviews"].file_name).read_bytes())
    s3.put_object(Bucket=landing, Key=keys[1], Body=(olist_sample_dir / TABLES["sellers"].file_name).read_bytes())
    response = handler(s3_event(landing, keys), LambdaContext())
    assert [(f["source_key"], f["rows_loaded"], f["skipped"]) for f in response["files"]] == [
        (keys[0], 6123, False),
        (keys[1], 3095, False),
    ]
    assert len(S3Bronze(s3, bronze_bucket).list_keys("batch/")) == 2
    # At-least-once delivery: the same event again changes nothing.
    before = snapshot(S3Bronze(s3, bronze_bucket))
    assert all(f["skipped"] for f in handler(s3_event(landing, keys), LambdaContext())["files"])
    assert snapshot(S3Bronze(s3, bronze_bucket)) == before


def test_handler_raises_after_trying_every_record(s3: Any, buckets: tuple[str, str], lambda_environment: None) -> None:
    landing, bronze_bucket = buckets
    s3.put_object(Bucket=landing, Key="unknown/x.csv", Body=ITEMS_HEADER + GOOD_ROWS)
    s3.put_object(Bucket=landing, Key="order_items/ok.csv", Body=ITEMS_HEADER + GOOD_ROWS)
    s3.put_object(Bucket=landing, Key="order_items/empty.csv", Body=b"")
    with pytest.raises(IngestionFailed) as failed:
        handler(s3_event(landing, ["unknown/x.csv", "order_items/ok.csv", "order_items/empty.csv"]), LambdaContext())
    message = str(failed.value)
    assert "unknown/x.csv" in message and "is not under a table prefix" in message
    assert "REJECTED order_items/empty.csv: empty file" in message
    assert len(S3Bronze(s3, bronze_bucket).list_keys("batch/order_items/")) == 1


def test_handler_logs_json_lines_with_the_fields_and_the_invocation_ids(
    s3: Any,
    buckets: tuple[str, str],
    olist_sample_dir: Path,
    lambda_environment: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Powertools' inject_lambda_context adds the context's request id as `function_request_id` and the value at
    # `correlation_id_path` as `correlation_id`; `clear_state` drops the previous invocation's keys.
    # https://docs.aws.amazon.com/powertools/python/latest/core/logger/
    monkeypatch.setenv("LOG_LEVEL", "INFO")
    landing, _ = buckets
    keys = ["sellers/olist_sellers_dataset.csv", "unknown/x.csv"]
    s3.put_object(Bucket=landing, Key=keys[0], Body=(olist_sample_dir / TABLES["sellers"].file_name).read_bytes())
    s3.put_object(Bucket=landing, Key=keys[1], Body=ITEMS_HEADER + GOOD_ROWS)
    event = s3_event(landing, keys)
    event["Records"][0]["responseElements"]["x-amz-request-id"] = "C3D13FE58DE4C810"
    context = LambdaContext()
    with pytest.raises(IngestionFailed):
        handler(event, context)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    by_message = {line["message"]: line for line in lines}
    ingested = by_message["file_ingested"]
    assert (ingested["level"], ingested["table"], ingested["source_key"]) == ("INFO", "sellers", keys[0])
    assert ingested["rows_loaded"] == 3095 and ingested["parser"] == "arrow"
    refused = by_message["file_refused"]
    assert (refused["level"], refused["source_key"], refused["source_bucket"]) == ("ERROR", keys[1], landing)
    for line in lines:
        assert line["service"] == "olist-ingestion" and line["function_request_id"] == context.aws_request_id
        assert line["correlation_id"] == "C3D13FE58DE4C810" and line["cold_start"] in (True, False)

    # The DAG's events carry no upload request id: the next invocation's lines have none, and its own request id.
    dag_event = {"Records": [{"s3": {"bucket": {"name": landing}, "object": {"key": "replay/run-1/x.csv"}}}]}
    later = LambdaContext()
    handler(dag_event, later)
    [skipped] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert skipped["message"] == "file_skipped" and skipped["function_request_id"] == later.aws_request_id
    assert "correlation_id" not in skipped


def test_handler_leaves_the_producers_replay_sources_alone(
    s3: Any, buckets: tuple[str, str], lambda_environment: None
) -> None:
    landing, bronze_bucket = buckets
    s3.put_object(Bucket=landing, Key="replay/run-1/olist_order_items_dataset.csv", Body=ITEMS_HEADER + GOOD_ROWS)
    response = handler(s3_event(landing, ["replay/run-1/olist_order_items_dataset.csv"]), LambdaContext())
    assert response == {"files": []}
    assert S3Bronze(s3, bronze_bucket).list_keys("") == []


def test_handler_requires_the_bronze_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BRONZE_BUCKET", raising=False)
    with pytest.raises(RuntimeError, match="BRONZE_BUCKET is not set"):
        handler({"Records": []}, LambdaContext())


# --- transient S3 errors --------------------------------------------------------------------------------------


def test_transient_s3_errors_are_retried(
    ingestion_s3: str, buckets: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    landing, bronze_bucket = buckets
    client = make_client(ingestion_s3, max_attempts=1)
    failures = {"PutObject": 3, "GetObject": 3}

    def flaky(request: Any, event_name: str, **_: Any) -> None:
        operation = event_name.rsplit(".", 1)[-1]
        if failures.get(operation, 0) > 0:
            failures[operation] -= 1
            raise ConnectionClosedError(endpoint_url=request.url)

    source = land(client, landing, "order_items/flaky.csv", ITEMS_HEADER + GOOD_ROWS)
    client.meta.events.register("before-send.s3.*", flaky)
    result = ingest_file(source, S3Bronze(client, bronze_bucket))
    assert result.ok and result.manifest.rows_loaded == 5
    assert failures == {"PutObject": 0, "GetObject": 0}
    retries = [json.loads(line) for line in capsys.readouterr().err.splitlines() if '"s3_retry"' in line]
    # botocore may absorb some failures itself; the rest must have gone through the tenacity policy.
    assert {r["operation"] for r in retries} == {"S3Source.open", "S3Bronze.put_file"}


def test_persistent_s3_errors_raise(ingestion_s3: str, buckets: tuple[str, str]) -> None:
    landing, bronze_bucket = buckets
    client = make_client(ingestion_s3, max_attempts=1)
    source = land(client, landing, "order_items/down.csv", ITEMS_HEADER + GOOD_ROWS)

    def down(request: Any, **_: Any) -> None:
        raise ConnectionClosedError(endpoint_url=request.url)

    client.meta.events.register("before-send.s3.PutObject", down)
    with pytest.raises(ConnectionClosedError):
        ingest_file(source, S3Bronze(client, bronze_bucket))
    assert not S3Bronze(make_client(ingestion_s3), bronze_bucket).list_keys("manifests/")


# --- local folders and the quoting scan -----------------------------------------------------------------------


def test_directory_routing_by_file_name_and_table_folder(tmp_path: Path) -> None:
    source = tmp_path / "landing"
    (source / "order_items").mkdir(parents=True)
    (source / "order_items" / "part-1.csv").write_bytes(ITEMS_HEADER + GOOD_ROWS)
    (source / "olist_order_items_dataset.csv").write_bytes(ITEMS_HEADER + item_row(40))
    (source / "notes.txt").write_text("ignored")
    (source / "mystery.csv").write_bytes(ITEMS_HEADER)
    report = ingest_directory(source, LocalBronze(tmp_path / "bronze"))
    assert sorted(r.manifest.source_key for r in report.results) == [
        "order_items/olist_order_items_dataset.csv",
        "order_items/part-1.csv",
    ]
    assert not report.ok and "mystery.csv" in report.failures[0].source
    assert report.by_table()["order_items"].rows_loaded == 6


@pytest.mark.parametrize(
    ("data", "plain"),
    [
        (b'"a","b"\r\n"1","x ""y"" z"\r\n', True),
        (b'\xef\xbb\xbf"a",b\r\n1,"multi\r\nline"', True),
        (b'a,b\n"open,1\n', False),
        (b'a,b\n"x"y,1\n', False),
        (b'a,b\nx"y,1\n', False),
    ],
)
def test_quoting_scan_sends_only_plain_files_to_arrow(data: bytes, plain: bool) -> None:
    assert scan(io.BytesIO(data)).plain_quoting is plain


def test_local_source_keys_and_sha(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(ITEMS_HEADER + GOOD_ROWS)
    result = ingest_file(LocalSource(path, "order_items/x.csv"), LocalBronze(tmp_path / "bronze"))
    table = pq.read_table(tmp_path / "bronze" / result.manifest.output_key)
    assert table.schema.field("price").type == pa.decimal128(12, 2)
    assert table.schema.field("order_item_id").type == pa.int32()
    assert table.schema.field("shipping_limit_date").type == pa.timestamp("ms")


def test_duplicate_keys_are_found_across_batches_and_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(KeyIndex, "RUN_CAP", 64)
    index = KeyIndex()
    found: dict[int, int] = {}
    keys = [f"{i % 500:032x}" for i in range(1000)]  # rows 501..1000 repeat rows 1..500
    for start in range(0, 1000, 37):
        chunk = keys[start : start + 37]
        rows = np.arange(start + 1, start + 1 + len(chunk))
        duplicates = index.add([pa.array(chunk), pa.array([1] * len(chunk), pa.int32())], rows)
        found.update(zip(rows[duplicates.positions].tolist(), duplicates.first_rows.tolist(), strict=True))
    assert found == {row: row - 500 for row in range(501, 1001)}
    assert len(index._runs) > 1


def test_cli_exits_non_zero_on_a_rejected_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "landing"
    source.mkdir()
    (source / "olist_order_items_dataset.csv").write_bytes(ITEMS_HEADER)
    code = main(["--source-dir", str(source), "--bronze-dir", str(tmp_path / "bronze"), "--log-level", "ERROR"])
    assert code == 1
    assert "REJECTED order_items/olist_order_items_dataset.csv: header only" in capsys.readouterr().out


# --- which day a file's output is partitioned by ---------------------------------------------------------------


def test_a_file_is_partitioned_by_the_day_it_is_ingested_not_the_day_it_landed(
    s3: Any, buckets: tuple[str, str]
) -> None:
    """dbt reads Bronze incrementally by ingestion time, pruning the `ingest_date` partitions before its watermark.
    A file partitioned by the day it landed, and ingested a day or more later (a failed ingestion fixed the next
    morning), sat in a partition every later run pruned: its rows never reached Silver (test_dbt_local.py has the
    whole story)."""
    landing, bronze_bucket = buckets
    source = land(s3, landing, "order_items/late.csv", ITEMS_HEADER + GOOD_ROWS)
    ingested_at = datetime.now(UTC) + timedelta(days=2)
    result = ingest_file(source, S3Bronze(s3, bronze_bucket), clock=lambda: ingested_at)
    partition = f"ingest_date={ingested_at.date().isoformat()}/"
    assert result.ok and partition in result.manifest.output_key
    assert result.manifest.ingest_date == ingested_at.date().isoformat()


class CrashBeforeManifest(S3Bronze):
    """A Bronze whose writer stops after the file's objects, before the manifest that commits them."""

    def put_bytes(self, key: str, data: bytes) -> None:
        if key.startswith("manifests/"):
            raise RuntimeError("the function stopped here")
        super().put_bytes(key, data)


@pytest.mark.parametrize("retry_after", [timedelta(minutes=1), timedelta(days=1)], ids=["same day", "next day"])
def test_a_retry_after_a_crash_commits_the_file_in_the_day_it_runs(
    s3: Any, buckets: tuple[str, str], retry_after: timedelta
) -> None:
    """The same day, a retry writes over what the crashed attempt left; a later day, it writes its own partition,
    and the crashed attempt's objects stay uncommitted beside it (Silver keeps one row per key)."""
    landing, bronze_bucket = buckets
    bronze = S3Bronze(s3, bronze_bucket)
    source = land(s3, landing, "order_items/crash.csv", ITEMS_HEADER + GOOD_ROWS + item_row(10, price="-3.00"))
    crashed_at = datetime(2026, 12, 1, 22, 0, tzinfo=UTC)
    with pytest.raises(RuntimeError, match="stopped here"):
        ingest_file(source, CrashBeforeManifest(s3, bronze_bucket), clock=lambda: crashed_at)
    left = bronze.list_keys()
    assert len(left) == 2 and all("/ingest_date=2026-12-01/" in key for key in left)

    retried_at = crashed_at + retry_after
    result = ingest_file(source, bronze, clock=lambda: retried_at)
    manifest = result.manifest
    assert result.ok and (manifest.rows_loaded, manifest.rows_quarantined) == (5, 1)
    committed = [manifest.output_key, manifest.quarantine_key]
    assert all(f"/ingest_date={retried_at.date().isoformat()}/" in key for key in committed)
    outputs = {key for key in bronze.list_keys() if not key.startswith("manifests/")}
    assert outputs == set(left) | set(committed)
