"""Two CSV readers producing the same batches of raw text columns (None for empty), in file order.

- `arrow_batches`: Arrow's streaming CSV reader, parsing blocks in C++ threads; used when `scan` found plain
  quoting. Anything it cannot read exactly as the `csv` module would (a header that does not match, a record
  with the wrong number of fields, invalid UTF-8) raises `FastPathUnsuitable` and the file is re-read by:
- `csv_batches`: the `csv` module through `contracts.validation.iter_csv_records`, the reference parser. It
  reports file-level problems as `contracts.validation.FileRejected` errors and yields records with the wrong
  number of fields as `RawReject`s.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv

from contracts.olist import TableContract
from contracts.validation import CsvRecord, RowRejected, iter_csv_records, parse_row, raw_values

# Arrow's streaming reader reads ahead dozens of blocks when the consumer is slower than the parser, so small
# blocks bound memory; they are gathered into batches of BATCH_ROWS, one Parquet row group each. A record
# longer than a block makes Arrow give up, and the file goes to the csv module.
ARROW_BLOCK_BYTES = 2**19
BATCH_ROWS = 65_536
CSV_BATCH_ROWS = 50_000


@dataclass(frozen=True)
class RawBatch:
    row_numbers: np.ndarray
    columns: list[pa.Array]
    names: tuple[str, ...]

    def raw_row(self, position: int) -> dict[str, str | None]:
        return {name: column[position].as_py() for name, column in zip(self.names, self.columns, strict=True)}

    def judged(self, table: TableContract, positions: np.ndarray) -> Verdicts:
        """`parse_row`'s verdict on the rows at `positions`, the ones `contracts.arrow.screen` flagged: the screen
        only flags, `parse_row` decides."""
        verdicts = Verdicts([], [])
        for position in positions.tolist():
            try:
                verdicts.accepted.append((position, parse_row(table, self.raw_row(position))))
            except RowRejected as rejected:
                verdicts.rejected.append((position, rejected))
        return verdicts


@dataclass(frozen=True)
class Verdicts:
    """By position in the batch, in order: the typed values of each row accepted, the reason of each rejected."""

    accepted: list[tuple[int, dict[str, object]]]
    rejected: list[tuple[int, RowRejected]]


@dataclass(frozen=True)
class RawReject:
    """A record rejected before typing (wrong number of fields)."""

    row_number: int
    line_number: int | None
    raw: dict[str, str | None]
    reason: str
    column: str | None


class FastPathUnsuitable(Exception):
    """Arrow cannot read this file exactly like the csv module; read it with the csv module instead."""


def arrow_batches(
    stream: BinaryIO, table: TableContract, block_bytes: int = ARROW_BLOCK_BYTES, batch_rows: int = BATCH_ROWS
) -> Iterator[RawBatch]:
    names = table.column_names
    options = (
        pa_csv.ReadOptions(block_size=block_bytes, use_threads=True),
        pa_csv.ParseOptions(newlines_in_values=True),
        pa_csv.ConvertOptions(
            column_types=dict.fromkeys(names, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    try:
        reader = pa_csv.open_csv(stream, read_options=options[0], parse_options=options[1], convert_options=options[2])
    except pa.ArrowInvalid as error:
        raise FastPathUnsuitable(str(error)) from error
    if tuple(reader.schema.names) != names:
        raise FastPathUnsuitable(f"header {reader.schema.names} differs from the contract")
    next_row = 1
    for batches in _gathered(reader, batch_rows):
        count = sum(batch.num_rows for batch in batches)
        columns = [pa.concat_arrays([batch.column(i) for batch in batches]) for i in range(len(names))]
        yield RawBatch(np.arange(next_row, next_row + count, dtype=np.int64), columns, names)
        next_row += count


def _gathered(reader: pa_csv.CSVStreamingReader, batch_rows: int) -> Iterator[list[pa.RecordBatch]]:
    pending: list[pa.RecordBatch] = []
    rows = 0
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            break
        except pa.ArrowInvalid as error:
            raise FastPathUnsuitable(str(error)) from error
        pending.append(batch)
        rows += batch.num_rows
        if rows >= batch_rows:
            yield pending
            pending, rows = [], 0
    if rows:
        yield pending


def csv_batches(
    stream: BinaryIO,
    table: TableContract,
    source_name: str,
    ends_with_line_break: bool,
    batch_rows: int = CSV_BATCH_ROWS,
) -> Iterator[RawBatch | RawReject]:
    names = table.column_names
    width = len(names)
    rows: list[int] = []
    values: list[list[str | None]] = [[] for _ in names]
    for current, is_last in _with_last_flag(iter_csv_records(stream, table, source_name)):
        if len(current.fields) != width:
            yield _reject(table, current, is_last and not ends_with_line_break)
            continue
        rows.append(current.row_number)
        for column, value in zip(values, current.fields, strict=True):
            column.append(value or None)
        if len(rows) >= batch_rows:
            yield _batch(rows, values, names)
            rows, values = [], [[] for _ in names]
    if rows:
        yield _batch(rows, values, names)


def _with_last_flag(records: Iterator[CsvRecord]) -> Iterator[tuple[CsvRecord, bool]]:
    previous = next(records, None)
    for record in records:
        yield previous, False  # type: ignore[misc]
        previous = record
    if previous is not None:
        yield previous, True


def _batch(rows: list[int], values: list[list[str | None]], names: tuple[str, ...]) -> RawBatch:
    columns = [pa.array(column, pa.string()) for column in values]
    return RawBatch(np.array(rows, dtype=np.int64), columns, names)


def _reject(table: TableContract, record: CsvRecord, truncated: bool) -> RawReject:
    raw = raw_values(table, record.fields)
    try:
        parse_row(table, raw)
    except RowRejected as rejected:
        reason, column = rejected.reason, rejected.column
    else:
        raise RuntimeError(f"bug: record {record.row_number} has {len(record.fields)} fields but was accepted")
    if truncated and len(record.fields) < len(table.column_names):
        reason = f"truncated last record: the file ends mid-record without a line break; {reason}"
    return RawReject(record.row_number, record.line_number, raw, reason, column)
