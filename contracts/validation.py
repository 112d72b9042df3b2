"""Reading Olist CSV records and validating rows against their contract.

Shared by the batch ingestion and the Kafka producer, so a row means the same thing on both paths.
Two functions carry the contract:

- `read_csv_records(source, table)` parses a CSV with the real `csv` module (UTF-8 BOM, CRLF, quoted headers,
  quoted multi-line fields with CRLF inside), checks the header and yields `(row_number, raw)` where `raw` maps
  each column to its original text, or None when empty. Row numbers are 1-based records, header excluded.
- `parse_row(table, raw)` turns a raw row into typed values (str, int, Decimal, float, naive UTC datetime, None)
  or raises `RowRejected` with a specific reason and the offending column.

Raw text is never altered: strings come back byte for byte (review texts keep their CRLF, zip prefixes their
leading zeros). The textual formats accepted are the `*_PATTERN` constants, which the ingestion's vectorised
screen also uses, so both agree on what a valid value is.
"""

from __future__ import annotations

import csv
import math
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, TextIO

from contracts.olist import TIMESTAMP_FORMAT, Column, ColumnType, TableContract

INTEGER_PATTERN = r"^-?[0-9]{1,18}$"
DOUBLE_PATTERN = r"^-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$"
TIMESTAMP_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"


def _decimal_shape(column_type: ColumnType) -> tuple[int, int]:
    match = re.fullmatch(r"decimal\((\d+),(\d+)\)", column_type.value)
    if match is None:
        raise ValueError(f"{column_type} is not a decimal type")
    return int(match.group(1)), int(match.group(2))


DECIMAL_PRECISION, DECIMAL_SCALE = _decimal_shape(ColumnType.DECIMAL)
DECIMAL_PATTERN = rf"^-?[0-9]{{1,{DECIMAL_PRECISION - DECIMAL_SCALE}}}(\.[0-9]{{1,{DECIMAL_SCALE}}})?$"

INTEGER_RANGES: dict[ColumnType, tuple[int, int]] = {
    ColumnType.INTEGER: (-(2**31), 2**31 - 1),
    ColumnType.BIGINT: (-(2**63), 2**63 - 1),
}

# Keys under which read_csv_records keeps values beyond the contract's last column, so parse_row can reject them.
EXTRA_FIELD_PREFIX = "__extra_field_"
# A physical line longer than this is not an Olist record; refusing it keeps memory bounded.
MAX_LINE_BYTES = 16 * 1024 * 1024
_READ_CHUNK = 1024 * 1024

_INTEGER_RE = re.compile(INTEGER_PATTERN)
_DOUBLE_RE = re.compile(DOUBLE_PATTERN)
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_TIMESTAMP_RE = re.compile(TIMESTAMP_PATTERN)
_ANY_NUMBER_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")


class ContractError(ValueError):
    """Data that does not meet its contract."""


class RowRejected(ContractError):
    """One row breaks its contract; `reason` says how and `column` where (None for the row as a whole)."""

    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(f"{column}: {reason}" if column else reason)
        self.reason = reason
        self.column = column


class FileRejected(ContractError):
    """A whole file cannot be read as its table; no row of it can be trusted."""

    kind = "malformed_file"

    def __init__(self, reason: str, source: str = "", line: int | None = None) -> None:
        where = f"{source}" + (f", line {line}" if line else "")
        super().__init__(f"{where}: {reason}" if where else reason)
        self.reason = reason
        self.source = source
        self.line = line


class EmptyFile(FileRejected):
    kind = "empty_file"


class NoDataRows(FileRejected):
    kind = "header_only"


class InvalidEncoding(FileRejected):
    kind = "invalid_utf8"


class MalformedCsv(FileRejected):
    kind = "malformed_csv"


class HeaderMismatch(FileRejected):
    kind = "header_mismatch"

    def __init__(self, table: TableContract, found: list[str], source: str = "") -> None:
        expected = list(table.column_names)
        missing = [name for name in expected if name not in found]
        unexpected = [name for name in found if name not in expected]
        if not set(found) & set(expected):
            hint = "the first line is not a header (the header row is missing?)"
        elif missing or unexpected:
            hint = f"missing columns {missing}, unexpected columns {unexpected}"
        else:
            hint = "same columns in a different order"
        reason = (
            f"header does not match table {table.name!r}: {hint}; expected {expected}, found {found}. "
            f"Fix the export or drop the file under the prefix of the table it belongs to."
        )
        super().__init__(reason, source, line=1)
        self.expected = expected
        self.found = found


