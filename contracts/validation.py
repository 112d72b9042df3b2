"""Reading Olist CSV records and validating rows against their contract.

Shared by the batch ingestion and the Kafka producer, so a row means the same thing on both paths.
Two functions carry the contract:

- `read_csv_records(source, table)` parses a CSV with the real `csv` module (UTF-8 BOM, CRLF, quoted headers,
  quoted multi-line fields with CRLF inside), checks the header and yields `(row_number, raw)` where `raw` maps
  each column to its original text, or None when empty. Row numbers are 1-based records, header excluded.
- `parse_row(table, raw)` turns a raw row into typed values (str, int, Decimal, float, naive UTC datetime, None)
  or raises `RowRejected` with a specific reason and the offending column. `rejected_rows(table, raws)` gives
  the same verdict on a whole batch of rows, judging each column's values together.

Raw text is never altered: strings come back byte for byte (review texts keep their CRLF, zip prefixes their
leading zeros). The textual formats accepted are the `*_PATTERN` constants, which the ingestion's vectorised
screen also uses, so both agree on what a valid value is.
"""

from __future__ import annotations

import collections
import csv
import io
import itertools
import math
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO, TextIO

from contracts.olist import TABLES, Column, ColumnType, TableContract

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
# The csv module's default field limit (128 Ki characters) would reject a whole file over one oversized value; up to
# this many characters a field is read, and its row is quarantined by the column's max_length like any other.
MAX_FIELD_CHARS = MAX_LINE_BYTES
csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD_CHARS))
# Separators of other CSV dialects, recognised in a header so the rejection can name the real problem.
_OTHER_DELIMITERS = {";": "';'", "\t": "tabs", "|": "'|'"}
_READ_CHUNK = 1024 * 1024

_INTEGER_RE = re.compile(INTEGER_PATTERN)
_DOUBLE_RE = re.compile(DOUBLE_PATTERN)
_DECIMAL_RE = re.compile(DECIMAL_PATTERN)
_ANY_NUMBER_RE = re.compile(r"^-?[0-9]+(\.[0-9]+)?$")
# TIMESTAMP_PATTERN with every field in its range, so that `datetime.fromisoformat` is left to refuse only impossible
# dates (2017-02-30, year 0). Together they accept exactly the strings that TIMESTAMP_PATTERN and then
# `strptime(text, TIMESTAMP_FORMAT)` accept (a property test checks it), an order of magnitude faster. The ranges are
# checked here because what fromisoformat accepts beyond them (24:00) depends on the Python version.
_TIMESTAMP_RE = re.compile(
    r"[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01]) ([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
)
_BOM = b"\xef\xbb\xbf"


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


class WrongDelimiter(FileRejected):
    kind = "wrong_delimiter"


class HeaderMismatch(FileRejected):
    kind = "header_mismatch"

    def __init__(self, table: TableContract, found: list[str], source: str = "") -> None:
        expected = list(table.column_names)
        missing = [name for name in expected if name not in found]
        unexpected = [name for name in found if name not in expected]
        other = next((t for t in TABLES.values() if t is not table and list(t.column_names) == found), None)
        if other is not None:
            hint = f"it is the header of table {other.name!r} ({other.file_name})"
        elif not set(found) & set(expected):
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
# A raw value (None for an empty field) -> its typed value, or RowRejected naming the column.
ValueParser = Callable[[str | None], object]


def read_csv_records(source: Source, table: TableContract) -> Iterator[tuple[int, dict[str, str | None]]]:
    """Yield `(row_number, raw)` for each record of an Olist CSV after checking its header."""
    names = table.column_names
    width = len(names)
    for row_number, _line, fields in _source_records(source, table, ""):
        if len(fields) != width:
            yield row_number, raw_values(table, fields)
        elif "" in fields:
            yield row_number, {name: value or None for name, value in zip(names, fields, strict=True)}
        else:
            yield row_number, dict(zip(names, fields, strict=True))


