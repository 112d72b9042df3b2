"""A micro-batch builds only when Bronze lists something it did not list before the last build."""

from __future__ import annotations

from pathlib import Path

import pytest

from localtwin.micro_batch import BronzeWatermark, local_listing


def test_a_micro_batch_is_skipped_until_bronze_gains_or_rewrites_an_object(tmp_path: Path) -> None:
    (tmp_path / "streaming" / "orders").mkdir(parents=True)
    first = tmp_path / "streaming" / "orders" / "a.jsonl.gz"
    first.write_bytes(b"one")
    builds: list[int] = []
    watermark = BronzeWatermark(local_listing(tmp_path))

    def build() -> None:
        builds.append(len(builds))

    assert watermark.build_if_new(build)
    assert not watermark.build_if_new(build)
    (tmp_path / "streaming" / "orders" / "b.jsonl.gz").write_bytes(b"two")
    assert watermark.build_if_new(build)
    first.write_bytes(b"one, then more")  # the sink rewrote an object under its key
    assert watermark.build_if_new(build)
    assert not watermark.build_if_new(build)
    assert len(builds) == 3


def test_a_failed_build_leaves_the_batch_new(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"x")
    watermark = BronzeWatermark(local_listing(tmp_path))

    def failing() -> None:
        raise RuntimeError("dbt failed")

    with pytest.raises(RuntimeError):
        watermark.build_if_new(failing)
    assert watermark.build_if_new(lambda: None)
