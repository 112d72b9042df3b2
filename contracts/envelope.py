"""The event envelope: what every streamed Olist record looks like, on Kafka and in Bronze's `streaming/` objects.

The producer writes it, the S3 sink lands it unchanged, the Glue events tables, the dbt sources and the quality
suites read it. Field names, their Glue types and the event vocabulary live here once.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts.olist import TableContract

SCHEMA_VERSION = 1
# Every version a reader must accept.
SCHEMA_VERSIONS = (SCHEMA_VERSION,)


@dataclass(frozen=True)
class EnvelopeField:
    name: str
    glue_type: str
    description: str


# Fields every event carries, never null (the quality suites check them); then `source` and `payload`.
REQUIRED_FIELDS = (
    EnvelopeField("event_id", "string", "Deterministic id: same source row, same id."),
    EnvelopeField("event_type", "string", "What happened, e.g. order_approved."),
    EnvelopeField("event_time", "string", "When it happened, YYYY-MM-DD HH:MM:SS UTC."),
    EnvelopeField("schema_version", "int", "Version of the envelope."),
)
REQUIRED_NAMES = tuple(field.name for field in REQUIRED_FIELDS)
SOURCE = EnvelopeField("source", "struct<file:string,row:bigint>", "Source file name and record number.")


def payload_field(table: TableContract) -> EnvelopeField:
    columns = ",".join(f"{column.name}:string" for column in table.columns)
    description = "The source row as text, with the original CSV column names (null when empty)."
    return EnvelopeField("payload", f"struct<{columns}>", description)


def fields(table: TableContract) -> tuple[EnvelopeField, ...]:
    """The envelope of one table's events, in the order the producer writes them."""
    return (*REQUIRED_FIELDS, SOURCE, payload_field(table))


# The event types: each step of an order's lifecycle, and the one event of every other streamed row.
ORDER_LIFECYCLE_EVENT_TYPES = ("order_purchased", "order_approved", "order_shipped", "order_delivered")
ENTITY_EVENT_TYPES = {
    "order_items": "order_item_added",
    "order_payments": "payment_recorded",
    "order_reviews": "review_submitted",
}
