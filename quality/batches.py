"""A Bronze micro-batch as pandas frames: one per (table, kind), typed by the contract, each row tagged with its object.

Batch objects are the ingestion's typed Parquet; stream objects are the sink's gzip JSON lines of event envelopes,
whose payload text is typed here by the contract (text that does not parse becomes null, which the suite's
not-null expectations then catch for required columns). Keys outside `batch/` and `streaming/` are not data.
"""

from __future__ import annotations

import gzip
import io
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd
import pyarrow.parquet as pq

from contracts import layout
from contracts.envelope import REQUIRED_NAMES
from contracts.olist import STREAMED_TABLES, TABLES, TIMESTAMP_FORMAT, ColumnType, TableContract
from quality.suites import Kind

OBJECT_COLUMN = "_object_key"
ROW_COLUMN = "_object_row"
_TABLE_BY_TOPIC = {table.topic: table for table in STREAMED_TABLES}


class ObjectReader(Protocol):
    def read_bytes(self, key: str) -> bytes: ...


@dataclass(frozen=True)
class FolderReader:
    root: Path

    def read_bytes(self, key: str) -> bytes:
        return (self.root / key).read_bytes()


@dataclass(frozen=True)
class S3Reader:
    client: Any
    bucket: str

    def read_bytes(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()


def classify(key: str) -> tuple[TableContract, Kind] | None:
    """(table, kind) of a Bronze data object, or None for anything else (quarantine, manifests, markers)."""
    parts = key.split("/")
    if key.startswith(layout.BATCH_PREFIX + "/") and key.endswith(layout.BATCH_OBJECT_SUFFIX) and len(parts) >= 3:
        table = TABLES.get(parts[1])
        return (table, "batch") if table else None
    if (
        key.startswith(layout.STREAMING_PREFIX + "/")
        and key.endswith(layout.STREAMING_OBJECT_SUFFIX)
        and len(parts) >= 3
    ):
        table = _TABLE_BY_TOPIC.get(parts[1])
        return (table, "stream") if table else None
    return None


def group_keys(keys: Iterable[str]) -> dict[tuple[str, Kind], list[str]]:
    groups: dict[tuple[str, Kind], list[str]] = defaultdict(list)
    for key in keys:
        found = classify(key)
        if found is not None:
            groups[(found[0].name, found[1])].append(key)
    return dict(sorted(groups.items()))


def _typed(table: TableContract, frame: pd.DataFrame) -> pd.DataFrame:
    for column in table.columns:
        if column.name not in frame.columns:
            continue
        values = frame[column.name]
        if column.type is ColumnType.TIMESTAMP:
            frame[column.name] = pd.to_datetime(values, format=TIMESTAMP_FORMAT, errors="coerce")
        elif column.type in (ColumnType.INTEGER, ColumnType.BIGINT):
            frame[column.name] = pd.to_numeric(values, errors="coerce").astype("Int64")
        elif column.type in (ColumnType.DOUBLE, ColumnType.DECIMAL):
            frame[column.name] = pd.to_numeric(values, errors="coerce").astype("float64")
    return frame


def read_stream_object(table: TableContract, key: str, data: bytes) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    with gzip.open(io.BytesIO(data), "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            envelope = json.loads(line)
            payload = envelope.get("payload") or {}
            row = {name: envelope.get(name) for name in REQUIRED_NAMES}
            row.update({name: payload.get(name) for name in table.column_names})
            row[OBJECT_COLUMN] = key
            row[ROW_COLUMN] = number
            rows.append(row)
    columns = [*REQUIRED_NAMES, *table.column_names, OBJECT_COLUMN, ROW_COLUMN]
    return _typed(table, pd.DataFrame(rows, columns=columns))


def read_batch_object(table: TableContract, key: str, data: bytes) -> pd.DataFrame:
    frame = pq.read_table(io.BytesIO(data)).to_pandas()
    for column in table.columns:
        # Decimal objects: make them floats so bounds compare numerically.
        if column.type is ColumnType.DECIMAL and column.name in frame.columns:
            frame[column.name] = pd.to_numeric(frame[column.name], errors="coerce").astype("float64")
    frame[OBJECT_COLUMN] = key
    frame[ROW_COLUMN] = range(1, len(frame) + 1)
    return frame


def read_group(reader: ObjectReader, table_name: str, kind: Kind, keys: list[str]) -> pd.DataFrame:
    table = TABLES[table_name]
    read = read_stream_object if kind == "stream" else read_batch_object
    frames = [read(table, key, reader.read_bytes(key)) for key in keys]
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