def iter_csv_records(source: Source, table: TableContract, source_name: str = "") -> Iterator[CsvRecord]:
    """Yield each record's fields as the csv module parsed them, after checking the header against `table`.

    Raises `EmptyFile`, `HeaderMismatch`, `WrongDelimiter`, `InvalidEncoding` or `MalformedCsv` (unclosed quote,
    broken quoting);
    rows with the wrong number of fields are yielded as they are, for `parse_row` to reject.
    """
    for row_number, line_number, fields in _source_records(source, table, source_name):
        yield CsvRecord(row_number, line_number, fields)


def raw_values(table: TableContract, fields: list[str]) -> dict[str, str | None]:
    """Map a record's fields to column names: empty text becomes None, surplus fields get `EXTRA_FIELD_PREFIX` keys."""
    names = table.column_names
    raw: dict[str, str | None] = {name: (value or None) for name, value in zip(names, fields, strict=False)}
    for index, value in enumerate(fields[len(names) :], start=1):
        raw[f"{EXTRA_FIELD_PREFIX}{index}"] = value
    return raw


def parse_row(table: TableContract, raw: dict[str, str | None]) -> dict[str, object]:
    """Typed values of one raw row, or `RowRejected` naming the first problem found."""
    return _rules(table).parse_row(raw)


def rejected_rows(table: TableContract, raws: Sequence[dict[str, str | None]]) -> dict[int, RowRejected]:
    """`parse_row`'s verdict on a batch of raw rows: the `RowRejected` of each row it rejects, by position in `raws`.

    The same verdict as calling `parse_row` on each row, for a fraction of the cost when most rows are valid: a
    value's validity depends on its column alone, so each column's values are judged together (in bulk where the
    type allows, else each distinct value once), and only the rows holding a refused value (or the wrong columns)
    go through `parse_row` for their reason.
    """
    return _rules(table).rejected_rows(raws)


class _TableRules:
    """A table's column parsers, built once."""

    def __init__(self, table: TableContract) -> None:
        self.table = table
        self.names = table.column_names
        self.name_set = frozenset(self.names)
        self.parsers = tuple((column.name, _value_parser(column)) for column in table.columns)
        self.screens = tuple(
            (name, _refused_values(column, parse))
            for column, (name, parse) in zip(table.columns, self.parsers, strict=True)
        )

    def parse_row(self, raw: dict[str, str | None]) -> dict[str, object]:
        if raw.keys() != self.name_set:
            _reject_shape(self.names, raw)
        return {name: parse_text(raw[name]) for name, parse_text in self.parsers}

    def rejected_rows(self, raws: Sequence[dict[str, str | None]]) -> dict[int, RowRejected]:
        # Rows without exactly the table's columns are suspects as they are; the others are screened by column.
        fits = [raw.keys() == self.name_set for raw in raws]
        positions = list(itertools.compress(range(len(raws)), fits))
        shaped = list(itertools.compress(raws, fits))
        suspects = set(range(len(raws))).difference(positions)
        for name, refused_values in self.screens:
            values = [raw[name] for raw in shaped]
            refused = refused_values(values)
            if refused:
                suspects.update(position for position, text in zip(positions, values, strict=True) if text in refused)
        verdict: dict[int, RowRejected] = {}
        for position in sorted(suspects):
            try:
                self.parse_row(raws[position])
            except RowRejected as rejected:
                verdict[position] = rejected
        return verdict


def _rules(table: TableContract) -> _TableRules:
    # Keyed by identity: hashing a contract hashes every column, which would cost more than the parsing it saves.
    # The entry holds the table, so its id cannot be reused while it is cached.
    cached = _RULES.get(id(table))
    if cached is not None and cached.table is table:
        return cached
    if len(_RULES) >= _MAX_CACHED_RULES:
        _RULES.clear()
    rules = _RULES[id(table)] = _TableRules(table)
    return rules


_RULES: dict[int, _TableRules] = {}
# Contracts are a handful of module constants; the bound only matters for code that builds tables on the fly.
_MAX_CACHED_RULES = 64


def _refused_values(column: Column, parse_text: ValueParser) -> Callable[[list[str | None]], set[str | None]]:
    """The values of a column that `parse_text` refuses: none when a bulk check passes, else judged one by one."""
    all_valid = _bulk_check(column)

    def refused(values: list[str | None]) -> set[str | None]:
        if all_valid is not None and all_valid(values):
            return set()
        return {text for text in set(values) if not _accepts(parse_text, text)}

    return refused


