"""Read the streamed Olist CSVs of a directory into events, accounting for every row.

Each file is read as the batch ingestion reads it (`contracts.arrow`: Arrow when it can read the file exactly as
the `csv` module would, else the `csv` module through `contracts.validation`) and judged by the same row rules. A
row that breaks its contract becomes a `RejectedRow` (file, row number, reason), never an event and never silently
lost: `rows == accepted + rejected` per file. A file that cannot be read as its table at all (wrong header,
broken quoting, bad encoding) yields no events and is reported as a `FileFailure`.

The accepted rows are encoded a whole file at a time (`producers.encoding`) and the events of all files sorted
by replay time in Arrow; `Events` then holds them column by column, ready for the send loop.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple, TypeVar, overload

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from contracts import STREAMED_TABLES, TableContract
from contracts.arrow.readers import FastPathUnsuitable, RawBatch, arrow_batches
from contracts.arrow.scan import ScanningReader
from contracts.arrow.screen import screen
from contracts.olist import ORDERS, TIMESTAMP_FORMAT
from contracts.validation import FileRejected, read_csv_records, rejected_rows
from producers.encoding import encode_entities, encode_orders

# Orders first: payments take their event time from their order.
_TABLE_ORDER = ("orders", "order_items", "order_payments", "order_reviews")
# Two threads let one file's Arrow work overlap another's Python work; more gain little on the 2-core machines
# this runs on (CI, the producer Lambda).
_THREADS = 2
T = TypeVar("T")


@dataclass(frozen=True)
class RejectedRow:
    file: str
    row: int
    reason: str
    column: str | None

    def __str__(self) -> str:
        where = f"{self.file} row {self.row}" + (f" column {self.column}" if self.column else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class FileFailure:
    file: str
    reason: str


@dataclass
class FileSummary:
    table: str
    file: str
    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    events: int = 0


class Outgoing(NamedTuple):
    """An event ready to send: sort key fields first (replay time, table, row, step), then topic, key, value bytes.

    `replay_time` is the event time, except for a payment whose order is not in the replay: it has no place in
    history, so it is sent at the start ("") and stamped with the time it was read.
    """

    replay_time: str
    table_rank: int
    row: int
    seq: int
    topic: str
    key: bytes
    value: bytes


class _Column(Sequence[T]):
    """One column of `Events`: Arrow values (in chunks, one or more per file) and the order to read them in. They
    become Python objects a chunk at a time as they are read, so that this overlaps with sending the ones before,
    and the values are never copied into one array or into replay order."""

    def __init__(self, values: pa.ChunkedArray, order: np.ndarray) -> None:
        self._values = values
        self._order = order
        self._starts = np.cumsum([0, *(len(chunk) for chunk in values.chunks)])

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> T: ...

    @overload
    def __getitem__(self, index: slice) -> _Column[T]: ...

    def __getitem__(self, index: int | slice) -> T | _Column[T]:
        if isinstance(index, slice):
            return _Column(self._values, self._order[index])
        return self._values[int(self._order[index])].as_py()

    def __iter__(self) -> Iterator[T]:
        for start in range(0, len(self._order), _CHUNK):
            yield from self._objects(self._order[start : start + _CHUNK])

    def _objects(self, indices: np.ndarray) -> list[T]:
        # Taking from a chunked array would first concatenate all of it: take from each chunk what it holds.
        chunk_of = np.searchsorted(self._starts, indices, side="right") - 1
        objects = np.empty(len(indices), dtype=object)
        for chunk in np.unique(chunk_of).tolist():
            here = chunk_of == chunk
            taken = self._values.chunk(chunk).take(pa.array(indices[here] - self._starts[chunk]))
            objects[here] = taken.to_numpy(zero_copy_only=False)
        return objects.tolist()


# Events made Python objects at a time: small enough to stay in cache, large enough for Arrow's calls to pay.
_CHUNK = 16_384


@dataclass(frozen=True, eq=False)
class Events(Sequence[Outgoing]):
    """`Outgoing` events held column by column: a replay has hundreds of thousands, and the send loop wants the
    topic, key and value of each, not an object per event. Indexing gives an `Outgoing`, slicing `Events`;
    compare them as lists (`list(events)`)."""

    replay_times: Sequence[str] = ()
    table_ranks: Sequence[int] = ()
    rows: Sequence[int] = ()
    seqs: Sequence[int] = ()
    topics: Sequence[str] = ()
    keys: Sequence[bytes] = ()
    values: Sequence[bytes] = ()

    def __len__(self) -> int:
        return len(self.values)

    @overload
    def __getitem__(self, index: int) -> Outgoing: ...

    @overload
    def __getitem__(self, index: slice) -> Events: ...

    def __getitem__(self, index: int | slice) -> Outgoing | Events:
        if isinstance(index, slice):
            return Events(*(column[index] for column in self._columns))
        return Outgoing(*(column[index] for column in self._columns))

    def __iter__(self) -> Iterator[Outgoing]:
        return map(Outgoing, *self._columns)

    @property
    def _columns(self) -> tuple[Sequence[object], ...]:
        return (self.replay_times, self.table_ranks, self.rows, self.seqs, self.topics, self.keys, self.values)


@dataclass
class LoadResult:
    events: Events = field(default_factory=Events)
    files: list[FileSummary] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    failed_files: list[FileFailure] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)

    @property
    def events_by_topic(self) -> dict[str, int]:
        return dict(Counter(self.events.topics))


def streamed_tables(names: list[str] | None = None) -> list[TableContract]:
    by_name = {table.name: table for table in STREAMED_TABLES}
    unknown = sorted(set(names or ()) - set(by_name))
    if unknown:
        raise ValueError(f"not streamed tables: {unknown}; choose from {sorted(by_name)}")
    chosen = names or list(by_name)
    return [by_name[name] for name in _TABLE_ORDER if name in chosen]


def load_events(
    directory: Path, tables: list[TableContract], topic_suffix: str = "", now: datetime | None = None
) -> LoadResult:
    """Events of the tables' files found in `directory`, sorted by event time (orders' steps in order).

    `topic_suffix` is appended to each contract topic, for side-by-side replays on one cluster (tests, trials).
    """
    result = LoadResult()
    # A payment with no order in this replay has no time of its own: it is stamped with the time it was read.
    read_time = (now or datetime.now(UTC)).strftime(TIMESTAMP_FORMAT)
    orders: _FileRead | None = None
    found = []
    for rank, table in enumerate(tables):
        if (directory / table.file_name).is_file():
            found.append((rank, table))
        else:
            result.missing_files.append(table.file_name)
    encoding: list[tuple[FileSummary, Future[pa.Table]]] = []
    # Files are read and encoded side by side: Arrow's kernels let go of the GIL. Orders come first, so their
    # purchase times are all known before the payments are encoded.
    with ThreadPoolExecutor(max_workers=_THREADS) as pool:
        reading = [pool.submit(_read_file, directory / table.file_name, table) for _, table in found]
        for (rank, table), future in zip(found, reading, strict=True):
            read = future.result()
            if table is ORDERS:
                # Even an orders file that fails midway dates the payments of the orders read before.
                orders = read
            if read.failure is not None:
                result.failed_files.append(FileFailure(table.file_name, str(read.failure)))
                continue
            result.files.append(read.summary)
            result.rejected.extend(read.rejected)
            encoding.append((read.summary, pool.submit(_encode, table, rank, read, orders, read_time)))
        encoded = []
        for summary, events in encoding:
            encoded.append(events.result())
            summary.events = len(encoded[-1])
    if encoded:
        result.events = _in_replay_order(encoded, tables, topic_suffix)
    return result


@dataclass
class _FileRead:
    """The accepted rows of one file (raw text columns, null for empty) and the account of all its rows."""

    rows: pa.Array
    columns: dict[str, pa.Array]
    summary: FileSummary
    rejected: list[RejectedRow]
    failure: FileRejected | None = None


def _read_file(path: Path, table: TableContract) -> _FileRead:
    batches = _arrow_read(path, table)
    if batches is None:
        return _read_with_csv_module(path, table)
    rows: list[pa.Array] = []
    columns: list[list[pa.Array]] = [[] for _ in table.column_names]
    rejected: list[RejectedRow] = []
    total = 0
    for batch in batches:
        total += len(batch.row_numbers)
        keep = _judge(table, batch, rejected)
        rows.append(pa.array(batch.row_numbers[keep]))
        kept = pa.array(keep)
        for parts, column in zip(columns, batch.columns, strict=True):
            parts.append(column.filter(kept))
    summary = FileSummary(table.name, table.file_name, total, total - len(rejected), len(rejected))
    return _FileRead(
        _concat(rows, pa.int64()), _named(table, [_concat(parts, pa.string()) for parts in columns]), summary, rejected
    )


def _arrow_read(path: Path, table: TableContract) -> list[RawBatch] | None:
    """Arrow's reading of the file, or None when Arrow cannot read it exactly as the csv module would."""
    with path.open("rb") as stream:
        scanning = ScanningReader(stream)
        try:
            batches = list(arrow_batches(scanning, table))
        except FastPathUnsuitable:
            return None
        plain_quoting = scanning.finish().plain_quoting
    return batches if plain_quoting else None