@dataclass(frozen=True)
class CsvRecord:
    """One parsed record: its 1-based number (header excluded), the physical line it starts on, its fields."""

    row_number: int
    line_number: int
    fields: list[str]


Source = str | os.PathLike[str] | BinaryIO | TextIO


def read_csv_records(source: Source, table: TableContract) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Yield `(row_number, raw)` for each record of an Olist CSV after checking its header."""
    for record in iter_csv_records(source, table):
        yield record.row_number, raw_values(table, record.fields)


def iter_csv_records(source: Source, table: TableContract, source_name: str = "") -> Iterator[CsvRecord]:
    """Yield each record's fields as the csv module parsed them, after checking the header against `table`.

    Raises `EmptyFile`, `HeaderMismatch`, `InvalidEncoding` or `MalformedCsv` (unterminated quote, broken quoting);
    rows with the wrong number of fields are yielded as they are, for `parse_row` to reject.
    """
    name = source_name or _source_name(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield from _records(_decoded_lines(stream, name), table, name)
    elif isinstance(source.read(0), str):
        yield from _records(_text_lines(source), table, name)  # type: ignore[arg-type]
    else:
        yield from _records(_decoded_lines(source, name), table, name)  # type: ignore[arg-type]


def raw_values(table: TableContract, fields: list[str]) -> dict[str, str | None]:
    """Map a record's fields to column names: empty text becomes None, surplus fields get `EXTRA_FIELD_PREFIX` keys."""
    names = table.column_names
    raw: dict[str, str | None] = {name: (value or None) for name, value in zip(names, fields, strict=False)}
    for index, value in enumerate(fields[len(names) :], start=1):
        raw[f"{EXTRA_FIELD_PREFIX}{index}"] = value
    return raw


def parse_row(table: TableContract, raw: dict[str, str | None]) -> dict[str, object]:
    """Typed values of one raw row, or `RowRejected` naming the first problem found."""
    expected = table.column_names
    extra = [key for key in raw if key not in expected]
    if extra:
        values = [raw[key] for key in extra]
        raise RowRejected(
            f"record has {len(expected) + len(extra)} fields, the table has {len(expected)} columns "
            f"(extra column value(s) {values!r} after the last column)"
        )
    missing = [name for name in expected if name not in raw]
    if missing:
        raise RowRejected(
            f"record has {len(expected) - len(missing)} fields, the table has {len(expected)} columns "
            f"(no value for {', '.join(missing)}: short or truncated record)",
            missing[0],
        )
    return {column.name: parse_value(column, raw[column.name]) for column in table.columns}


def parse_value(column: Column, text: str | None) -> object:
    """The typed value of one field; raises `RowRejected` naming the column."""
    if text is None or text == "":
        if not column.nullable:
            raise RowRejected("missing required value (empty field)", column.name)
        return None
    match column.type:
        case ColumnType.STRING:
            value: object = _string(column, text)
        case ColumnType.INTEGER | ColumnType.BIGINT:
            value = _integer(column, text)
        case ColumnType.DOUBLE:
            value = _double(column, text)
        case ColumnType.DECIMAL:
            value = _decimal(column, text)
        case ColumnType.TIMESTAMP:
            value = _timestamp(column, text)
    return value


def _string(column: Column, text: str) -> str:
    if column.max_length is not None and len(text) > column.max_length:
        raise RowRejected(
            f"oversized value: {len(text)} characters, the maximum is {column.max_length} (starts with {text[:40]!r})",
            column.name,
        )
    if column.allowed_values is not None and text not in column.allowed_values:
        raise RowRejected(f"{text!r} is not an allowed value; allowed: {', '.join(column.allowed_values)}", column.name)
    return text


def _integer(column: Column, text: str) -> int:
    if not _INTEGER_RE.match(text):
        raise RowRejected(f"{text[:40]!r} is not an integer", column.name)
    value = int(text)
    low, high = INTEGER_RANGES[column.type]
    if not low <= value <= high:
        raise RowRejected(f"{value} is out of range for {column.type.value} [{low}, {high}]", column.name)
    _check_bounds(column, value)
    return value


