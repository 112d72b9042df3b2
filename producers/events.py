"""Event envelopes for Olist rows: deterministic ids, lifecycle events for orders, one event per other row.

Envelope (the Kafka value, JSON): `event_id`, `event_type`, `event_time` (`YYYY-MM-DD HH:MM:SS`),
`schema_version`, `source` (`file`, `row`) and `payload` (the original CSV columns as text, or null).
Replaying the same file gives the same event ids, so consumers can deduplicate by id.

`order_events` and `entity_event` define the envelopes one row at a time; `producers.encoding` gives the same
envelopes as JSON bytes for a whole file at once, for the producer's hot path.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from contracts.envelope import ENTITY_EVENT_TYPES, ORDER_LIFECYCLE_EVENT_TYPES, SCHEMA_VERSION
from contracts.olist import TableContract

Raw = Mapping[str, str | None]
# One lifecycle step of an order: event type, event time, the order row as known at that step.
Step = tuple[str, str, dict[str, str | None]]

# Each lifecycle step: its event type, the status an order has from then on, the timestamp that marks it.
LIFECYCLE = tuple(
    zip(
        ORDER_LIFECYCLE_EVENT_TYPES,
        ("created", "approved", "shipped", "delivered"),
        (
            "order_purchase_timestamp",
            "order_approved_at",
            "order_delivered_carrier_date",
            "order_delivered_customer_date",
        ),
        strict=True,
    )
)
# What an order row does not know before its first step: its status and the timestamps of the later steps.
_UNKNOWN_YET: dict[str, None] = {"order_status": None, **dict.fromkeys(column for _, _, column in LIFECYCLE[1:])}


@dataclass(frozen=True, slots=True)
class Event:
    topic: str
    key: str
    seq: int
    envelope: dict[str, object]

    @property
    def event_id(self) -> str:
        return str(self.envelope["event_id"])

    @property
    def event_time(self) -> str:
        return str(self.envelope["event_time"])


def event_id(table: str, file_name: str, row: int, seq: int = 0) -> str:
    return _id_stem(f"{table}|{file_name}|", row) + f"-{seq:02d}"


def _id_stem(seed: str, row: int) -> str:
    return hashlib.sha256(f"{seed}{row}".encode()).hexdigest()[:24]


def envelope(
    table: str, file_name: str, row: int, seq: int, event_type: str, event_time: str, payload: Raw
) -> dict[str, object]:
    return _envelope(
        event_id(table, file_name, row, seq), event_type, event_time, {"file": file_name, "row": row}, dict(payload)
    )


def _envelope(
    event_id: str, event_type: str, event_time: str, source: dict[str, object], payload: Raw
) -> dict[str, object]:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "event_time": event_time,
        "schema_version": SCHEMA_VERSION,
        "source": source,
        "payload": payload,
    }


def order_steps(raw: Raw) -> list[Step]:
    """An order's lifecycle: one step per status transition with the row as known then; the last is the CSV row.

    Steps are purchase, approval, hand-over to the carrier and delivery, each present when its timestamp is.
    When the CSV row differs from the last step (canceled, unavailable, invoiced, processing, or a status
    reached without its timestamp), a final `order_<status>` step carries the row as it is. Event times are
    made non-decreasing per order (the data has carrier dates before approval), so consumers see them in order.
    """
    row = dict(raw)
    steps: list[Step] = []
    known = {**row, **_UNKNOWN_YET}
    event_time = ""
    for event_type, status, column in LIFECYCLE:
        timestamp = row[column]
        if timestamp is None:
            continue
        known = known.copy()  # each step's payload is a row of its own
        known["order_status"] = status
        known[column] = timestamp
        if timestamp > event_time:
            event_time = timestamp
        steps.append((event_type, event_time, known))
    if not steps or steps[-1][2] != row:
        steps.append((f"order_{row['order_status']}", event_time, row))
    return steps


def order_events(table: TableContract, file_name: str, row: int, raw: Raw) -> list[Event]:
    """An order's lifecycle events (see `order_steps`), keyed by order id."""
    assert table.topic is not None
    order_id = str(raw["order_id"])
    return [
        Event(table.topic, order_id, seq, envelope(table.name, file_name, row, seq, event_type, time, payload))
        for seq, (event_type, time, payload) in enumerate(order_steps(raw))
    ]


def entity_event(table: TableContract, file_name: str, row: int, raw: Raw, event_time: str) -> Event:
    """The one event of an order item, payment or review row."""
    assert table.topic is not None
    return Event(
        table.topic,
        str(raw["order_id"]),
        0,
        envelope(table.name, file_name, row, 0, ENTITY_EVENT_TYPES[table.name], event_time, raw),
    )
