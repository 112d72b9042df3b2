"""The warm dbt process follow mode builds in: incremental builds one after another in one process, the warehouse
free for readers between them, and failures reported as the `dbt` CLI reports them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

import duckdb
import pytest

from contracts import STREAMED_TABLES, TABLES
from dbt_project.scripts.local_target import LocalTarget
from localtwin.micro_batch import (
    STREAM_MICRO_BATCH_SELECTOR,
    BronzeWatermark,
    Listing,
    local_listing,
    micro_batch_selector,
)
from localtwin.transform import DbtFailed, DbtSession, dbt_build
from tests.fixtures.bronze_writer import purchase_times, read_rows, stream_events, write_batch, write_events

pytestmark = pytest.mark.slow

FIRST = datetime(2026, 11, 20, 10, 15)
LATER = datetime(2026, 11, 20, 11, 5)
HELD_BACK = 50  # orders whose events only arrive with the micro-batch


def _gold_orders(warehouse: Path) -> set[str]:
    # Opens the file as follow mode does between builds: DuckDB refuses while another process holds it.
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return {row[0] for row in connection.execute("select order_id from gold.fct_orders").fetchall()}


def test_a_warm_session_builds_each_micro_batch_and_frees_the_warehouse_between_builds(
    olist_sample_dir: Path, tmp_path: Path
) -> None:
    bronze = tmp_path / "bronze"
    rows = {name: read_rows(olist_sample_dir / table.file_name, table) for name, table in TABLES.items()}
    purchases = purchase_times(rows["orders"])
    held_back = set(sorted(purchases)[:HELD_BACK])
    for table in STREAMED_TABLES:
        events = stream_events(rows[table.name], purchases)
        write_events(bronze, table, [e for e in events if e["payload"]["order_id"] not in held_back], FIRST, "first")
    for name, table in TABLES.items():
        if table.topic is None:
            write_batch(bronze, rows[name], FIRST, f"{name}-first")
    target = LocalTarget(str(bronze), tmp_path / "lake.duckdb", tmp_path / "duckdb_extensions")
    watermark = BronzeWatermark(local_listing(bronze))
    selectors: list[str] = []

    def micro_batch(session: DbtSession) -> None:
        def build(changed: Listing) -> None:
            selectors.append(micro_batch_selector(changed))
            dbt_build(tmp_path, target, {}, selectors[-1], session)

        assert watermark.build_if_new(build)

    with DbtSession(tmp_path, target, {}) as session:
        assert watermark.build_if_new(lambda changed: dbt_build(tmp_path, target, {}, session=session))
        first = _gold_orders(target.duckdb_path)
        assert first and not first & held_back

        late = [e for e in stream_events(rows["orders"], purchases) if e["payload"]["order_id"] in held_back]
        write_events(bronze, TABLES["orders"], late, LATER, "held-back")
        micro_batch(session)
        assert selectors == [STREAM_MICRO_BATCH_SELECTOR]  # only the sink wrote
        assert _gold_orders(target.duckdb_path) == first | held_back

        with pytest.raises(DbtFailed, match=r"dbt could not run \(exit 2\)"):
            dbt_build(tmp_path, target, {}, "no_such_selector", session)
    assert session.process.returncode == 0


class _NoWarehouse:
    """The local target without the DuckDB path its profile requires."""

    name: ClassVar[str] = "local"
    selector: ClassVar[str | None] = None

    def environment(self) -> dict[str, str]:
        return {}


def test_a_session_that_cannot_parse_the_project_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KEYSTONE_DUCKDB_PATH", raising=False)
    with pytest.raises(DbtFailed, match="could not parse the project") as failure:
        DbtSession(tmp_path, _NoWarehouse(), {})
    assert "KEYSTONE_DUCKDB_PATH" in str(failure.value)
