"""Expectation suites derived from the data contracts, as plain specs (no Great Expectations import here).

Per column of a contract: present; not null when the contract says so (keys always are); in the allowed values;
within the min/max bounds (amounts non-negative, scores 1..5); no longer than max_length. Per table: the
timestamp pairs that must be ordered. Streamed tables also check the event envelope.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from contracts import envelope
from contracts.layout import LINEAGE_COLUMNS
from contracts.olist import ORDER_STATUSES, TABLES, ColumnType, TableContract

Kind = Literal["batch", "stream"]

# Contracts carry no ordering between columns, so the pairs live here, checked against the contracts below.
# Each is (later, earlier): later >= earlier wherever both are present. Carrier hand-over is NOT ordered after
# purchase or approval: the real Olist data has orders handed to the carrier before they were approved, and a
# few before they were placed.
ORDERED_TIMESTAMPS: dict[str, tuple[tuple[str, str], ...]] = {
    "orders": (
        ("order_approved_at", "order_purchase_timestamp"),
        ("order_delivered_customer_date", "order_purchase_timestamp"),
        ("order_estimated_delivery_date", "order_purchase_timestamp"),
    ),
    "order_reviews": (("review_answer_timestamp", "review_creation_date"),),
}


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation: the Great Expectations class name (`gx.expectations.<type>`) and its arguments."""

    type: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def column(self) -> str | None:
        return self.kwargs.get("column") or self.kwargs.get("column_A")


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    table: str
    kind: Kind
    expectations: tuple[ExpectationSpec, ...]


def event_types(table: TableContract) -> tuple[str, ...]:
    if table.name == "orders":
        return (*envelope.ORDER_LIFECYCLE_EVENT_TYPES, *(f"order_{status}" for status in ORDER_STATUSES))
    return (envelope.ENTITY_EVENT_TYPES[table.name],)


def _column_expectations(table: TableContract) -> list[ExpectationSpec]:
    specs: list[ExpectationSpec] = []
    for column in table.columns:
        name = column.name
        specs.append(ExpectationSpec("ExpectColumnToExist", {"column": name}))
        if not column.nullable or name in table.primary_key:
            specs.append(ExpectationSpec("ExpectColumnValuesToNotBeNull", {"column": name}))
        if column.allowed_values is not None:
            specs.append(
                ExpectationSpec(
                    "ExpectColumnValuesToBeInSet", {"column": name, "value_set": list(column.allowed_values)}
                )
            )
        if column.min_value is not None or column.max_value is not None:
            specs.append(
                ExpectationSpec(
                    "ExpectColumnValuesToBeBetween",
                    {"column": name, "min_value": column.min_value, "max_value": column.max_value},
                )
            )
        if column.max_length is not None and column.type is ColumnType.STRING:
            specs.append(
                ExpectationSpec("ExpectColumnValueLengthsToBeBetween", {"column": name, "max_value": column.max_length})
            )
    for later, earlier in ordered_pairs(table):
        specs.append(
            ExpectationSpec(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": later, "column_B": earlier, "or_equal": True, "ignore_row_if": "either_value_is_missing"},
            )
        )
    return specs


def ordered_pairs(table: TableContract) -> tuple[tuple[str, str], ...]:
    pairs = ORDERED_TIMESTAMPS.get(table.name, ())
    for pair in pairs:
        for name in pair:
            if table.column(name).type is not ColumnType.TIMESTAMP:
                raise ValueError(f"{table.name}.{name} is ordered in quality/suites.py but is not a timestamp")
    return pairs


def batch_suite(table: TableContract) -> SuiteSpec:
    """Typed Parquet written by the batch ingestion: the contract's columns plus the lineage columns."""
    lineage = [ExpectationSpec("ExpectColumnValuesToNotBeNull", {"column": name}) for name in LINEAGE_COLUMNS]
    return SuiteSpec(f"bronze_batch_{table.name}", table.name, "batch", (*_column_expectations(table), *lineage))


def stream_suite(table: TableContract) -> SuiteSpec:
    """Event envelopes from the S3 sink; the payload's text is typed by the contract before checking."""
    required = [
        *(ExpectationSpec("ExpectColumnValuesToNotBeNull", {"column": name}) for name in envelope.REQUIRED_NAMES),
        ExpectationSpec("ExpectColumnValuesToBeInSet", {"column": "event_type", "value_set": list(event_types(table))}),
        ExpectationSpec(
            "ExpectColumnValuesToBeInSet", {"column": "schema_version", "value_set": list(envelope.SCHEMA_VERSIONS)}
        ),
    ]
    return SuiteSpec(f"bronze_stream_{table.name}", table.name, "stream", (*required, *_column_expectations(table)))


def suite_for(table_name: str, kind: Kind) -> SuiteSpec:
    table = TABLES[table_name]
    if kind == "stream":
        if table.topic is None:
            raise ValueError(f"table {table_name!r} is not streamed; it has no stream suite")
        return stream_suite(table)
    return batch_suite(table)


def all_suites() -> list[SuiteSpec]:
    suites = [batch_suite(table) for table in TABLES.values()]
    suites += [stream_suite(table) for table in TABLES.values() if table.topic]
    return suites
