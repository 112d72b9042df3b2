"""Where each kind of data sits in the lake: the key layout every writer and reader agrees on.

Bronze holds two kinds of data side by side:

- `streaming/<topic>/dt=YYYY-MM-DD/hour=HH/...` JSON lines (gzip) written by the S3 sink connector,
  one event envelope per line, partitioned by the hour the connector wrote them (UTC);
- `batch/<table>/ingest_date=YYYY-MM-DD/<source-sha256>.parquet` typed Parquet written by the batch
  ingestion, with `quarantine/<table>/...` and `manifests/<table>/...` beside it.

The landing bucket takes CSV drops under `<table>/` (one prefix per table), and CSV sets for the cloud
producer to replay into Kafka under `replay/` (never batch-ingested).
"""

from __future__ import annotations

STREAMING_PREFIX = "streaming"
BATCH_PREFIX = "batch"
QUARANTINE_PREFIX = "quarantine"
MANIFEST_PREFIX = "manifests"
REPLAY_PREFIX = "replay"
# How Bronze data objects end: the S3 sink's gzipped JSON lines, the batch ingestion's Parquet.
STREAMING_OBJECT_SUFFIX = ".jsonl.gz"
BATCH_OBJECT_SUFFIX = ".parquet"

# Hive-style partition keys; Glue partition projection resolves them without crawlers.
STREAMING_PARTITION_KEYS = ("dt", "hour")
BATCH_PARTITION_KEYS = ("ingest_date",)
# The first day partition projection enumerates: the day of this repository's first commit, before which no
# environment can have written Bronze (partitions are by arrival, not by the orders' dates). An unfiltered query then
# lists the hours since then, not ~95,000 hours since 2016; the end of the range is NOW.
PROJECTION_START_DATE = "2026-11-25"

# Lineage columns the batch ingestion adds to every Bronze row.
LINEAGE_COLUMNS = ("_source_key", "_source_row", "_ingested_at")


def streaming_table_prefix(topic: str) -> str:
    return f"{STREAMING_PREFIX}/{topic}/"


def streaming_projection_template(topic: str) -> str:
    """The storage.location.template suffix (after `s3://<bucket>/`) for a topic's events."""
    return f"{streaming_table_prefix(topic)}dt=${{dt}}/hour=${{hour}}/"


def batch_table_prefix(table: str) -> str:
    return f"{BATCH_PREFIX}/{table}/"


def batch_projection_template(table: str) -> str:
    return f"{batch_table_prefix(table)}ingest_date=${{ingest_date}}/"


def quarantine_prefix(table: str) -> str:
    return f"{QUARANTINE_PREFIX}/{table}/"


def manifest_prefix(table: str) -> str:
    return f"{MANIFEST_PREFIX}/{table}/"


def landing_prefix(table: str) -> str:
    return f"{table}/"