def _bulk_check(column: Column) -> Callable[[list[str | None]], bool] | None:
    """A check, in C loops, that is true exactly when `_value_parser(column)` accepts every value; None for types
    whose values are few enough to judge one by one."""
    nullable = column.nullable
    match column.type:
        case ColumnType.STRING:
            max_length = column.max_length
            allowed = None if column.allowed_values is None else frozenset(column.allowed_values)

            def strings_valid(values: list[str | None]) -> bool:
                if not (nullable or all(values)):
                    return False
                if max_length is not None and max(map(len, filter(None, values)), default=0) > max_length:
                    return False
                return allowed is None or allowed.issuperset(filter(None, values))

            return strings_valid
        case ColumnType.TIMESTAMP:

            def timestamps_valid(values: list[str | None]) -> bool:
                if not (nullable or all(values)):
                    return False
                texts = set(filter(None, values))
                if not all(map(_TIMESTAMP_RE.fullmatch, texts)):
                    return False
                try:
                    _consume(map(datetime.fromisoformat, texts))
                except ValueError:
                    return False
                return True

            return timestamps_valid
    return None


def _consume(iterator: Iterator[object]) -> None:
    collections.deque(iterator, maxlen=0)


def _accepts(parse_text: ValueParser, text: str | None) -> bool:
    try:
        parse_text(text)
    except RowRejected:
        return False
    return True


def _reject_shape(expected: tuple[str, ...], raw: dict[str, str | None]) -> None:
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


def parse_value(column: Column, text: str | None) -> object:
    """The typed value of one field; raises `RowRejected` naming the column."""
    return _value_parser(column)(text)


def _value_parser(column: Column) -> ValueParser:
    """`parse_value` for one column, with its type, bounds and messages resolved once."""
    match column.type:
        case ColumnType.STRING:
            typed = _string_parser(column)
        case ColumnType.INTEGER | ColumnType.BIGINT:
            typed = _integer_parser(column)
        case ColumnType.DOUBLE:
            typed = _double_parser(column)
        case ColumnType.DECIMAL:
            typed = _decimal_parser(column)
        case ColumnType.TIMESTAMP:
            typed = _timestamp_parser(column)
    name = column.name

    if column.nullable:

        def parse_nullable(text: str | None) -> object:
            if text is None or text == "":
                return None
            return typed(text)

        return parse_nullable

    def parse_required(text: str | None) -> object:
        if text is None or text == "":
            raise RowRejected("missing required value (empty field)", name)
        return typed(text)

    return parse_required


def _string_parser(column: Column) -> Callable[[str], str]:
    name, max_length, allowed = column.name, column.max_length, column.allowed_values
    allowed_set = None if allowed is None else frozenset(allowed)
    allowed_text = None if allowed is None else ", ".join(allowed)

    def parse(text: str) -> str:
        if max_length is not None and len(text) > max_length:
            raise RowRejected(
                f"oversized value: {len(text)} characters, the maximum is {max_length} (starts with {text[:40]!r})",
                name,
            )
        if allowed_set is not None and text not in allowed_set:
            raise RowRejected(f"{text!r} is not an allowed value; allowed: {allowed_text}", name)
        return text

    return parse


def _integer_parser(column: Column) -> Callable[[str], int]:
    name, type_name = column.name, column.type.value
    low, high = INTEGER_RANGES[column.type]
    check_bounds = _bounds_checker(column)
    match = _INTEGER_RE.match

    def parse(text: str) -> int:
        if not match(text):
            raise RowRejected(f"{text[:40]!r} is not an integer", name)
        value = int(text)
        if not low <= value <= high:
            raise RowRejected(f"{value} is out of range for {type_name} [{low}, {high}]", name)
        if check_bounds is not None:
            check_bounds(value)
        return value

    return parse


