"""Event envelopes, order lifecycles, row accounting and replay speeds (no Kafka needed)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from contracts import envelope
from contracts.olist import ORDER_PAYMENTS, ORDERS
from producers.delivery import Speed
from producers.events import event_id, order_events
from producers.source import load_events, streamed_tables

ORDER_HEADER = (
    '"order_id","customer_id","order_status","order_purchase_timestamp","order_approved_at",'
    '"order_delivered_carrier_date","order_delivered_customer_date","order_estimated_delivery_date"'
)
ORDER_ID = "e481f51cbdc54678b7cc49136f2d6af7"
CUSTOMER_ID = "9ef432eb6251297304e76186b10a928d"


def order(status: str, approved: str | None, carrier: str | None, customer: str | None) -> dict[str, str | None]:
    return {
        "order_id": ORDER_ID,
        "customer_id": CUSTOMER_ID,
        "order_status": status,
        "order_purchase_timestamp": "2017-10-02 10:56:33",
        "order_approved_at": approved,
        "order_delivered_carrier_date": carrier,
        "order_delivered_customer_date": customer,
        "order_estimated_delivery_date": "2017-10-18 00:00:00",
    }


def test_delivered_order_is_four_steps_and_the_last_is_the_csv_row() -> None:
    raw = order("delivered", "2017-10-02 11:07:15", "2017-10-04 19:55:00", "2017-10-10 21:25:13")
    events = order_events(ORDERS, ORDERS.file_name, 7, raw)
    envelopes = [event.envelope for event in events]
    assert [e["event_type"] for e in envelopes] == [
        "order_purchased", "order_approved", "order_shipped", "order_delivered"
    ]  # fmt: skip
    assert [e["payload"]["order_status"] for e in envelopes] == ["created", "approved", "shipped", "delivered"]
    assert envelopes[0]["payload"]["order_approved_at"] is None
    assert envelopes[1]["payload"]["order_delivered_carrier_date"] is None
    assert envelopes[-1]["payload"] == raw
    assert [e["event_id"] for e in envelopes] == [event_id("orders", ORDERS.file_name, 7, seq) for seq in range(4)]
    assert all(event.key == ORDER_ID for event in events)
    assert envelopes[0]["source"] == {"file": ORDERS.file_name, "row": 7}
    assert envelopes[0]["schema_version"] == 1


def test_canceled_order_ends_with_its_status_event_carrying_the_row() -> None:
    raw = order("canceled", "2017-10-02 11:07:15", None, None)
    envelopes = [event.envelope for event in order_events(ORDERS, ORDERS.file_name, 1, raw)]
    assert [e["event_type"] for e in envelopes] == ["order_purchased", "order_approved", "order_canceled"]
    assert envelopes[-1]["payload"] == raw
    assert envelopes[-1]["event_time"] == "2017-10-02 11:07:15"


def test_lifecycle_event_times_never_go_back() -> None:
    # Olist has carrier dates before the approval; consumers still see the steps in order.
    raw = order("delivered", "2017-10-05 09:00:00", "2017-10-04 19:55:00", "2017-10-10 21:25:13")
    times = [event.event_time for event in order_events(ORDERS, ORDERS.file_name, 1, raw)]
    assert times == sorted(times)
    assert times[2] == "2017-10-05 09:00:00"


def test_event_ids_are_stable_across_replays() -> None:
    assert event_id("orders", "f.csv", 3, 1) == event_id("orders", "f.csv", 3, 1)
    assert event_id("orders", "f.csv", 3, 1) != event_id("orders", "f.csv", 4, 1)
    assert event_id("orders", "f.csv", 3, 1).endswith("-01") and len(event_id("orders", "f.csv", 3)) == 27


def test_broken_rows_are_reported_with_row_and_reason_and_counts_reconcile(tmp_path: Path) -> None:
    rows = [
        f'{ORDER_ID},"{CUSTOMER_ID}",delivered,2017-10-02 10:56:33,,,,2017-10-18 00:00:00',
        f"{'a' * 32},{'b' * 32},teleported,2017-10-02 10:56:33,,,,2017-10-18 00:00:00",
        f"{'c' * 32},{'d' * 32},created,yesterday,,,,2017-10-18 00:00:00",
        f"{'e' * 32},{'f' * 32},created,2017-10-02 10:56:33,,,",
        f"{'1' * 32},{'2' * 32},created,2017-10-02 10:56:33,,,,2017-10-18 00:00:00",
    ]
    (tmp_path / ORDERS.file_name).write_text(ORDER_HEADER + "\n" + "\n".join(rows) + "\n")
    result = load_events(tmp_path, streamed_tables(["orders"]))
    [summary] = result.files
    assert (summary.rows, summary.accepted, summary.rejected) == (5, 2, 3)
    assert summary.rows == summary.accepted + summary.rejected
    assert [(r.row, r.column) for r in result.rejected] == [
        (2, "order_status"), (3, "order_purchase_timestamp"), (4, "order_estimated_delivery_date")
    ]  # fmt: skip
    assert "teleported" in result.rejected[0].reason and "not an allowed value" in result.rejected[0].reason
    assert "not a valid timestamp" in result.rejected[1].reason
    assert "short or truncated" in result.rejected[2].reason
    assert all(r.file == ORDERS.file_name for r in result.rejected)
    # Row 1: purchased, then order_delivered (delivered without its dates); row 5: purchased only.
    assert summary.events == len(result.events) == 3


def test_unreadable_file_sends_nothing_and_is_reported(tmp_path: Path) -> None:
    (tmp_path / ORDERS.file_name).write_text('"order_id","status"\nx,y\n')
    result = load_events(tmp_path, streamed_tables(["orders"]))
    assert len(result.events) == 0 and result.files == []
    [failure] = result.failed_files
    assert failure.file == ORDERS.file_name and "header does not match" in failure.reason


def test_payments_take_their_orders_purchase_time(tmp_path: Path) -> None:
    (tmp_path / ORDERS.file_name).write_text(
        ORDER_HEADER + f'\n{ORDER_ID},"{CUSTOMER_ID}",created,2017-10-02 10:56:33,,,,2017-10-18 00:00:00\n'
    )
    header = '"order_id","payment_sequential","payment_type","payment_installments","payment_value"'
    (tmp_path / ORDER_PAYMENTS.file_name).write_text(
        f"{header}\n{ORDER_ID},1,credit_card,1,18.12\n{'f' * 32},1,boleto,1,10.00\n"
    )
    result = load_events(tmp_path, streamed_tables(["orders", "order_payments"]))
    payments = [orjson.loads(e.value) for e in result.events if e.topic == ORDER_PAYMENTS.topic]
    by_order = {p["payload"]["order_id"]: p for p in payments}
    assert by_order[ORDER_ID]["event_time"] == "2017-10-02 10:56:33"
    assert by_order["f" * 32]["event_type"] == "payment_recorded"
    # Without its order, a payment is sent first in the replay, stamped with the time it was read.
    assert result.events[0].topic == ORDER_PAYMENTS.topic and result.events[0].replay_time == ""


@pytest.mark.parametrize(
    ("text", "factor", "rate"), [("max", None, None), ("3600x", 3600.0, None), ("250/s", None, 250.0)]
)
def test_speed_parses_the_three_modes(text: str, factor: float | None, rate: float | None) -> None:
    speed = Speed.parse(text)
    assert (speed.factor, speed.rate) == (factor, rate)
    assert str(speed) == text


@pytest.mark.parametrize("text", ["fast", "0x", "10", "-5/s"])
def test_speed_rejects_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match="invalid speed"):
        Speed.parse(text)


def test_what_the_producer_sends_is_the_envelope_of_the_contract(tmp_path: Path) -> None:
    """The bytes on the wire (the encoding fast path) hold exactly contracts.envelope's fields, in its order, and
    the payload holds the table's columns: what the Glue events tables and dbt's sources declare."""
    (tmp_path / ORDERS.file_name).write_text(
        ORDER_HEADER + f'\n{ORDER_ID},"{CUSTOMER_ID}",created,2017-10-02 10:56:33,,,,2017-10-18 00:00:00\n'
    )
    header = '"order_id","payment_sequential","payment_type","payment_installments","payment_value"'
    (tmp_path / ORDER_PAYMENTS.file_name).write_text(f"{header}\n{ORDER_ID},1,credit_card,1,18.12\n")
    result = load_events(tmp_path, streamed_tables(["orders", "order_payments"]))
    tables = {ORDERS.topic: ORDERS, ORDER_PAYMENTS.topic: ORDER_PAYMENTS}
    for event in result.events:
        sent = orjson.loads(event.value)
        table = tables[event.topic]
        assert list(sent) == [field.name for field in envelope.fields(table)]
        assert list(sent["payload"]) == list(table.column_names)
        assert sent["schema_version"] in envelope.SCHEMA_VERSIONS