def _judge(table: TableContract, batch: RawBatch, rejected: list[RejectedRow]) -> np.ndarray:
    """The mask of the rows to keep; the screen's suspects go through `parse_row`, which rejects or accepts."""
    suspect = screen(table, batch.columns).suspect
    keep = np.ones(len(batch.row_numbers), dtype=bool)
    if suspect.true_count:
        suspects = np.flatnonzero(suspect.to_numpy(zero_copy_only=False))
        for position, error in batch.judged(table, suspects).rejected:
            keep[position] = False
            rejected.append(RejectedRow(table.file_name, int(batch.row_numbers[position]), error.reason, error.column))
    return keep


Record = tuple[int, dict[str, str | None]]
# Rows are judged a batch at a time (see `rejected_rows`); a batch is small enough to keep memory flat.
_BATCH_ROWS = 4096


def _read_with_csv_module(path: Path, table: TableContract) -> _FileRead:
    """The reference reader, for files Arrow cannot read alike; the rows before a file-level failure are kept."""
    rejected: list[RejectedRow] = []
    accepted: list[Record] = []
    total = 0
    failure = None
    try:
        for batch in _batches(read_csv_records(path, table)):
            total += len(batch)
            verdict = rejected_rows(table, [raw for _, raw in batch])
            for position, (row, raw) in enumerate(batch):
                if position in verdict:
                    error = verdict[position]
                    rejected.append(RejectedRow(table.file_name, row, error.reason, error.column))
                else:
                    accepted.append((row, raw))
    except FileRejected as error:
        failure = error
    columns = [pa.array([raw[name] for _, raw in accepted], pa.string()) for name in table.column_names]
    summary = FileSummary(table.name, table.file_name, total, total - len(rejected), len(rejected))
    rows = pa.array([row for row, _ in accepted], pa.int64())
    return _FileRead(rows, _named(table, columns), summary, rejected, failure)


