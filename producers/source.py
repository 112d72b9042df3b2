"""Read the streamed Olist CSVs of a directory into events, accounting for every row.

Each file is read with `contracts.validation` (the same reader and row rules as the batch ingestion). A row
that breaks its contract becomes a `RejectedRow` (file, row number, reason), never an event and never silently
lost: `rows == accepted + rejected` per file. A file that cannot be read as its table at all (wrong header,
broken quoting, bad encoding) yields no events and is reported as a `FileFailure`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import orjson

from contracts import STREAMED_TABLES, TableContract
from contracts.olist import TIMESTAMP_FORMAT
from contracts.validation import FileRejected, RowRejected, parse_row, read_csv_records
from producers.events import Event, entity_event, order_events

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
    for rank, table in enumerate(tables):
        path = directory / table.file_name
        if not path.is_file():
            result.missing_files.append(table.file_name)
            continue
        summary = FileSummary(table.name, table.file_name)
        events: list[Outgoing] = []
        rejected: list[RejectedRow] = []
        try:
            for row, raw in read_csv_records(path, table):
                summary.rows += 1
                try:
                    parse_row(table, raw)
                except RowRejected as error:
                    rejected.append(RejectedRow(table.file_name, row, error.reason, error.column))
                    continue
                summary.accepted += 1
                for replay_time, event in _events_of(table, row, raw, purchase_times, read_time):
                    events.append(_outgoing(replay_time, event, rank, row, topic_suffix))
        except FileRejected as error:
            result.failed_files.append(FileFailure(table.file_name, str(error)))
            continue
        summary.rejected = len(rejected)
        summary.events = len(events)
        result.files.append(summary)
        result.rejected.extend(rejected)
        result.events.extend(events)
    result.events.sort(key=lambda event: (event.replay_time, event.table_rank, event.row, event.seq))
    return result


def _events_of(
    table: TableContract, row: int, raw: dict[str, str | None], purchase_times: dict[str, str], read_time: str
) -> list[tuple[str, Event]]:
    """The row's events, each with its replay time."""
    if table.name == "orders":
        purchase_times[str(raw["order_id"])] = str(raw["order_purchase_timestamp"])
        return [(event.event_time, event) for event in order_events(table, table.file_name, row, raw)]
    if table.event_time_column is not None:
        event_time = str(raw[table.event_time_column])
        return [(event_time, entity_event(table, table.file_name, row, raw, event_time))]
    purchase_time = purchase_times.get(str(raw["order_id"]))
    event = entity_event(table, table.file_name, row, raw, purchase_time or read_time)
    return [(purchase_time or "", event)]


def _outgoing(replay_time: str, event: Event, rank: int, row: int, topic_suffix: str) -> Outgoing:
    topic = event.topic + topic_suffix
    return Outgoing(replay_time, rank, row, event.seq, topic, event.key.encode(), orjson.dumps(event.envelope))
