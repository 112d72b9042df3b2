"""contracts.validation on random inputs: the fast paths decide exactly as the plain rules do.

- timestamps: a range-checking pattern plus `datetime.fromisoformat` accept exactly the strings that
  `TIMESTAMP_PATTERN` plus `strptime(TIMESTAMP_FORMAT)` accept, with the same values;
- `rejected_rows` gives the verdict of `parse_row` on each row of a batch;
- the CSV reader gives the same records and errors whatever the size of the chunks it reads.
"""

from __future__ import annotations

import io
import re
import string
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts import validation
from contracts.olist import TABLES, TIMESTAMP_FORMAT, Column, ColumnType, TableContract
from contracts.validation import (
    TIMESTAMP_PATTERN,
    FileRejected,
    RowRejected,
    iter_csv_records,
    parse_row,
    parse_value,
    read_csv_records,
    rejected_rows,
)

TIMESTAMP = TABLES["orders"].column("order_purchase_timestamp")
NULLABLE_TIMESTAMP = TABLES["orders"].column("order_approved_at")


def strptime_reference(text: str) -> datetime | None:
    """How timestamps were parsed before the fast path: the pattern, then `strptime`; None when refused."""
    if re.match(TIMESTAMP_PATTERN, text):
        try:
            return datetime.strptime(text, TIMESTAMP_FORMAT)
        except ValueError:
            pass
    return None


def two_digits(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda number: f"{number:02d}")


valid_timestamps = st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S").rjust(19, "0")
)
# Every field anywhere in 00..99 (year 0000..9999): impossible dates, 24:00, leap seconds, day 31 of short months.
shaped_timestamps = st.builds(
    "{}-{}-{} {}:{}:{}".format,
    st.integers(0, 9999).map(lambda year: f"{year:04d}"),
    *(two_digits(0, 99) for _ in range(5)),
)
leap_days = st.integers(1, 9999).map(lambda year: f"{year:04d}-02-29 12:00:00")
near_misses = st.text(alphabet="0123456789-: T\n\t+.Z\u0660\u0663\uff11", max_size=24)


def mutated(texts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    edits = [
        lambda text: text + "\n",
        lambda text: " " + text,
        lambda text: text + " ",
        lambda text: text.replace(" ", "T"),
        lambda text: text.replace(" ", "  "),
        lambda text: text[:-3],
        lambda text: text + ".5",
        lambda text: text.replace("0", "\u0660"),
        lambda text: text.replace("-", "/"),
        lambda text: text[:10],
    ]
    return st.tuples(texts, st.sampled_from(edits)).map(lambda pair: pair[1](pair[0]))


timestamp_texts = st.one_of(
    valid_timestamps, shaped_timestamps, leap_days, mutated(valid_timestamps), near_misses, st.text(max_size=30)
)


@settings(max_examples=3000, deadline=None)
@given(timestamp_texts)
def test_timestamps_accept_exactly_what_strptime_accepted(text: str) -> None:
    if text == "":
        return  # an empty field is a null, judged before the format
    expected = strptime_reference(text)
    for column in (TIMESTAMP, NULLABLE_TIMESTAMP):
        if expected is None:
            with pytest.raises(RowRejected, match="is not a valid timestamp") as caught:
                parse_value(column, text)
            assert caught.value.column == column.name
        else:
            assert parse_value(column, text) == expected


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("2016-02-29 23:59:59", True),
        ("2017-02-29 00:00:00", False),
        ("2000-02-29 00:00:00", True),
        ("1900-02-29 00:00:00", False),
        ("0000-01-01 00:00:00", False),
        ("0001-01-01 00:00:00", True),
        ("2018-04-31 10:00:00", False),
        ("2018-01-01 24:00:00", False),
        ("2018-01-01 23:60:00", False),
        ("2018-01-01 23:59:60", False),
        ("2018-01-01 10:00:00\n", False),
        ("2018-01-01T10:00:00", False),
        ("\u0662018-01-01 10:00:00", False),
    ],
)
def test_timestamp_edges(text: str, accepted: bool) -> None:
    assert (strptime_reference(text) is not None) == accepted
    if accepted:
        assert parse_value(TIMESTAMP, text) == strptime_reference(text)
    else:
        with pytest.raises(RowRejected):
            parse_value(TIMESTAMP, text)


def valid_texts(column: Column) -> st.SearchStrategy[str]:
    """Texts the column accepts (mostly), in the shape of real Olist values."""
    match column.type:
        case ColumnType.STRING if column.allowed_values is not None:
            return st.sampled_from(column.allowed_values)
        case ColumnType.STRING:
            return st.text(string.hexdigits, min_size=1, max_size=column.max_length or 40)
        case ColumnType.TIMESTAMP:
            return valid_timestamps
        case ColumnType.INTEGER | ColumnType.BIGINT:
            low = int(column.min_value) if column.min_value is not None else -1000
            high = int(column.max_value) if column.max_value is not None else low + 10_000
            return st.integers(low, high).map(str)
        case ColumnType.DECIMAL:
            return st.decimals(Decimal(0), Decimal("99999"), places=2).map(str)
        case ColumnType.DOUBLE:
            return st.floats(-90, 90).map(repr)