def _batches(records: Iterator[Record]) -> Iterator[list[Record]]:
    """The records in lists of `_BATCH_ROWS`; when the file turns out unreadable, the rows read before still come
    first, as they would one by one (an orders file's purchase times serve its payments even then)."""
    batch: list[Record] = []
    try:
        for record in records:
            batch.append(record)
            if len(batch) == _BATCH_ROWS:
                yield batch
                batch = []
    except FileRejected as error:
        failure: FileRejected | None = error
    else:
        failure = None
    if batch:
        yield batch
    if failure is not None:
        raise failure


def _encode(table: TableContract, rank: int, read: _FileRead, orders: _FileRead | None, read_time: str) -> pa.Table:
    if table is ORDERS:
        events = encode_orders(read.rows, read.columns)
    elif table.event_time_column is not None:
        time = read.columns[table.event_time_column]
        events = encode_entities(table, read.rows, read.columns, time, time)
    else:
        purchase = _purchase_times(read.columns["order_id"], orders)
        events = encode_entities(
            table, read.rows, read.columns, pc.fill_null(purchase, read_time), pc.fill_null(purchase, "")
        )
    return events.append_column("table_rank", pa.repeat(pa.scalar(rank, pa.int8()), len(events)))


def _purchase_times(order_ids: pa.Array, orders: _FileRead | None) -> pa.Array:
    """The purchase time of each id's order, null where the replay holds no such order."""
    if orders is None:
        return pa.nulls(len(order_ids), pa.string())
    # Looked up from the last row: where an id repeats, the later row is the one that counts.
    known_ids = orders.columns["order_id"][::-1]
    purchases = orders.columns["order_purchase_timestamp"][::-1]
    return purchases.take(pc.index_in(order_ids, value_set=known_ids))


def _in_replay_order(encoded: list[pa.Table], tables: list[TableContract], topic_suffix: str) -> Events:
    """All events sorted by (replay time, table rank, row, seq); Python objects are made as the events are read."""
    events = pa.concat_tables(encoded)
    # Replay times are valid timestamps, or "" (no place in history, first): sorted as integers.
    replay_time = events["replay_time"]
    seconds = pc.cast(pc.if_else(pc.equal(replay_time, ""), None, replay_time), pa.timestamp("s"))
    ranks = events["table_rank"]
    keys = (events["seq"], events["row"], ranks, seconds)
    order = np.lexsort([column.to_numpy().astype(np.int64) for column in keys])
    topic_names = pa.array([f"{table.topic}{topic_suffix}" for table in tables], pa.string())
    topics = pa.chunked_array([topic_names.take(chunk) for chunk in ranks.chunks], pa.string())

    def in_order(column: pa.ChunkedArray) -> _Column:
        return _Column(column, order)

    return Events(
        in_order(replay_time),
        in_order(ranks),
        in_order(events["row"]),
        in_order(events["seq"]),
        in_order(topics),
        in_order(_as_bytes(events["key"])),
        in_order(_as_bytes(events["value"])),
    )


def _as_bytes(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """UTF-8 text as bytes, without a copy (the same buffers)."""
    return pa.chunked_array([chunk.view(pa.binary()) for chunk in text.chunks], pa.binary())


def _named(table: TableContract, columns: list[pa.Array]) -> dict[str, pa.Array]:
    return dict(zip(table.column_names, columns, strict=True))


def _concat(arrays: list[pa.Array], empty_type: pa.DataType) -> pa.Array:
    return pa.concat_arrays(arrays) if arrays else pa.array([], empty_type)
