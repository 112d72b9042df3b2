"""A micro-batch builds only when Bronze lists something it did not list before the last build, and only what the
new objects feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from localtwin.micro_batch import (
    MICRO_BATCH_SELECTOR,
    STREAM_MICRO_BATCH_SELECTOR,
    BronzeWatermark,
    Listing,
    local_listing,
    micro_batch_selector,
)


def test_a_micro_batch_is_skipped_until_bronze_gains_or_rewrites_an_object(tmp_path: Path) -> None:
    (tmp_path / "streaming" / "orders").mkdir(parents=True)
    first = tmp_path / "streaming" / "orders" / "a.jsonl.gz"
    first.write_bytes(b"one")
    builds: list[set[str]] = []
    watermark = BronzeWatermark(local_listing(tmp_path))

    def build(changed: Listing) -> None:
        builds.append({key for key, _ in changed})

    assert watermark.build_if_new(build)
    assert not watermark.build_if_new(build)
    (tmp_path / "streaming" / "orders" / "b.jsonl.gz").write_bytes(b"two")
    assert watermark.build_if_new(build)
    first.write_bytes(b"one, then more")  # the sink rewrote an object under its key
    assert watermark.build_if_new(build)
    assert not watermark.build_if_new(build)
    a, b = "streaming/orders/a.jsonl.gz", "streaming/orders/b.jsonl.gz"
    assert builds == [{a}, {b}, {a}]  # each build is handed what is new to it


def test_a_failed_build_leaves_the_batch_new(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"x")
    watermark = BronzeWatermark(local_listing(tmp_path))

    def failing(changed: Listing) -> None:
        raise RuntimeError("dbt failed")

    with pytest.raises(RuntimeError):
        watermark.build_if_new(failing)
    assert watermark.build_if_new(lambda changed: None)


def test_only_a_batch_of_stream_objects_skips_the_file_only_tables() -> None:
    stream = frozenset({("streaming/olist.orders.v1/dt=2026-11-20/hour=10/a.jsonl.gz", "e1")})
    batch = frozenset({("batch/customers/ingest_date=2026-11-20/b.parquet", "e2")})
    assert micro_batch_selector(stream) == STREAM_MICRO_BATCH_SELECTOR
    assert micro_batch_selector(stream | batch) == MICRO_BATCH_SELECTOR
    assert micro_batch_selector(batch) == MICRO_BATCH_SELECTOR
    assert micro_batch_selector(frozenset()) == MICRO_BATCH_SELECTOR