def _double(column: Column, text: str) -> float:
    if not _DOUBLE_RE.match(text):
        raise RowRejected(f"{text[:40]!r} is not a number", column.name)
    value = float(text)
    if not math.isfinite(value):
        raise RowRejected(f"{text!r} is not a finite number", column.name)
    _check_bounds(column, value)
    return value


def _decimal(column: Column, text: str) -> Decimal:
    if not _DECIMAL_RE.match(text):
        if _ANY_NUMBER_RE.match(text):
            reason = (
                f"{text!r} does not fit {column.type.value}: at most {DECIMAL_PRECISION - DECIMAL_SCALE} integer "
                f"digits and {DECIMAL_SCALE} decimal places"
            )
        else:
            reason = f"non-numeric amount {text[:40]!r} (expected digits with '.' and up to {DECIMAL_SCALE} decimals)"
        raise RowRejected(reason, column.name)
    value = Decimal(text)
    if value < 0 and column.min_value is not None and column.min_value >= 0:
        raise RowRejected(f"negative amount {text}", column.name)
    _check_bounds(column, value)
    return value


def _timestamp(column: Column, text: str) -> datetime:
    if _TIMESTAMP_RE.match(text):
        try:
            return datetime.strptime(text, TIMESTAMP_FORMAT)
        except ValueError:
            pass
    raise RowRejected(f"{text[:40]!r} is not a valid timestamp (expected YYYY-MM-DD HH:MM:SS)", column.name)


def _check_bounds(column: Column, value: int | float | Decimal) -> None:
    if column.min_value is not None and value < column.min_value:
        raise RowRejected(f"{value} is below the minimum {_number(column.min_value)}", column.name)
    if column.max_value is not None and value > column.max_value:
        raise RowRejected(f"{value} is above the maximum {_number(column.max_value)}", column.name)


def _number(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _source_name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return str(getattr(source, "name", "") or "<stream>")


def _records(lines: Iterable[str], table: TableContract, name: str) -> Iterator[CsvRecord]:
    counter = _LineCounter(lines)
    # strict: an unterminated quote at end of file raises instead of silently closing the field.
    reader = csv.reader(counter, strict=True)
    header: list[str] | None = None
    row_number = 0
    while True:
        start_line = counter.count + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise _malformed(error, name, start_line, counter.count) from error
        if not fields:
            continue  # blank line between records
        if header is None:
            header = fields
            if header != list(table.column_names):
                raise HeaderMismatch(table, header, name)
            continue
        row_number += 1
        yield CsvRecord(row_number, start_line, fields)
    if header is None:
        raise EmptyFile("empty file: no header and no rows; the export or upload produced nothing", name)


def _malformed(error: csv.Error, name: str, start_line: int, end_line: int) -> MalformedCsv:
    message = str(error)
    if "unexpected end of data" in message:
        return MalformedCsv(
            f"unterminated quoted field: the record starting on line {start_line} opens a quote that is never "
            f"closed before the end of the file (truncated upload or stray quote); re-export the file",
            name,
            start_line,
        )
    return MalformedCsv(f"broken CSV quoting near line {end_line}: {message}", name, end_line)


class _LineCounter:
    """Counts the physical lines the csv reader consumes, to point errors at a line."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.count = 0

    def __iter__(self) -> _LineCounter:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


def _decoded_lines(stream: BinaryIO, name: str) -> Iterator[str]:
    """Lines (terminators kept) decoded as strict UTF-8, minus a leading BOM; errors name the line and byte."""
    offset = 0
    for number, line in enumerate(_binary_lines(stream, name), start=1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
            offset = 3
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidEncoding(
                f"invalid UTF-8 at byte {offset + error.start} ({line[error.start : error.start + 4]!r}): "
                f"{error.reason}; re-export the file as UTF-8",
                name,
                number,
            ) from error
        offset += len(line)


def _binary_lines(stream: BinaryIO, name: str) -> Iterator[bytes]:
    pending = b""
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        pending += chunk
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            yield line + b"\n"
        if len(pending) > MAX_LINE_BYTES:
            raise MalformedCsv(f"a line is longer than {MAX_LINE_BYTES} bytes; this is not an Olist CSV", name)
    if pending:
        yield pending


def _text_lines(stream: TextIO) -> Iterator[str]:
    # The stream must be opened with newline="" or CRLF inside quoted values is lost before the csv module sees it.
    for number, line in enumerate(stream, start=1):
        yield line[1:] if number == 1 and line.startswith("\ufeff") else line
