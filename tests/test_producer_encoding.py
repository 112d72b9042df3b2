"""The producer's fast path gives the very events of the plain one: same bytes, same order, same accounting."""

from __future__ import annotations

from pathlib import Path

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts.olist import ORDER_PAYMENTS, ORDERS, STREAMED_TABLES
from contracts.validation import RowRejected, parse_row, read_csv_records
from producers.events import EnvelopeEncoder, entity_event, order_events
from producers.source import load_events, streamed_tables

ORDER_HEADER = ",".join(f'"{name}"' for name in ORDERS.column_names)
PAYMENT_HEADER = ",".join(f'"{name}"' for name in ORDER_PAYMENTS.column_names)


def lifecycle_reference(raw: dict[str, str | None]) -> list[tuple[str, str, dict[str, str | None]]]:
    """The order lifecycle as first written (event type, event time, payload), before it was tuned for speed."""
    lifecycle = (
        ("order_purchased", "created", "order_purchase_timestamp"),
        ("order_approved", "approved", "order_approved_at"),
        ("order_shipped", "shipped", "order_delivered_carrier_date"),
        ("order_delivered", "delivered", "order_delivered_customer_date"),
    )
    steps: list[tuple[str, str, dict[str, str | None]]] = []
    known = {**raw, "order_status": None, **dict.fromkeys(column for _, _, column in lifecycle[1:])}
    event_time = ""
    for event_type, status, column in lifecycle:
        timestamp = raw[column]
        if timestamp is None:
            continue
        known = {**known, "order_status": status, column: timestamp}
        event_time = max(event_time, timestamp)
        steps.append((event_type, event_time, known))
    if not steps or steps[-1][2] != dict(raw):
        steps.append((f"order_{raw['order_status']}", event_time, dict(raw)))
    return steps


timestamps = st.sampled_from(
    ["2017-10-02 10:56:33", "2017-10-01 08:00:00", "2017-10-05 00:00:00", "2017-10-02 10:56:33"]
)
order_rows = st.fixed_dictionaries(
    {
        "order_id": st.just("e481f51cbdc54678b7cc49136f2d6af7"),
        "customer_id": st.just("9ef432eb6251297304e76186b10a928d"),
        "order_status": st.sampled_from(
            ["created", "approved", "invoiced", "processing", "shipped", "delivered", "canceled", "unavailable"]
        ),
        "order_purchase_timestamp": timestamps | st.none(),
        "order_approved_at": timestamps | st.none(),
        "order_delivered_carrier_date": timestamps | st.none(),
        "order_delivered_customer_date": timestamps | st.none(),
        "order_estimated_delivery_date": timestamps,
    }
)


@settings(max_examples=500, deadline=None)
@given(raw=order_rows, row=st.integers(1, 10**6))
def test_order_events_follow_the_lifecycle_as_first_written_and_encode_to_the_same_bytes(
    raw: dict[str, str | None], row: int
) -> None:
    events = order_events(ORDERS, ORDERS.file_name, row, raw)
    assert [(e.envelope["event_type"], e.event_time, e.envelope["payload"]) for e in events] == lifecycle_reference(raw)
    encoded = EnvelopeEncoder(ORDERS, ORDERS.file_name).order(row, raw)
    assert encoded == [(event.event_time, orjson.dumps(event.envelope)) for event in events]


def test_encoder_bytes_are_the_envelopes_of_the_real_sample(olist_sample_dir: Path) -> None:
    for table in STREAMED_TABLES:
        encoder = EnvelopeEncoder(table, table.file_name)
        for row, raw in read_csv_records(olist_sample_dir / table.file_name, table):
            if table is ORDERS:
                expected = [
                    (e.event_time, orjson.dumps(e.envelope)) for e in order_events(table, table.file_name, row, raw)
                ]
                assert encoder.order(row, raw) == expected
            else:
                event = entity_event(table, table.file_name, row, raw, "2018-01-01 00:00:00")
                assert encoder.entity(row, raw, "2018-01-01 00:00:00") == orjson.dumps(event.envelope)


def test_events_are_sorted_by_replay_time_then_table_row_and_step(olist_sample_dir: Path) -> None:
    events = load_events(olist_sample_dir, streamed_tables()).events
    assert events == sorted(events, key=lambda event: (event.replay_time, event.table_rank, event.row, event.seq))
    assert len({(event.table_rank, event.row, event.seq) for event in events}) == len(events)


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
