"""Read the streamed Olist CSVs of a directory into events, accounting for every row.

Each file is read with `contracts.validation` (the same reader and row rules as the batch ingestion). A row
that breaks its contract becomes a `RejectedRow` (file, row number, reason), never an event and never silently
lost: `rows == accepted + rejected` per file. A file that cannot be read as its table at all (wrong header,
broken quoting, bad encoding) yields no events and is reported as a `FileFailure`.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path

from contracts import STREAMED_TABLES, TableContract
from contracts.olist import TIMESTAMP_FORMAT
from contracts.validation import FileRejected, read_csv_records, rejected_rows
from producers.events import EnvelopeEncoder

# Orders first: payments take their event time from their order.
_TABLE_ORDER = ("orders", "order_items", "order_payments", "order_reviews")


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


@dataclass(frozen=True, slots=True)
class Outgoing:
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


@dataclass
class LoadResult:
    events: list[Outgoing] = field(default_factory=list)
    files: list[FileSummary] = field(default_factory=list)
    rejected: list[RejectedRow] = field(default_factory=list)
    failed_files: list[FileFailure] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)

    @property
    def events_by_topic(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for event in self.events:
            counts[event.topic] = counts.get(event.topic, 0) + 1
        return counts


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
    purchase_times: dict[str, str] = {}
    with _cyclic_gc_paused():
        for rank, table in enumerate(tables):
            path = directory / table.file_name
            if not path.is_file():
                result.missing_files.append(table.file_name)
                continue
            events: list[Outgoing] = []
            try:
                summary, rejected = _load_file(
                    path, table, _emitter(table, rank, topic_suffix, purchase_times, read_time, events)
                )
            except FileRejected as error:
                result.failed_files.append(FileFailure(table.file_name, str(error)))
                continue
            summary.events = len(events)
            result.files.append(summary)
            result.rejected.extend(rejected)
            result.events.extend(events)
        # Events are gathered in (table rank, row, seq) order, so a stable sort on the replay time alone gives the
        # order of (replay time, table rank, row, seq), for a fraction of the cost.
        result.events.sort(key=_replay_time)
    return result


def _load_file(path: Path, table: TableContract, emit: Emit) -> tuple[FileSummary, list[RejectedRow]]:
    """Judge each row of the file and hand the accepted ones to `emit`; raises `FileRejected`."""
    rejected: list[RejectedRow] = []
    rows = 0
    for batch in _batches(read_csv_records(path, table)):
        rows += len(batch)
        verdict = rejected_rows(table, [raw for _, raw in batch])
        for position, (row, raw) in enumerate(batch):
            if position in verdict:
                error = verdict[position]
                rejected.append(RejectedRow(table.file_name, row, error.reason, error.column))
            else:
                emit(row, raw)
    return FileSummary(table.name, table.file_name, rows, rows - len(rejected), len(rejected)), rejected


_replay_time = attrgetter("replay_time")


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A replay creates millions of objects and no reference cycles; the cyclic garbage collector would walk them
    again and again as they pile up, for about a tenth of the load time."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


Record = tuple[int, dict[str, str | None]]
Emit = Callable[[int, dict[str, str | None]], None]
# Rows are judged a batch at a time (see `rejected_rows`); a batch is small enough to keep memory flat.
_BATCH_ROWS = 4096


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


def _emitter(
    table: TableContract,
    rank: int,
    topic_suffix: str,
    purchase_times: dict[str, str],
    read_time: str,
    events: list[Outgoing],
) -> Emit:
    """What to do with each accepted row of `table`: append its events, each with its replay time, to `events`."""
    assert table.topic is not None
    topic = table.topic + topic_suffix
    encoder = EnvelopeEncoder(table, table.file_name)
    append = events.append

    if table.name == "orders":

        def emit_order(row: int, raw: dict[str, str | None]) -> None:
            order_id = str(raw["order_id"])
            purchase_times[order_id] = str(raw["order_purchase_timestamp"])
            key = order_id.encode()
            for seq, (event_time, value) in enumerate(encoder.order(row, raw)):
                append(Outgoing(event_time, rank, row, seq, topic, key, value))

        return emit_order

    time_column = table.event_time_column
    if time_column is not None:

        def emit_timed(row: int, raw: dict[str, str | None]) -> None:
            event_time = str(raw[time_column])
            value = encoder.entity(row, raw, event_time)
            append(Outgoing(event_time, rank, row, 0, topic, str(raw["order_id"]).encode(), value))

        return emit_timed

    def emit_untimed(row: int, raw: dict[str, str | None]) -> None:
        order_id = str(raw["order_id"])
        purchase_time = purchase_times.get(order_id)
        value = encoder.entity(row, raw, purchase_time or read_time)
        append(Outgoing(purchase_time or "", rank, row, 0, topic, order_id.encode(), value))

    return emit_untimed
