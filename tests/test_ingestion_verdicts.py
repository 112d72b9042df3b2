"""Every file gets a verdict, gzip exports, and row-level problems that stay row-level (issue 14, items 2 and 3).

The CLI cases run `python -m lambdas.ingestion` in a subprocess, as a user would, and assert what it prints and
its exit code; the Lambda cases push landing objects through `handler.ingest_objects` on the local S3 server.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pyarrow.parquet as pq
import pytest

from contracts.olist import TABLES
from lambdas.ingestion.handler import ingest_objects
from lambdas.ingestion.ingest import ingest_file
from lambdas.ingestion.storage import LocalBronze, LocalSource, S3Bronze
from tests.fixtures.olist_data import REPO_ROOT
from tests.fixtures.s3 import S3_ENVIRONMENT, s3_server

REVIEWS = TABLES["order_reviews"]
ITEMS = TABLES["order_items"]
ITEMS_HEADER = b'"order_id","order_item_id","product_id","seller_id","shipping_limit_date","price","freight_value"\n'
REVIEWS_HEADER = (
    b'"review_id","order_id","review_score","review_comment_title","review_comment_message",'
    b'"review_creation_date","review_answer_timestamp"\n'
)


def item_row(order: int) -> bytes:
    return f'"{order:032x}",1,{"a" * 32},{"b" * 32},2017-09-19 09:45:35,58.90,13.29\n'.encode()


def review_row(review: int, message: str = "bom") -> bytes:
    return f'"{review:032x}","{review:032x}",5,,"{message}",2018-01-18 00:00:00,2018-01-18 21:46:59\n'.encode()


def ingestion_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lambdas.ingestion", *args, "--log-level", "CRITICAL"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def bronze_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def manifests(root: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_bytes()) for p in sorted((root / "manifests").rglob("*.json"))]


# --- every file gets a verdict (item 2) -----------------------------------------------------------------------


def test_every_file_of_a_source_folder_is_listed_with_its_verdict(tmp_path: Path) -> None:
    source = tmp_path / "export"
    source.mkdir()
    (source / ITEMS.file_name).write_bytes(ITEMS_HEADER + item_row(1))
    (source / "README.md").write_text("notes")
    (source / "olist_sellers_dataset.xlsx").write_bytes(b"PK\x03\x04 not a csv")
    (source / "olist_order_item_dataset.csv").write_bytes(ITEMS_HEADER + item_row(2))  # misspelt
    (source / "brazilian-ecommerce.zip").write_bytes(b"PK\x03\x04")
    (source / "scratch").mkdir()
    (source / "scratch" / "x.csv").write_bytes(b"a\n1\n")
    result = ingestion_cli("--source-dir", str(source), "--bronze-dir", str(tmp_path / "bronze"))
    out = result.stdout
    assert result.returncode == 1, out + result.stderr
    assert f"{source / 'README.md'}: not read: not a CSV (.md); the ingestion reads .csv and .csv.gz files" in out
    assert (
        f"FAILED {source / 'olist_sellers_dataset.xlsx'}: the file is named like the Olist file of table 'sellers' "
        "but is not a CSV (.xlsx): export it as CSV (.csv, or gzipped .csv.gz)"
    ) in out
    assert (
        f"FAILED {source / 'olist_order_item_dataset.csv'}: 'olist_order_item_dataset.csv' is not an Olist file name "
        "(did you mean 'olist_order_items_dataset.csv'?)"
    ) in out
    assert (
        f"FAILED {source / 'brazilian-ecommerce.zip'}: a .zip archive is not read: unzip it (the Kaggle download "
        "holds the 9 CSVs) or gzip each CSV (.csv.gz)"
    ) in out
    assert f"{source / 'scratch'}/: not read: a folder not named after a table" in out
    # The good file still went in.
    assert [m["source_key"] for m in manifests(tmp_path / "bronze")] == [f"order_items/{ITEMS.file_name}"]


def test_a_folder_with_nothing_to_ingest_is_not_a_success(tmp_path: Path) -> None:
    source = tmp_path / "export"
    source.mkdir()
    (source / "README.md").write_text("notes")
    result = ingestion_cli("--source-dir", str(source), "--bronze-dir", str(tmp_path / "bronze"))
    assert result.returncode == 1, result.stdout + result.stderr
    nothing = (
        f"NOTHING INGESTED: {source} holds no Olist CSV (.csv and .csv.gz files named as Olist files or under <table>/)"
    )
    assert nothing in result.stdout


@pytest.fixture(scope="module")
def landing_s3() -> Iterator[Any]:
    with s3_server() as endpoint, pytest.MonkeyPatch.context() as env:
        for name, value in S3_ENVIRONMENT.items():
            env.setenv(name, value)
        yield boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")


@pytest.mark.slow
def test_the_lambda_gives_landing_objects_the_same_verdicts(landing_s3: Any) -> None:
    s3 = landing_s3
    landing, bronze = f"landing-{uuid.uuid4().hex[:8]}", f"bronze-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=landing)
    s3.create_bucket(Bucket=bronze)
    objects = {
        "order_items/2024-01.csv.gz": gzip.compress(ITEMS_HEADER + item_row(1)),
        "order_items/2024-01.xlsx": b"PK\x03\x04",
        "order_items/archive.zip": b"PK\x03\x04",
    }
    for key, body in objects.items():
        s3.put_object(Bucket=landing, Key=key, Body=body)
    report = ingest_objects(s3, ((landing, key) for key in objects), S3Bronze(s3, bronze))
    assert [r.manifest.source_key for r in report.results if r.ok] == ["order_items/2024-01.csv.gz"]
    failures = {failure.source: failure.error for failure in report.failures}
    assert failures == {
        f"s3://{landing}/order_items/2024-01.xlsx": "not a CSV (.xlsx): export it as CSV (.csv, or gzipped .csv.gz)",
        f"s3://{landing}/order_items/archive.zip": (
            "a .zip archive is not read: unzip it (the Kaggle download holds the 9 CSVs) or gzip each CSV (.csv.gz)"
        ),
    }


# --- gzip exports ---------------------------------------------------------------------------------------------


def test_a_gzipped_export_gives_the_same_bronze_as_the_plain_file(tmp_path: Path, olist_sample_dir: Path) -> None:
    # The reviews: multi-line CRLF messages, the hardest file to read alike.
    plain_dir, gzip_dir = tmp_path / "plain", tmp_path / "gzip"
    plain_dir.mkdir()
    gzip_dir.mkdir()
    data = (olist_sample_dir / REVIEWS.file_name).read_bytes()
    (plain_dir / REVIEWS.file_name).write_bytes(data)
    (gzip_dir / f"{REVIEWS.file_name}.gz").write_bytes(gzip.compress(data, mtime=0))
    for folder in (plain_dir, gzip_dir):
        result = ingestion_cli("--source-dir", str(folder), "--bronze-dir", str(folder / "bronze"))
        assert result.returncode == 0, result.stdout + result.stderr
    [plain], [gzipped] = manifests(plain_dir / "bronze"), manifests(gzip_dir / "bronze")
    assert gzipped["source_key"] == f"order_reviews/{REVIEWS.file_name}.gz"
    # The file's identity is the CSV it holds: same sha256, same rows, same Parquet apart from the source key.
    assert gzipped["source_sha256"] == plain["source_sha256"] and gzipped["source_bytes"] == len(data)
    assert (gzipped["rows_read"], gzipped["rows_loaded"]) == (plain["rows_read"], plain["rows_loaded"]) == (6123, 6123)
    plain_table = pq.read_table(plain_dir / "bronze" / plain["output_key"])
    gzip_table = pq.read_table(gzip_dir / "bronze" / gzipped["output_key"])
    assert gzip_table.drop_columns(["_source_key", "_ingested_at"]).equals(
        plain_table.drop_columns(["_source_key", "_ingested_at"])
    )
    assert set(gzip_table.column("_source_key").to_pylist()) == {f"order_reviews/{REVIEWS.file_name}.gz"}


def test_a_decompression_bomb_is_rejected_not_expanded(tmp_path: Path) -> None:
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", mtime=0) as stream:
        stream.write(ITEMS_HEADER)
        for _ in range(300):
            stream.write(b"\0" * 2**20)
    path = tmp_path / "bomb.csv.gz"
    path.write_bytes(bomb.getvalue())
    result = ingest_file(LocalSource(path, "order_items/bomb.csv.gz"), LocalBronze(tmp_path / "bronze"))
    error = result.manifest.error
    assert not result.ok and error is not None and error.kind == "decompression_limit"
    assert error.reason.startswith(f"the gzip file expands beyond 64 MiB and 100 times its {path.stat().st_size} bytes")
    # The rejected copy is the object as it landed, not its expansion.
    assert (tmp_path / "bronze" / result.manifest.rejected_copy_key).read_bytes() == bomb.getvalue()


def test_a_corrupt_gzip_file_is_rejected_with_its_reason(tmp_path: Path) -> None:
    path = tmp_path / "cut.csv.gz"
    path.write_bytes(gzip.compress(ITEMS_HEADER + item_row(1) * 2000)[:500])
    result = ingest_file(LocalSource(path, "order_items/cut.csv.gz"), LocalBronze(tmp_path / "bronze"))
    error = result.manifest.error
    assert not result.ok and error is not None and error.kind == "invalid_gzip"
    assert error.reason.startswith("not a valid gzip file (truncated or corrupt):"), error.reason


# --- row-level problems stay row-level (item 3) ---------------------------------------------------------------


def test_a_field_of_megabytes_quarantines_its_row_and_loads_the_rest(tmp_path: Path) -> None:
    huge = "x" * (5 * 2**20)  # ten times Arrow's block, forty times the csv module's default field limit
    data = REVIEWS_HEADER + review_row(1) + review_row(2, huge) + b"".join(review_row(n) for n in range(3, 7))
    path = tmp_path / "reviews.csv"
    path.write_bytes(data)
    result = ingest_file(LocalSource(path, "order_reviews/reviews.csv"), LocalBronze(tmp_path / "bronze"))
    manifest = result.manifest
    assert result.ok, manifest.error
    assert (manifest.rows_read, manifest.rows_loaded, manifest.rows_quarantined) == (6, 5, 1)
    [entry] = [json.loads(line) for line in (tmp_path / "bronze" / manifest.quarantine_key).read_bytes().splitlines()]
    assert (entry["row"], entry["column"]) == (2, "review_comment_message")
    assert entry["reason"].startswith(f"oversized value: {len(huge)} characters, the maximum is 8192")
    assert entry["raw"]["review_comment_message"] == huge
    loaded = pq.read_table(tmp_path / "bronze" / manifest.output_key)
    assert loaded.column("_source_row").to_pylist() == [1, 3, 4, 5, 6]


# (name, file content, kind, the exact reason's start)
MESSAGE_CASES = [
    (
        "unclosed_quote_in_a_big_file",
        ITEMS_HEADER + item_row(1) * 5 + b'"0000000000000000000000000000000a,1,x,y\n' + item_row(2) * 20_000,
        "malformed_csv",
        "unclosed quote: the record starting on line 7 opens a quote that is never closed",
    ),
    (
        "semicolon_separated_export",
        ITEMS_HEADER.replace(b",", b";") + item_row(1).replace(b",", b";"),
        "wrong_delimiter",
        "wrong delimiter: the header is separated by ';', not ','; re-export the file with comma separators",
    ),
    (
        "unquoted_semicolon_separated_export",
        ITEMS_HEADER.replace(b'"', b"").replace(b",", b";") + item_row(1).replace(b",", b";").replace(b'"', b""),
        "wrong_delimiter",
        "wrong delimiter: the header is separated by ';', not ','; re-export the file with comma separators",
    ),
    (
        "tab_separated_export",
        ITEMS_HEADER.replace(b",", b"\t") + item_row(1).replace(b",", b"\t"),
        "wrong_delimiter",
        "wrong delimiter: the header is separated by tabs, not ','; re-export the file with comma separators",
    ),
    (
        "header_of_another_table",
        REVIEWS_HEADER + review_row(1),
        "header_mismatch",
        "header does not match table 'order_items': it is the header of table 'order_reviews'",
    ),
]


@pytest.mark.parametrize(("name", "data", "kind", "reason"), MESSAGE_CASES, ids=[c[0] for c in MESSAGE_CASES])
def test_file_level_rejections_say_what_is_wrong_in_the_users_terms(
    tmp_path: Path, name: str, data: bytes, kind: str, reason: str
) -> None:
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    result = ingest_file(LocalSource(path, f"order_items/{name}.csv"), LocalBronze(tmp_path / "bronze"))
    error = result.manifest.error
    assert not result.ok and error is not None
    assert (error.kind, error.reason[: len(reason)]) == (kind, reason), error.reason