def _double_parser(column: Column) -> Callable[[str], float]:
    name = column.name
    check_bounds = _bounds_checker(column)
    match = _DOUBLE_RE.match

    def parse(text: str) -> float:
        if not match(text):
            raise RowRejected(f"{text[:40]!r} is not a number", name)
        value = float(text)
        if not math.isfinite(value):
            raise RowRejected(f"{text!r} is not a finite number", name)
        if check_bounds is not None:
            check_bounds(value)
        return value

    return parse


def _decimal_parser(column: Column) -> Callable[[str], Decimal]:
    name, type_name = column.name, column.type.value
    check_bounds = _bounds_checker(column)
    no_negatives = column.min_value is not None and column.min_value >= 0
    match = _DECIMAL_RE.match

    def parse(text: str) -> Decimal:
        if not match(text):
            if _ANY_NUMBER_RE.match(text):
                reason = (
                    f"{text!r} does not fit {type_name}: at most {DECIMAL_PRECISION - DECIMAL_SCALE} integer "
                    f"digits and {DECIMAL_SCALE} decimal places"
                )
            else:
                reason = (
                    f"non-numeric amount {text[:40]!r} (expected digits with '.' and up to {DECIMAL_SCALE} decimals)"
                )
            raise RowRejected(reason, name)
        value = Decimal(text)
        if no_negatives and value < 0:
            raise RowRejected(f"negative amount {text}", name)
        if check_bounds is not None:
            check_bounds(value)
        return value

    return parse


def _timestamp_parser(column: Column) -> Callable[[str], datetime]:
    name = column.name
    fullmatch, from_text = _TIMESTAMP_RE.fullmatch, datetime.fromisoformat

    def parse(text: str) -> datetime:
        if fullmatch(text):
            try:
                return from_text(text)
            except ValueError:
                pass
        raise RowRejected(f"{text[:40]!r} is not a valid timestamp (expected YYYY-MM-DD HH:MM:SS)", name)

    return parse


def _bounds_checker(column: Column) -> Callable[[int | float | Decimal], None] | None:
    name, low, high = column.name, column.min_value, column.max_value
    if low is None and high is None:
        return None

    def check(value: int | float | Decimal) -> None:
        if low is not None and value < low:
            raise RowRejected(f"{value} is below the minimum {_number(low)}", name)
        if high is not None and value > high:
            raise RowRejected(f"{value} is above the maximum {_number(high)}", name)

    return check


def _number(bound: float) -> str:
    return str(int(bound)) if float(bound).is_integer() else str(bound)


