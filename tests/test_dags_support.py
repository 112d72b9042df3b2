"""The DAGs' support code (dags/keystone_dags) without Airflow: settings, drops and ledger, manifest verification."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from contracts import STREAMED_TABLES, TABLES, TableContract, layout
from localtwin.airflow.__main__ import main as airflow_cli
from localtwin.airflow.home import DAGS_FOLDER

sys.path.insert(0, str(DAGS_FOLDER))

from keystone_dags import settings
from keystone_dags.ingestion import (
    Drop,
    ManifestMismatch,
    new_drops,
    record_ingested,
    s3_event,
    verify_manifest,
)
from keystone_dags.quality_gate import mark_validated, new_bronze_objects
from keystone_dags.store import FolderStore, artifact_store

LANDING, BRONZE = "landing-bucket", "bronze-bucket"
MANIFEST_KEY = "manifests/orders/abc123.json"


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in list(__import__("os").environ):
        if key.startswith(("KEYSTONE_", "AIRFLOW__KEYSTONE__")):
            monkeypatch.delenv(key)
    monkeypatch.setenv("KEYSTONE_RUNTIME", "local")
    monkeypatch.setenv("KEYSTONE_LANDING_BUCKET", LANDING)
    monkeypatch.setenv("KEYSTONE_BRONZE_BUCKET", BRONZE)
    monkeypatch.setenv("KEYSTONE_ARTIFACTS_URI", str(tmp_path))
    return tmp_path


class FakeS3Hook:
    """The slice of the Amazon provider's S3Hook the support code uses, over a dict."""

    def __init__(self, objects: dict[tuple[str, str], bytes]) -> None:
        self.objects = objects
        self.listed: list[str] = []

    def list_keys(self, bucket: str, prefix: str) -> list[str]:
        self.listed.append(prefix)
        return sorted(k for b, k in self.objects if b == bucket and k.startswith(prefix))

    def check_for_key(self, key: str, bucket: str) -> bool:
        return (bucket, key) in self.objects

    def read_key(self, key: str, bucket: str) -> str:
        return self.objects[(bucket, key)].decode()

    def head_object(self, key: str, bucket: str) -> dict[str, Any] | None:
        body = self.objects.get((bucket, key))
        return None if body is None else {"ContentLength": len(body)}

    def get_conn(self) -> Any:
        hook = self

        class Paginator:
            def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, Any]]:
                keys = sorted(k for b, k in hook.objects if b == Bucket and k.startswith(Prefix))
                return [{"Contents": [{"Key": k, "ETag": f'"{len(hook.objects[(Bucket, k)])}"'} for k in keys]}]

        class Client:
            def get_paginator(self, name: str) -> Paginator:
                return Paginator()

        return Client()


def manifest(**changes: Any) -> dict[str, Any]:
    document = {
        "table": "orders",
        "status": "loaded",
        "rows_read": 10,
        "rows_loaded": 8,
        "rows_quarantined": 2,
        "output_key": "batch/orders/ingest_date=2026-01-01/abc123.parquet",
        "output_bytes": 5,
        "quarantine_key": "quarantine/orders/ingest_date=2026-01-01/abc123.jsonl",
    }
    return {**document, **changes}


def hook_with(document: dict[str, Any], parquet: bytes = b"12345") -> FakeS3Hook:
    return FakeS3Hook(
        {
            (BRONZE, MANIFEST_KEY): json.dumps(document).encode(),
            (BRONZE, "batch/orders/ingest_date=2026-01-01/abc123.parquet"): parquet,
            (BRONZE, "quarantine/orders/ingest_date=2026-01-01/abc123.jsonl"): b"{}\n{}\n",
        }
    )


RESULT = {"table": "orders", "sha256": "abc123", "rows_read": 10, "rows_loaded": 8, "rows_quarantined": 2}


