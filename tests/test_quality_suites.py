"""The expectation suites are derived from the data contracts (pure Python: no Great Expectations needed)."""

from __future__ import annotations

import csv

import pytest

from contracts import STREAMED_TABLES, TABLES
from contracts.olist import ORDERS
from producers.events import ENTITY_EVENT_TYPES, entity_event, order_events
from quality.suites import all_suites, batch_suite, event_types, stream_suite, suite_for


def kinds(suite, column: str) -> set[str]:
    return {spec.type for spec in suite.expectations if spec.column == column}


def test_every_table_has_a_batch_suite_and_every_streamed_table_a_stream_suite() -> None:
    names = {suite.name for suite in all_suites()}
    assert {f"bronze_batch_{name}" for name in TABLES} | {f"bronze_stream_{t.name}" for t in STREAMED_TABLES} == names


@pytest.mark.parametrize("table", list(TABLES.values()), ids=list(TABLES))
def test_every_contract_column_is_expected_present_and_its_rules_checked(table) -> None:
    suite = batch_suite(table)
    for column in table.columns:
        expected = kinds(suite, column.name)
        assert "ExpectColumnToExist" in expected
        assert ("ExpectColumnValuesToNotBeNull" in expected) == (
            not column.nullable or column.name in table.primary_key
        )
        assert ("ExpectColumnValuesToBeInSet" in expected) == (column.allowed_values is not None)
        assert ("ExpectColumnValuesToBeBetween" in expected) == (
            column.min_value is not None or column.max_value is not None
        )


def test_amounts_are_non_negative_and_scores_bounded() -> None:
    for table, column, low, high in [
        ("order_items", "price", 0, None),
        ("order_items", "freight_value", 0, None),
        ("order_payments", "payment_value", 0, None),
        ("order_reviews", "review_score", 1, 5),
    ]:
        (spec,) = [
            s
            for s in batch_suite(TABLES[table]).expectations
            if s.type == "ExpectColumnValuesToBeBetween" and s.column == column
        ]
        assert (spec.kwargs["min_value"], spec.kwargs["max_value"]) == (low, high)


def test_statuses_are_checked_against_the_contract_values() -> None:
    (spec,) = [s for s in batch_suite(ORDERS).expectations if s.type == "ExpectColumnValuesToBeInSet"]
    assert spec.column == "order_status" and set(spec.kwargs["value_set"]) == set(
        ORDERS.column("order_status").allowed_values
    )


def test_lifecycle_timestamps_are_ordered_after_purchase_but_carrier_hand_over_is_not() -> None:
    pairs = {
        (s.kwargs["column_A"], s.kwargs["column_B"])
        for s in batch_suite(ORDERS).expectations
        if s.type == "ExpectColumnPairValuesAToBeGreaterThanB"
    }
    assert ("order_approved_at", "order_purchase_timestamp") in pairs
    assert ("order_delivered_customer_date", "order_purchase_timestamp") in pairs
    # The real data has orders handed to the carrier before approval and even before purchase.
    assert not {pair for pair in pairs if "order_delivered_carrier_date" in pair}


def test_stream_suites_check_the_envelope_with_the_producers_event_types(olist_sample_dir) -> None:
    with (olist_sample_dir / ORDERS.file_name).open(encoding="utf-8", newline="") as stream:
        rows = [{k: v or None for k, v in row.items()} for row in csv.DictReader(stream)]
    produced = {
        event.envelope["event_type"]
        for number, row in enumerate(rows, 1)
        for event in order_events(ORDERS, ORDERS.file_name, number, row)
    }
    assert produced <= set(event_types(ORDERS))
    for table in STREAMED_TABLES:
        if table.name != "orders":
            assert event_types(table) == (ENTITY_EVENT_TYPES[table.name],)
            raw = dict.fromkeys(table.column_names, "1")
            assert entity_event(table, table.file_name, 1, raw, "2018-01-01 00:00:00").envelope[
                "event_type"
            ] in event_types(table)
    suite = stream_suite(ORDERS)
    assert {"event_id", "event_type", "event_time", "schema_version"} <= {s.column for s in suite.expectations}


def test_a_table_that_is_not_streamed_has_no_stream_suite() -> None:
    with pytest.raises(ValueError, match="not streamed"):
        suite_for("customers", "stream")
