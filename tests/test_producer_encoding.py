"""The producer's fast path (Arrow reading, file-at-a-time encoding, columnar events) gives the very events of the
reference: the csv module, `parse_row`, one `order_events`/`entity_event` envelope per row, sorted in Python."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.olist import ORDER_PAYMENTS, ORDERS, STREAMED_TABLES, TableContract
from contracts.validation import RowRejected, parse_row, read_csv_records
from datagen.generator import GeneratorConfig, generate
from producers.encoding import encode_orders, json_strings
from producers.events import entity_event, order_events
from producers.source import load_events, streamed_tables

ORDER_HEADER = ",".join(f'"{name}"' for name in ORDERS.column_names)
PAYMENT_HEADER = ",".join(f'"{name}"' for name in ORDER_PAYMENTS.column_names)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
Event = tuple[str, int, int, int, str, bytes, bytes]


def reference_replay(directory: Path, tables: list[TableContract], topic_suffix: str = "") -> list[Event]:
    """The replay as first written: each accepted row's envelopes, one at a time, sorted by the replay's key."""
    read_time = NOW.strftime("%Y-%m-%d %H:%M:%S")
    purchase_times: dict[str, str] = {}
    events: list[Event] = []
    for rank, table in enumerate(tables):
        topic = f"{table.topic}{topic_suffix}"
        for row, raw in read_csv_records(directory / table.file_name, table):
            try:
                parse_row(table, raw)
            except RowRejected:
                continue
            order_id = str(raw["order_id"])
            if table is ORDERS:
                purchase_times[order_id] = str(raw["order_purchase_timestamp"])
                for event in order_events(table, table.file_name, row, raw):
                    value = orjson.dumps(event.envelope)
                    events.append((event.event_time, rank, row, event.seq, topic, order_id.encode(), value))
                continue
            if table.event_time_column is not None:
                replay_time = event_time = str(raw[table.event_time_column])
            else:
                replay_time = purchase_times.get(order_id, "")
                event_time = replay_time or read_time
            value = orjson.dumps(entity_event(table, table.file_name, row, raw, event_time).envelope)
            events.append((replay_time, rank, row, 0, topic, order_id.encode(), value))
    return sorted(events, key=lambda event: event[:4])


def replay(directory: Path, topic_suffix: str = "") -> list[Event]:
    return [tuple(event) for event in load_events(directory, streamed_tables(), topic_suffix, now=NOW).events]


def test_the_real_sample_replays_as_the_reference_does(olist_sample_dir: Path) -> None:
    events = replay(olist_sample_dir, ".suffix")
    assert events == reference_replay(olist_sample_dir, streamed_tables(), ".suffix")
    # The sample has payments of orders it does not hold: sent first, stamped with the time they were read.
    orphans = [event for event in events if event[0] == ""]
    assert orphans and all(orjson.loads(event[6])["event_time"] == "2026-01-02 03:04:05" for event in orphans)


def test_generated_data_replays_as_the_reference_does(tmp_path: Path) -> None:
    generate(GeneratorConfig(orders=2_000, seed=11), tmp_path)
    assert replay(tmp_path) == reference_replay(tmp_path, streamed_tables())


def test_broken_rows_on_both_readers_replay_as_the_reference_does(tmp_path: Path, olist_sample_dir: Path) -> None:
    for table in STREAMED_TABLES:
        lines = (olist_sample_dir / table.file_name).read_bytes().split(b"\n")
        if table is ORDERS:
            # A status outside the contract: Arrow reads the file, the screen flags the row, parse_row rejects it.
            lines[5] = lines[5].replace(b"delivered", b"teleported")
        if table is ORDER_PAYMENTS:
            # A short record: Arrow refuses the file and the csv module reads it.
            lines[9] = lines[9][:40]
        (tmp_path / table.file_name).write_bytes(b"\n".join(lines))
    loaded = load_events(tmp_path, streamed_tables(), now=NOW)
    assert sorted((rejected.file, rejected.row) for rejected in loaded.rejected) == sorted(
        [(ORDERS.file_name, 5), (ORDER_PAYMENTS.file_name, 9)]
    )
    assert replay(tmp_path) == reference_replay(tmp_path, streamed_tables())


timestamps = st.sampled_from(
    ["2017-10-02 10:56:33", "2017-10-01 08:00:00", "2017-10-05 00:00:00", "2017-10-02 10:56:33"]
)
order_rows = st.fixed_dictionaries(
    {
        "order_id": st.text("0123456789abcdef", min_size=32, max_size=32),
        "customer_id": st.just("9ef432eb6251297304e76186b10a928d"),
        "order_status": st.sampled_from(
            ["created", "approved", "invoiced", "processing", "shipped", "delivered", "canceled", "unavailable"]
        ),
        "order_purchase_timestamp": timestamps,
        "order_approved_at": timestamps | st.none(),
        "order_delivered_carrier_date": timestamps | st.none(),
        "order_delivered_customer_date": timestamps | st.none(),
        "order_estimated_delivery_date": timestamps,
    }
)


@settings(max_examples=200, deadline=None)
@given(raws=st.lists(order_rows, min_size=1, max_size=40), first_row=st.integers(1, 10**6))
def test_a_batch_of_orders_encodes_to_the_lifecycle_of_each_row(
    raws: list[dict[str, str | None]], first_row: int
) -> None:
    rows = list(range(first_row, first_row + len(raws)))
    columns = {name: pa.array([raw[name] for raw in raws], pa.string()) for name in ORDERS.column_names}
    encoded = encode_orders(pa.array(rows, pa.int64()), columns).to_pylist()
    got = sorted((e["row"], e["seq"], e["replay_time"], e["key"], e["value"].encode()) for e in encoded)
    expected = [
        (row, event.seq, event.event_time, event.key, orjson.dumps(event.envelope))
        for row, raw in zip(rows, raws, strict=True)
        for event in order_events(ORDERS, ORDERS.file_name, row, raw)
    ]
    assert got == expected


@settings(max_examples=300, deadline=None)
@given(texts=st.lists(st.text() | st.none(), min_size=1, max_size=20))
def test_json_strings_escape_as_orjson_does(texts: list[str | None]) -> None:
    assert json_strings(pa.array(texts, pa.string())).to_pylist() == [orjson.dumps(text).decode() for text in texts]


def test_events_are_sorted_by_replay_time_then_table_row_and_step(olist_sample_dir: Path) -> None:
    events = list(load_events(olist_sample_dir, streamed_tables()).events)
    assert events == sorted(events, key=lambda event: (event.replay_time, event.table_rank, event.row, event.seq))
    assert len({(event.table_rank, event.row, event.seq) for event in events}) == len(events)


def test_events_slice_and_index_as_a_list_of_them_would(olist_sample_dir: Path) -> None:
    events = load_events(olist_sample_dir, streamed_tables(["orders", "order_items"])).events
    as_list = list(events)
    assert list(events[100:250]) == as_list[100:250]
    assert events[-1] == as_list[-1] and events[17] == as_list[17]
    assert list(events[::7].values) == [event.value for event in as_list[::7]]


def test_every_row_is_judged_as_parse_row_would(tmp_path: Path, olist_sample_dir: Path) -> None:
    lines = (olist_sample_dir / ORDERS.file_name).read_text(encoding="utf-8").splitlines()
    broken = {3: lines[3].replace("delivered", "teleported"), 7: lines[7][:40]}
    rows = [broken.get(number, line) for number, line in enumerate(lines)]
    (tmp_path / ORDERS.file_name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = load_events(tmp_path, streamed_tables(["orders"]))
    expected = []
    for row, raw in read_csv_records(tmp_path / ORDERS.file_name, ORDERS):
        try:
            parse_row(ORDERS, raw)
        except RowRejected as rejected:
            expected.append((row, rejected.reason, rejected.column))
    assert [(rejected.row, rejected.reason, rejected.column) for rejected in result.rejected] == expected
    assert [row for row, _, _ in expected] == [3, 7]
    [summary] = result.files
    assert (summary.rows, summary.rejected) == (len(lines) - 1, 2)


def test_an_orders_file_failing_midway_still_dates_the_payments_of_the_orders_read_before(tmp_path: Path) -> None:
    good = "e481f51cbdc54678b7cc49136f2d6af7"
    order = f"{good},9ef432eb6251297304e76186b10a928d,created,2017-10-02 10:56:33,,,,2017-10-18 00:00:00\n"
    (tmp_path / ORDERS.file_name).write_bytes(f"{ORDER_HEADER}\n{order}".encode() + b"\xff broken line\n")
    (tmp_path / ORDER_PAYMENTS.file_name).write_text(f"{PAYMENT_HEADER}\n{good},1,credit_card,1,18.12\n")
    result = load_events(tmp_path, streamed_tables(["orders", "order_payments"]))
    assert [failure.file for failure in result.failed_files] == [ORDERS.file_name]
    [payment] = result.events
    assert payment.replay_time == "2017-10-02 10:56:33"
    assert orjson.loads(payment.value)["event_time"] == "2017-10-02 10:56:33"


@pytest.mark.parametrize("content", [b"", ORDER_HEADER.encode() + b"\n"], ids=["empty", "header only"])
def test_files_without_rows_give_no_events(tmp_path: Path, content: bytes) -> None:
    (tmp_path / ORDERS.file_name).write_bytes(content)
    result = load_events(tmp_path, streamed_tables(["orders"]))
    assert len(result.events) == 0 and result.events_by_topic == {}
    assert [failure.file for failure in result.failed_files] == ([ORDERS.file_name] if not content else [])


def test_a_payment_of_an_order_id_that_repeats_takes_the_purchase_time_of_its_last_row(tmp_path: Path) -> None:
    order_id = "e481f51cbdc54678b7cc49136f2d6af7"
    orders = [
        f"{order_id},9ef432eb6251297304e76186b10a928d,created,{purchased},,,,2017-10-18 00:00:00"
        for purchased in ("2017-10-02 10:56:33", "2017-10-03 09:00:00")
    ]
    (tmp_path / ORDERS.file_name).write_text("\n".join([ORDER_HEADER, *orders]) + "\n")
    (tmp_path / ORDER_PAYMENTS.file_name).write_text(f"{PAYMENT_HEADER}\n{order_id},1,credit_card,1,18.12\n")
    [payment] = [event for event in replay(tmp_path) if event[4] == ORDER_PAYMENTS.topic]
    assert payment[0] == "2017-10-03 09:00:00"