def _source_name(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    return str(getattr(source, "name", "") or "<stream>")


def _source_records(source: Source, table: TableContract, source_name: str) -> Iterator[tuple[int, int, list[str]]]:
    name = source_name or _source_name(source)
    if isinstance(source, str | os.PathLike):
        with open(source, "rb") as stream:
            yield from _records(_decoded_lines(stream, name), table, name)
    elif isinstance(source.read(0), str):
        yield from _records(_text_lines(source), table, name)  # type: ignore[arg-type]
    else:
        yield from _records(_decoded_lines(source, name), table, name)  # type: ignore[arg-type]


def _records(lines: Iterable[str], table: TableContract, name: str) -> Iterator[tuple[int, int, list[str]]]:
    """`(row_number, line_number, fields)` of each record; the reader's `line_num` counts the physical lines."""
    lines = iter(lines)
    first_line = next(lines, "")
    # strict: an unterminated quote at end of file raises instead of silently closing the field.
    reader = csv.reader(itertools.chain([first_line], lines), strict=True)
    expected = list(table.column_names)
    header: list[str] | None = None
    row_number = 0
    start_line = 1
    try:
        for fields in reader:
            if not fields:
                pass  # blank line between records
            elif header is not None:
                row_number += 1
                yield row_number, start_line, fields
            else:
                header = fields
                if header != expected:
                    _check_delimiter(first_line, expected, name)
                    raise HeaderMismatch(table, header, name)
            start_line = reader.line_num + 1
    except csv.Error as error:
        if header is None:
            _check_delimiter(first_line, expected, name)
        raise _malformed(error, name, start_line, reader.line_num) from error
    if header is None:
        raise EmptyFile("empty file: no header and no rows; the export or upload produced nothing", name)


def _check_delimiter(first_line: str, expected: list[str], name: str) -> None:
    """Raise `WrongDelimiter` when the header is the table's columns separated by another dialect's separator."""
    for delimiter, called in _OTHER_DELIMITERS.items():
        fields = [field.strip() for field in next(csv.reader([first_line], delimiter=delimiter), [])]
        if len(fields) > 1 and set(fields) & set(expected):
            raise WrongDelimiter(
                f"wrong delimiter: the header is separated by {called}, not ','; re-export the file with comma "
                f"separators (Olist's format: comma-separated, double quotes around text)",
                name,
                line=1,
            )


def _malformed(error: csv.Error, name: str, start_line: int, end_line: int) -> MalformedCsv:
    """The csv module's complaint in the user's terms; a quoted field running over lines is an unclosed quote."""
    message = str(error)
    if "unexpected end of data" in message:
        return MalformedCsv(
            f"unclosed quote: the record starting on line {start_line} opens a quote that is never closed before "
            f"the end of the file (unterminated quoted field: truncated upload or stray quote); re-export the file",
            name,
            start_line,
        )
    if "field larger than field limit" in message:
        return MalformedCsv(
            f"unclosed quote?: a field of the record starting on line {start_line} runs on for more than "
            f"{MAX_FIELD_CHARS // 2**20} Mi characters, past line {end_line}, longer than any Olist value; check "
            f"for a quote opened on line {start_line} and never closed, or re-export the file",
            name,
            start_line,
        )
    if end_line > start_line:
        return MalformedCsv(
            f"unclosed quote: the record starting on line {start_line} opens a quote that is never closed (the "
            f"quoted text runs on to line {end_line}, where the csv module fails: {message}); fix the quote on "
            f"line {start_line} or re-export the file",
            name,
            start_line,
        )
    return MalformedCsv(f"broken CSV quoting on line {end_line}: {message} (text after a quote?)", name, end_line)


def _decoded_lines(stream: BinaryIO, name: str) -> Iterator[str]:
    """Lines (terminators kept) decoded as strict UTF-8, minus a leading BOM; errors name the line and byte."""
    return itertools.chain.from_iterable(_decoded_blocks(stream, name))


def _decoded_blocks(stream: BinaryIO, name: str) -> Iterator[Iterator[str]]:
    """The lines of each block of the stream; a whole block is decoded at once when it is valid UTF-8."""
    number = 0  # lines delivered so far
    offset = 0  # byte offset of the next line in the file
    for block in _line_blocks(stream, name):
        if number == 0 and block.startswith(_BOM):
            block = block[3:]
            offset = 3
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            # Line by line: the lines before the bad one are still delivered, and the error can name its line.
            yield _decoded_one_by_one(block, name, number, offset)
        else:
            # newline="\n" splits on LF only and keeps it, as the csv module needs for CRLF inside quoted values.
            yield io.StringIO(text, newline="\n")
        number += block.count(b"\n")  # only the last block can end without one
        offset += len(block)


def _decoded_one_by_one(block: bytes, name: str, number: int, offset: int) -> Iterator[str]:
    lines = block.split(b"\n")
    last = lines.pop()
    for line in [*(line + b"\n" for line in lines), *([last] if last else [])]:
        number += 1
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


def _line_blocks(stream: BinaryIO, name: str) -> Iterator[bytes]:
    """The stream as blocks of whole lines, read a chunk at a time; only the last block may lack a final LF."""
    pending = b""
    while True:
        chunk = stream.read(_READ_CHUNK)
        if not chunk:
            break
        pending += chunk
        end = pending.rfind(b"\n") + 1
        if end:
            yield pending[:end]
            pending = pending[end:]
        if len(pending) > MAX_LINE_BYTES:
            raise MalformedCsv(f"a line is longer than {MAX_LINE_BYTES} bytes; this is not an Olist CSV", name)
    if pending:
        yield pending


def _text_lines(stream: TextIO) -> Iterator[str]:
    # The stream must be opened with newline="" or CRLF inside quoted values is lost before the csv module sees it.
    for number, line in enumerate(stream, start=1):
        yield line[1:] if number == 1 and line.startswith("\ufeff") else line
