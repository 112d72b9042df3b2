"""Where each kind of data sits in the lake: the key layout every writer and reader agrees on.

Bronze holds two kinds of data side by side:

- `streaming/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-<start offset>-<object id>.jsonl.gz` JSON lines (gzip)
  written by the S3 sink connector, one event envelope per line, partitioned by the hour the connector wrote them (UTC);
- `batch/<table>/ingest_date=YYYY-MM-DD/<source-sha256>.parquet` typed Parquet written by the batch
  ingestion, with `quarantine/<table>/...` and `manifests/<table>/...` beside it.

The landing bucket takes CSV drops under `<table>/` (one prefix per table), and CSV sets for the cloud
producer to replay into Kafka under `replay/` (never batch-ingested).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

STREAMING_PREFIX = "streaming"
BATCH_PREFIX = "batch"
QUARANTINE_PREFIX = "quarantine"
MANIFEST_PREFIX = "manifests"
REPLAY_PREFIX = "replay"
# How Bronze data objects end: the S3 sink's gzipped JSON lines, the batch ingestion's Parquet.
STREAMING_OBJECT_SUFFIX = ".jsonl.gz"
BATCH_OBJECT_SUFFIX = ".parquet"

# The fields of a streamed object's name, in order, each with the text it takes. Offsets tell where in a topic an
# object starts, not in which lifetime of the topic: they start at 0 again whenever the topic is created anew (the new
# cluster of `make resume`, a destroy and deploy that kept the bucket, a replaced topic) while Bronze keeps what the
# earlier lifetimes wrote. So the sink draws a random id for every object: no later object can take an earlier one's
# key (in the same hour) and hide its events from readers, who see only an object's latest version.
STREAMING_OBJECT_NAME_FIELDS: Mapping[str, str] = {
    "topic": r"[^/]+",
    "partition": r"\d+",
    "start_offset": r"\d{20}",  # zero-padded, so names sort by offset within a lifetime
    "object_id": r"[0-9a-f]{32}",  # a random (version 4) UUID as hex
}
STREAMING_OBJECT_NAME_TEMPLATE = "-".join(f"{{{name}}}" for name in STREAMING_OBJECT_NAME_FIELDS) + (
    STREAMING_OBJECT_SUFFIX
)
STREAMING_OBJECT_NAME_RE = re.compile(
    "^"
    + "-".join(f"(?P<{name}>{text})" for name, text in STREAMING_OBJECT_NAME_FIELDS.items())
    + re.escape(STREAMING_OBJECT_SUFFIX)
    + "$"
)

# The first day partition projection enumerates: the day of this repository's first commit, before which no
# environment can have written Bronze (partitions are by arrival, not by the orders' dates). An unfiltered query then
# lists the hours since then, not ~95,000 hours since 2016; the end of the range is NOW.
PROJECTION_START_DATE = "2026-11-25"


@dataclass(frozen=True)
class PartitionKey:
    """One Hive-style partition key (`<name>=<value>/`) whose value is the UTC time the object was written.

    `pattern` is a java.time DateTimeFormatter pattern: the S3 sink formats with it and Glue partition projection
    parses with it, so both read the one definition here; Python writers use `strftime`.
    """

    name: str
    pattern: str
    description: str
    projection: Mapping[str, str]

    @property
    def strftime(self) -> str:
        return strftime_pattern(self.pattern)


def strftime_pattern(java_pattern: str) -> str:
    """The `strftime` format of a DateTimeFormatter pattern (the fields partition keys and Glue projection use)."""
    python = java_pattern
    for java, c_format in (("yyyy", "%Y"), ("MM", "%m"), ("dd", "%d"), ("HH", "%H"), ("mm", "%M"), ("ss", "%S")):
        python = python.replace(java, c_format)
    return python


def _day(name: str, description: str) -> PartitionKey:
    pattern = "yyyy-MM-dd"
    projection = {"type": "date", "format": pattern, "interval": "1", "interval.unit": "DAYS"}
    return PartitionKey(name, pattern, description, projection | {"range": f"{PROJECTION_START_DATE},NOW"})


def _hour_of_day(name: str, description: str) -> PartitionKey:
    return PartitionKey(name, "HH", description, {"type": "integer", "range": "0,23", "digits": "2"})


# Streamed events: the UTC hour the sink wrote them. Batch files: the UTC day they were ingested.
STREAMING_PARTITIONS = (
    _day("dt", "UTC date the sink wrote the object"),
    _hour_of_day("hour", "UTC hour (00-23) the sink wrote the object"),
)
BATCH_PARTITIONS = (_day("ingest_date", "UTC date the file was ingested"),)

# How far before a moment a streamed object that appears only after it may be partitioned: the sink names an object
# when it seals it (the hour in its key) and uploads it after, and its workers' clocks may run behind the reader's.
# A reader that lists only the hour partitions since a moment starts this much earlier (the transform's quality gate).
STREAMING_LATE_OBJECT_MARGIN = timedelta(hours=3)

# Lineage columns the batch ingestion adds to every Bronze row.
LINEAGE_COLUMNS = ("_source_key", "_source_row", "_ingested_at")


def streaming_table_prefix(topic: str) -> str:
    return f"{STREAMING_PREFIX}/{topic}/"


def streaming_object_name(topic: str, partition: int, start_offset: int, object_id: str) -> str:
    """The name the sink gives an object (what the plugin renders from `STREAMING_OBJECT_NAME_TEMPLATE`)."""
    name = STREAMING_OBJECT_NAME_TEMPLATE.format(
        topic=topic, partition=partition, start_offset=f"{start_offset:020d}", object_id=object_id
    )
    if STREAMING_OBJECT_NAME_RE.match(name) is None:
        raise ValueError(f"{name!r} is not a streamed object name: fields {dict(STREAMING_OBJECT_NAME_FIELDS)}")
    return name


def partition_path(partitions: tuple[PartitionKey, ...], written_at: datetime) -> str:
    """The partition folders of an object written at `written_at` (UTC), e.g. `dt=2026-11-25/hour=07/`."""
    return "".join(f"{key.name}={written_at:{key.strftime}}/" for key in partitions)


def projection_template(partitions: tuple[PartitionKey, ...]) -> str:
    """The partition part of a Glue `storage.location.template`: `dt=${dt}/hour=${hour}/`."""
    return "".join(f"{key.name}=${{{key.name}}}/" for key in partitions)


def streaming_projection_template(topic: str) -> str:
    """The storage.location.template suffix (after `s3://<bucket>/`) for a topic's events."""
    return streaming_table_prefix(topic) + projection_template(STREAMING_PARTITIONS)


def batch_table_prefix(table: str) -> str:
    return f"{BATCH_PREFIX}/{table}/"


def batch_projection_template(table: str) -> str:
    return batch_table_prefix(table) + projection_template(BATCH_PARTITIONS)


def quarantine_prefix(table: str) -> str:
    return f"{QUARANTINE_PREFIX}/{table}/"


def manifest_prefix(table: str) -> str:
    return f"{MANIFEST_PREFIX}/{table}/"


def is_replay_source(landing_key: str) -> bool:
    """A landing object of a CSV set for the producer to replay into Kafka: never batch-ingested."""
    return landing_key.startswith(f"{REPLAY_PREFIX}/")


def landing_prefix(table: str) -> str:
    return f"{table}/"
