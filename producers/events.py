"""Event envelopes for Olist rows: deterministic ids, lifecycle events for orders, one event per other row.

Envelope (the Kafka value, JSON): `event_id`, `event_type`, `event_time` (`YYYY-MM-DD HH:MM:SS`),
`schema_version`, `source` (`file`, `row`) and `payload` (the original CSV columns as text, or null).
Replaying the same file gives the same event ids, so consumers can deduplicate by id.

`order_events` and `entity_event` give the envelopes as `Event`s; `EnvelopeEncoder` gives the same envelopes
already serialized, one file's rows at a time, for the producer's hot loop.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

import orjson

from contracts.olist import TableContract

SCHEMA_VERSION = 1
Raw = Mapping[str, str | None]
# One lifecycle step of an order: event type, event time, the order row as known at that step.
Step = tuple[str, str, dict[str, str | None]]

ENTITY_EVENT_TYPES = {
    "order_items": "order_item_added",
    "order_payments": "payment_recorded",
    "order_reviews": "review_submitted",
}
# Each lifecycle step: its event type, the status an order has from then on, the timestamp that marks it.
_LIFECYCLE = (
    ("order_purchased", "created", "order_purchase_timestamp"),
    ("order_approved", "approved", "order_approved_at"),
    ("order_shipped", "shipped", "order_delivered_carrier_date"),
    ("order_delivered", "delivered", "order_delivered_customer_date"),
)
# What an order row does not know before its first step: its status and the timestamps of the later steps.
_UNKNOWN_YET: dict[str, None] = {"order_status": None, **dict.fromkeys(column for _, _, column in _LIFECYCLE[1:])}
# The id suffixes of an order's events (one per lifecycle step, plus its final status), formatted once.
_SEQ_SUFFIXES = tuple(f"-{seq:02d}" for seq in range(len(_LIFECYCLE) + 1))


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
    for event_type, status, column in _LIFECYCLE:
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


class EnvelopeEncoder:
    """The envelopes of one file's rows as JSON bytes: `orjson.dumps` of what `order_events`/`entity_event` give.

    The id seed, source file and event type are worked out once per file and the hash once per row, because the
    producer serializes hundreds of thousands of envelopes before it can send the first one.
    """

    def __init__(self, table: TableContract, file_name: str) -> None:
        self._table = table.name
        self._seed = f"{table.name}|{file_name}|"
        self._file_name = file_name

    def order(self, row: int, raw: Raw) -> list[tuple[str, bytes]]:
        """`(event_time, value)` of each lifecycle step of an order row, in `seq` order."""
        stem = _id_stem(self._seed, row)
        source = {"file": self._file_name, "row": row}
        return [
            (time, orjson.dumps(_envelope(stem + _SEQ_SUFFIXES[seq], event_type, time, source, payload)))
            for seq, (event_type, time, payload) in enumerate(order_steps(raw))
        ]

    def entity(self, row: int, raw: dict[str, str | None], event_time: str) -> bytes:
        """The value of the one event of an order item, payment or review row."""
        event_type = ENTITY_EVENT_TYPES[self._table]
        source = {"file": self._file_name, "row": row}
        return orjson.dumps(
            _envelope(_id_stem(self._seed, row) + _SEQ_SUFFIXES[0], event_type, event_time, source, raw)
        )
