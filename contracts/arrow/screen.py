"""Vectorised typing of a batch of raw text columns, flagging every row the contract might reject.

The screen is deliberately conservative: a flagged ("suspect") row is not rejected here but handed to
`contracts.validation.parse_row`, the single authority on reasons. The screen only lets through values that
`parse_row` accepts (the `*_PATTERN` formats, or cheaper checks that are never looser), and types them with
Arrow casts that give the same values; tests/test_ingestion_screen.py checks this property on random inputs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa
import pyarrow.compute as pc

from contracts.arrow.types import ARROW_TYPES
from contracts.olist import Column, ColumnType, TableContract
from contracts.validation import (
    DECIMAL_PATTERN,
    DOUBLE_PATTERN,
    INTEGER_RANGES,
    RowRejected,
    parse_value,
)


@dataclass(frozen=True)
class Screened:
    """Typed columns (null where suspect) and the mask of rows `parse_row` must judge."""

    columns: list[pa.Array]
    suspect: pa.BooleanArray


def screen(table: TableContract, raw: list[pa.Array]) -> Screened:
    """Type `raw` (one string array per contract column, null for an empty field) and flag the suspect rows."""
    length = len(raw[0]) if raw else 0
    masks: list[pa.Array] = []
    typed: list[pa.Array] = []
    for column, text in zip(table.columns, raw, strict=True):
        values, bad = _column(column, text)
        typed.append(values)
        masks.extend(bad)
        if not column.nullable and text.null_count:
            masks.append(pc.is_null(text))
    suspect = functools.reduce(pc.or_, masks) if masks else pa.repeat(False, length)
    return Screened(typed, suspect)


Masks = list[pa.Array]


def _column(column: Column, text: pa.Array) -> tuple[pa.Array, Masks]:
    """The typed column and the masks of rows that may be invalid (nulls are judged by the caller)."""
    match column.type:
        case ColumnType.STRING:
            return text, _string_suspects(column, text)
        case ColumnType.INTEGER | ColumnType.BIGINT:
            # Plain digits (the `-` of a negative value makes it a suspect for parse_row to judge); at most 18 of
            # them so the int64 cast cannot overflow. Cheaper than INTEGER_PATTERN, and never looser.
            malformed = pc.invert(pc.and_(pc.utf8_is_digit(text), pc.less_equal(pc.utf8_length(text), 18)))
            return _numbers(column, text, pc.fill_null(malformed, False))
        case ColumnType.DOUBLE:
            values, bad = _numbers(column, text, _malformed(text, DOUBLE_PATTERN))
            return values, [*bad, pc.fill_null(pc.invert(pc.is_finite(values)), False)]
        case ColumnType.DECIMAL:
            return _numbers(column, text, _malformed(text, DECIMAL_PATTERN))
        case ColumnType.TIMESTAMP:
            # Arrow's ISO-8601 cast accepts exactly TIMESTAMP_PATTERN among 19-character values, plus a `T`
            # instead of the space: checking the length and the space is enough, and much cheaper than a regex.
            shaped = pc.and_(pc.equal(pc.utf8_length(text), 19), pc.match_substring(text, " "))
            malformed = pc.fill_null(pc.invert(shaped), False)
            values, impossible = _cast(column, _without(text, malformed), ARROW_TYPES[column.type])
            return values, [malformed, *impossible]


def _string_suspects(column: Column, text: pa.Array) -> Masks:
    masks = []
    if column.max_length is not None:
        masks.append(pc.fill_null(pc.greater(pc.utf8_length(text), column.max_length), False))
    if column.allowed_values is not None:
        allowed = pc.is_in(text, value_set=pa.array(column.allowed_values, pa.string()))
        masks.append(pc.and_(pc.invert(allowed), pc.is_valid(text)))
    return masks


def _malformed(text: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.invert(pc.match_substring_regex(text, pattern)), False)


def _without(text: pa.Array, malformed: pa.Array) -> pa.Array:
    """`text` with malformed values nulled, so a cast only sees well-formed ones."""
    if not malformed.true_count:
        return text
    return pc.if_else(malformed, pa.scalar(None, pa.string()), text)


def _numbers(column: Column, text: pa.Array, malformed: pa.Array) -> tuple[pa.Array, Masks]:
    # Integers are cast to int64 first so values beyond int32 are caught by the bounds, not by a failing cast.
    arrow_type = pa.int64() if column.type in INTEGER_RANGES else ARROW_TYPES[column.type]
    values, refused = _cast(column, _without(text, malformed), arrow_type)
    low, high = _bounds(column)
    out_of_bounds = []
    if low is not None:
        out_of_bounds.append(pc.fill_null(pc.less(values, _scalar(low, arrow_type)), False))
    if high is not None:
        out_of_bounds.append(pc.fill_null(pc.greater(values, _scalar(high, arrow_type)), False))
    if arrow_type != ARROW_TYPES[column.type]:
        in_range = values
        for mask in out_of_bounds:
            in_range = pc.if_else(mask, pa.scalar(None, arrow_type), in_range)
        values = pc.cast(in_range, ARROW_TYPES[column.type])
    return values, [malformed, *refused, *out_of_bounds]


def _cast(column: Column, clean: pa.Array, arrow_type: pa.DataType) -> tuple[pa.Array, Masks]:
    """Cast well-formed text; values Arrow still refuses (2017-02-30, 1e999) are found one by one (rare)."""
    try:
        return pc.cast(clean, arrow_type), []
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        refused = pa.array([_refused(column, value) for value in clean.to_pylist()], pa.bool_())
        values = pc.cast(pc.if_else(refused, pa.scalar(None, pa.string()), clean), arrow_type)
        return values, [refused]


def _bounds(column: Column) -> tuple[float | int | None, float | int | None]:
    low, high = column.min_value, column.max_value
    if column.type in INTEGER_RANGES:
        type_low, type_high = INTEGER_RANGES[column.type]
        low = type_low if low is None else max(low, type_low)
        high = type_high if high is None else min(high, type_high)
    return low, high


def _scalar(bound: float | int, arrow_type: pa.DataType) -> pa.Scalar:
    if pa.types.is_decimal(arrow_type):
        return pa.scalar(Decimal(str(bound)), arrow_type)
    if pa.types.is_integer(arrow_type):
        return pa.scalar(int(bound), arrow_type)
    return pa.scalar(bound, arrow_type)


def _refused(column: Column, value: str | None) -> bool:
    if value is None:
        return False
    try:
        parse_value(column, value)
    except RowRejected:
        return True
    try:
        pc.cast(pa.array([value]), ARROW_TYPES[column.type] if column.type not in INTEGER_RANGES else pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return True
    return False