def test_settings_come_from_keystone_variables_or_mwaa_configuration_options(
    environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = settings.load()
    assert (config.runtime, config.landing_bucket, config.artifacts_uri) == ("local", LANDING, str(environment))
    monkeypatch.delenv("KEYSTONE_BRONZE_BUCKET")
    monkeypatch.setenv("AIRFLOW__KEYSTONE__BRONZE_BUCKET", "from-mwaa")
    monkeypatch.setenv("AIRFLOW__KEYSTONE__ENVIRONMENT", "feature-x")
    assert settings.load().bronze_bucket == "from-mwaa"
    env = settings.keystone_environment()
    assert env["KEYSTONE_BRONZE_BUCKET"] == "from-mwaa" and env["KEYSTONE_SLUG"] == "feature-x"


def test_a_missing_setting_names_both_ways_to_set_it(environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYSTONE_LANDING_BUCKET")
    with pytest.raises(settings.SettingMissing, match=r"KEYSTONE_LANDING_BUCKET.*keystone\.landing_bucket"):
        settings.load()


def test_artifacts_default_to_the_artifacts_bucket_on_mwaa(environment: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYSTONE_ARTIFACTS_URI")
    monkeypatch.setenv("AIRFLOW__KEYSTONE__ARTIFACTS_BUCKET", "artifacts-bucket")
    assert settings.load().artifacts_uri == "s3://artifacts-bucket/airflow"
    with pytest.raises(ValueError, match="neither"):
        artifact_store("gs://elsewhere", "aws_default")


def test_a_drop_is_new_until_its_key_and_etag_are_in_the_ledger(tmp_path: Path) -> None:
    hook = FakeS3Hook({(LANDING, "orders/a.csv"): b"abc", (LANDING, "orders/"): b"", (LANDING, "sellers/b.csv"): b"x"})
    ledger = FolderStore(tmp_path)
    drops = new_drops(hook, LANDING, "", ledger)
    assert drops == [Drop("orders/a.csv", '"3"'), Drop("sellers/b.csv", '"1"')]
    record_ingested(ledger, drops[0], {"rows_read": 1})
    assert new_drops(hook, LANDING, "", ledger) == [drops[1]]
    assert new_drops(hook, LANDING, "orders/", ledger) == []
    hook.objects[(LANDING, "orders/a.csv")] = b"abcd"  # overwritten: a new ETag, so a new drop
    assert new_drops(hook, LANDING, "orders/", ledger) == [Drop("orders/a.csv", '"4"')]


def test_the_event_is_the_s3_notification_with_a_url_encoded_key() -> None:
    (record,) = s3_event(LANDING, "orders/2024 01+x.csv")["Records"]
    assert record["s3"] == {"bucket": {"name": LANDING}, "object": {"key": "orders/2024+01%2Bx.csv"}}


def test_a_manifest_accounting_for_every_row_verifies(environment: Path) -> None:
    verified = verify_manifest(hook_with(manifest()), settings.load(), Drop("orders/a.csv", '"e"'), RESULT)
    assert verified["rows_read"] == 10 and verified["manifest"] == MANIFEST_KEY


@pytest.mark.parametrize(
    ("changes", "parquet", "message"),
    [
        ({"rows_loaded": 7}, b"12345", "rows_read=10 but rows_loaded=7 + rows_quarantined=2 = 9"),
        ({}, None, "output_key s3://bronze-bucket/batch/orders/ingest_date=2026-01-01/abc123.parquet is missing"),
        ({}, b"123", "has 3 bytes, the manifest says 5"),
        ({"status": "rejected"}, b"12345", "status is 'rejected'"),
    ],
)
def test_a_manifest_that_does_not_add_up_fails_naming_file_and_counts(
    environment: Path, changes: dict[str, Any], parquet: bytes | None, message: str
) -> None:
    hook = hook_with(manifest(**changes), parquet or b"")
    if parquet is None:
        del hook.objects[(BRONZE, "batch/orders/ingest_date=2026-01-01/abc123.parquet")]
    result = {**RESULT, **{k: v for k, v in changes.items() if k.startswith("rows_")}}
    with pytest.raises(ManifestMismatch) as raised:
        verify_manifest(hook, settings.load(), Drop("orders/a.csv", '"e"'), result)
    assert str(raised.value).startswith(f"s3://{LANDING}/orders/a.csv: manifest s3://{BRONZE}/{MANIFEST_KEY}: ")
    assert message in str(raised.value)


def test_counts_reported_by_the_function_must_match_the_manifest(environment: Path) -> None:
    with pytest.raises(ManifestMismatch, match=r"reported read/loaded/quarantined=\(10, 9, 1\)"):
        verify_manifest(
            hook_with(manifest()),
            settings.load(),
            Drop("orders/a.csv", '"e"'),
            {**RESULT, "rows_loaded": 9, "rows_quarantined": 1},
        )


def test_a_missing_manifest_fails(environment: Path) -> None:
    with pytest.raises(ManifestMismatch, match="is missing after ingestion"):
        verify_manifest(FakeS3Hook({}), settings.load(), Drop("orders/a.csv", '"e"'), RESULT)


def test_the_dag_code_names_no_account_region_bucket_or_arn() -> None:
    sources = [*DAGS_FOLDER.glob("*.py"), *(DAGS_FOLDER / "keystone_dags").glob("*.py")]
    for path in sources:
        text = path.read_text()
        for forbidden in ("arn:aws", "amazonaws.com", "keystone-main", "us-east-1", "111111111111"):
            assert forbidden not in text, f"{path.name} hard-codes {forbidden!r}; read it from keystone_dags.settings"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--env", "KEYSTONE_ENV"], "--env takes KEY=VALUE, got 'KEYSTONE_ENV'"),
        (["--conf", "{speed: max}"], "--conf is not valid JSON"),
    ],
)
def test_dags_test_refuses_malformed_arguments_with_a_clear_message(arguments, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        airflow_cli(["dags-test", "olist_replay", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_replay_sets_in_the_landing_bucket_are_not_drops(tmp_path: Path) -> None:
    """The producer's replay sets share the landing bucket; the ingestion function skips them and returns no file
    result, so listing one as a drop failed every ingestion run ("returned 0 file results")."""
    hook = FakeS3Hook(
        {(LANDING, "orders/a.csv"): b"abc", (LANDING, "replay/2026-12-03/olist_orders_dataset.csv"): b"abcd"}
    )
    assert new_drops(hook, LANDING, "", FolderStore(tmp_path)) == [Drop("orders/a.csv", '"3"')]


def test_full_scan_tests_run_on_the_first_run_and_then_once_a_day(tmp_path: Path) -> None:
    from keystone_dags.full_scan import full_scan_due, mark_full_scan

    state = FolderStore(tmp_path)
    morning, evening, next_day = (datetime(2026, 12, 3, 8), datetime(2026, 12, 3, 20), datetime(2026, 12, 4, 0, 5))
    assert full_scan_due(state, morning)
    mark_full_scan(state, morning, "run-1")
    assert not full_scan_due(state, evening)
    assert full_scan_due(state, next_day)


def stream_key(table: TableContract, written_at: datetime, id_digit: str) -> str:
    partition = layout.partition_path(layout.STREAMING_PARTITIONS, written_at)
    name = layout.streaming_object_name(table.topic, 0, 0, id_digit * 32)
    return layout.streaming_table_prefix(table.topic) + partition + name


def test_the_quality_gate_lists_the_stream_hours_since_the_last_publication_not_its_whole_history(
    tmp_path: Path,
) -> None:
    """The gate listed all of Bronze and every mark on each run: after a year of streaming, thousands of LIST calls
    every 15 minutes. After the first publication it lists the hours since that listing began, less the margin."""
    items = TABLES["order_items"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    history = {stream_key(items, start + timedelta(hours=hour), "a"): b"x" for hour in range(24 * 40)}
    batch = "batch/orders/ingest_date=2026-01-01/abc123.parquet"
    hook = FakeS3Hook({(BRONZE, key): body for key, body in {**history, batch: b"x"}.items()})
    state = FolderStore(tmp_path)
    first_listing = start + timedelta(days=40)

    first = new_bronze_objects(hook, BRONZE, state, first_listing)
    assert first == sorted([*history, batch])
    mark_validated(state, first, "run-1", first_listing)

    # Written after the first listing began: one sealed just before it, in the hour before (its upload ended later),
    # and one in the hour of the listing. Nothing else is new, however long the history.
    sealed_before = stream_key(items, first_listing - timedelta(seconds=1), "b")
    after = stream_key(items, first_listing + timedelta(minutes=5), "c")
    hook.objects |= {(BRONZE, sealed_before): b"x", (BRONZE, after): b"x"}
    hook.listed.clear()
    second_listing = first_listing + timedelta(minutes=15)
    assert new_bronze_objects(hook, BRONZE, state, second_listing) == sorted([sealed_before, after])
    # Per streamed topic the hours from the margin before the first listing to the second; batch/ whole; marks alike.
    hours = int(layout.STREAMING_LATE_OBJECT_MARGIN / timedelta(hours=1)) + 1
    assert len([prefix for prefix in hook.listed if prefix.startswith("streaming/")]) == len(STREAMED_TABLES) * hours
    assert [prefix for prefix in hook.listed if not prefix.startswith("streaming/")] == ["batch/"]


def test_a_run_with_nothing_new_moves_the_listing_forward(tmp_path: Path) -> None:
    """A quiet stream must not widen every later listing: with nothing new, everything written before the listing
    began is published."""
    state = FolderStore(tmp_path)
    hook = FakeS3Hook({})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    assert new_bronze_objects(hook, BRONZE, state, start) == []
    later = start + timedelta(days=7)
    assert new_bronze_objects(hook, BRONZE, state, later) == []
    hook.listed.clear()
    new_bronze_objects(hook, BRONZE, state, later + timedelta(minutes=15))
    hours = int(layout.STREAMING_LATE_OBJECT_MARGIN / timedelta(hours=1)) + 1
    assert len([prefix for prefix in hook.listed if prefix.startswith("streaming/")]) == len(STREAMED_TABLES) * hours


def test_a_batch_that_failed_its_checkpoint_is_selected_again(tmp_path: Path) -> None:
    state = FolderStore(tmp_path)
    items = TABLES["order_items"]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    published = stream_key(items, start, "a")
    hook = FakeS3Hook({(BRONZE, published): b"x"})
    mark_validated(state, new_bronze_objects(hook, BRONZE, state, start), "run-1", start)
    failing = stream_key(items, start + timedelta(minutes=20), "b")
    hook.objects[(BRONZE, failing)] = b"x"
    # Its checkpoint fails: nothing is marked, and hours later the same object is still new.
    assert new_bronze_objects(hook, BRONZE, state, start + timedelta(minutes=30)) == [failing]
    assert new_bronze_objects(hook, BRONZE, state, start + timedelta(hours=9)) == [failing]