TRICKY = [
    None, "", " ", "abc", "-1", "0", "1.005", "-3.00", "1e5", "nan", "inf", "12\n", "\u0663", "x" * 40,
    "2017-02-29 10:00:00", "2018-01-01 24:00:00", "2018-01-01T10:00:00", "DELIVERED", "SP", "credit_card",
    "99999999999", "2147483648", "1" * 19, "5", "6",
]  # fmt: skip


@st.composite
def raw_rows(draw: st.DrawFn, table_name: str) -> dict[str, str | None]:
    table = TABLES[table_name]
    raw: dict[str, str | None] = {}
    for column in table.columns:
        if draw(st.integers(0, 19)) == 0:
            raw[column.name] = draw(st.sampled_from(TRICKY) | st.text(max_size=12))
        else:
            raw[column.name] = draw(valid_texts(column) | st.none()) if column.nullable else draw(valid_texts(column))
    shape = draw(st.integers(0, 29))
    if shape == 0:
        del raw[draw(st.sampled_from(table.column_names))]
    elif shape == 1:
        raw[f"{validation.EXTRA_FIELD_PREFIX}1"] = draw(st.text(max_size=5))
    elif shape == 2:
        raw = dict(reversed(list(raw.items())))  # same columns in another order: valid
    return raw


@st.composite
def batches(draw: st.DrawFn) -> tuple[str, list[dict[str, str | None]]]:
    table_name = draw(st.sampled_from(sorted(TABLES)))
    return table_name, draw(st.lists(raw_rows(table_name), max_size=25))


def verdict_one_by_one(table_name: str, raws: list[dict[str, str | None]]) -> dict[int, tuple[str, str | None]]:
    verdict = {}
    for position, raw in enumerate(raws):
        try:
            parse_row(TABLES[table_name], raw)
        except RowRejected as rejected:
            verdict[position] = (rejected.reason, rejected.column)
    return verdict


@settings(max_examples=1500, deadline=None)
@given(batches())
def test_rejected_rows_is_parse_row_on_each_row(batch: tuple[str, list[dict[str, str | None]]]) -> None:
    table_name, raws = batch
    verdict = rejected_rows(TABLES[table_name], raws)
    assert {position: (error.reason, error.column) for position, error in verdict.items()} == verdict_one_by_one(
        table_name, raws
    )


def invalid_text(column: Column) -> str:
    if column.type is not ColumnType.STRING:
        return "\u0663"  # an Arabic-Indic digit: no number or timestamp
    if column.allowed_values is not None:
        return "none of these"
    assert column.max_length is not None, f"{column.name}: every text column is bounded"
    return "x" * (column.max_length + 1)


@pytest.mark.parametrize("table", TABLES.values(), ids=lambda table: table.name)
def test_rejected_rows_of_the_real_sample(table: TableContract, olist_sample_dir: Path) -> None:
    raws = [raw for _, raw in read_csv_records(olist_sample_dir / table.file_name, table)]
    assert rejected_rows(table, raws) == {}
    for column in table.columns:
        broken = [dict(raw) for raw in raws]
        broken[len(broken) // 2][column.name] = invalid_text(column)
        verdict = rejected_rows(table, broken)
        assert list(verdict) == [len(broken) // 2]
        assert verdict[len(broken) // 2].column == column.name


# CSV syntax, valid and broken UTF-8 (a lone lead byte, 0xff), U+2028 and a BOM in mid-file.
PIECES = [
    b'"', b'""', b",", b" ", b"\n", b"\r\n", b"\r", b"a", b"12",
    b"\xc3\xa1", b"\xc3", b"\xff", b"\xe2\x80\xa8", b"\xef\xbb\xbf",
]  # fmt: skip


@settings(max_examples=1500, deadline=None)
@given(
    body=st.lists(st.sampled_from(PIECES), max_size=60),
    bom=st.booleans(),
    chunk=st.integers(1, 9),
)
def test_records_and_errors_do_not_depend_on_the_read_chunk(body: list[bytes], bom: bool, chunk: int) -> None:
    table = TABLES["sellers"]
    header = ",".join(f'"{name}"' for name in table.column_names).encode() + b"\n"
    data = (b"\xef\xbb\xbf" if bom else b"") + header + b"".join(body)

    def read() -> tuple[list[tuple[int, int, list[str]]], tuple[str, str] | None]:
        records: list[tuple[int, int, list[str]]] = []
        try:
            for record in iter_csv_records(io.BytesIO(data), table, "sellers.csv"):
                records.append((record.row_number, record.line_number, record.fields))
        except FileRejected as error:
            return records, (type(error).__name__, str(error))
        return records, None

    whole = read()
    original = validation._READ_CHUNK
    try:
        validation._READ_CHUNK = chunk
        assert read() == whole
    finally:
        validation._READ_CHUNK = original
