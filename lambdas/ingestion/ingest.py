"""Ingest one CSV drop into Bronze: the whole contract of the batch path in one function, `ingest_file`.

1. Stream the source through Arrow's CSV reader, typing and judging rows in batches into a local Parquet file
   and a quarantine JSON-lines file, while the same read computes its sha256 (the file's identity) and checks
   its quoting (see `scan`). When Arrow cannot read the file exactly as the csv module would, the csv module
   reads it again and decides (see `readers`).
2. `manifests/<table>/<sha256>.json` exists: the same bytes were ingested before; return it, write nothing.
3. Upload `batch/<table>/ingest_date=D/<sha256>.parquet`, `quarantine/<table>/ingest_date=D/<sha256>.jsonl`
   (when rows were rejected), then the manifest, last, which commits the file.

A `.csv.gz` drop is read as the CSV it holds (`compression`): sha256, size and rows are the CSV's.

A file-level problem (empty, header only, wrong header or delimiter, invalid UTF-8, broken quoting, invalid or
over-expanding gzip) loads nothing: the original bytes, as they landed, are copied to
`quarantine/.../<sha256>.csv` (`.csv.gz`), a quarantine entry and a manifest with status
`rejected` say why, and the result is not ok (the CLI exits non-zero, the Lambda raises so the event reaches
the dead-letter queue).

`D` is the day the file is ingested (UTC), the arrival time Silver reads Bronze by: incremental dbt runs prune the
`ingest_date` partitions before their watermark, so a file put in the partition of the day it landed and ingested a
day or more later was never read. A retry after a crash on the same day rewrites the same keys; one on a later day
writes its own, and the objects the crashed attempt left uncommitted (no manifest names them) stay in Bronze, a
second copy of the file's rows that Silver's deduplication by key counts once. The same holds for two attempts at
one file on either side of midnight (the S3 notification's and the ingestion DAG's).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from contracts.arrow.readers import FastPathUnsuitable, RawBatch, RawReject, arrow_batches, csv_batches
from contracts.arrow.scan import ScanningReader, SourceFacts
from contracts.layout import BATCH_PARTITIONS, batch_table_prefix, manifest_prefix, partition_path, quarantine_prefix
from contracts.olist import TableContract
from contracts.validation import EmptyFile, FileRejected, NoDataRows
from lambdas.ingestion.compression import GzipSource, stream_problem
from lambdas.ingestion.loader import FileLoader
from lambdas.ingestion.logs import logger
from lambdas.ingestion.manifest import LOADED, REJECTED, FileError, Manifest
from lambdas.ingestion.report import FileResult
from lambdas.ingestion.retry import s3_retry
from lambdas.ingestion.routing import Refused, Skip, landing_verdict
from lambdas.ingestion.storage import Bronze, SourceFile


@dataclass(frozen=True)
class _Keys:
    manifest: str
    output: str
    quarantine: str
    rejected_copy: str

    @classmethod
    def of(cls, table: TableContract, sha256: str, ingested_at: datetime, copy_suffix: str = ".csv") -> _Keys:
        partition = partition_path(BATCH_PARTITIONS, ingested_at)
        return cls(
            manifest=f"{manifest_prefix(table.name)}{sha256}.json",
            output=f"{batch_table_prefix(table.name)}{partition}{sha256}.parquet",
            quarantine=f"{quarantine_prefix(table.name)}{partition}{sha256}.jsonl",
            rejected_copy=f"{quarantine_prefix(table.name)}{partition}{sha256}{copy_suffix}",
        )


class _Rejected(Exception):
    def __init__(self, error: FileRejected, rows_read: int) -> None:
        super().__init__(str(error))
        self.error = error
        self.rows_read = rows_read


def ingest_file(
    source: SourceFile,
    bronze: Bronze,
    table: TableContract | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> FileResult:
    """Ingest `source` into `bronze`; the table comes from the landing key's prefix unless given.

    Raises `routing.Refused` for a key the ingestion does not take (see `routing.landing_verdict`).
    """
    verdict = landing_verdict(source.key)
    if isinstance(verdict, Skip):
        raise Refused(f"{source.key!r} is not ingested: {verdict.reason}")
    table = table or verdict.table
    landed = source
    if verdict.gzip:
        source = GzipSource(source)
    started = datetime.now(UTC)
    ingested_at = clock().astimezone(UTC).replace(tzinfo=None)
    ingest_date = ingested_at.date().isoformat()
    with tempfile.TemporaryDirectory(prefix="olist-ingest-") as work:
        converted = _convert(source, table, Path(work), ingested_at)
        facts = converted.facts
        keys = _Keys.of(table, facts.sha256, ingested_at, ".csv.gz" if verdict.gzip else ".csv")
        prior = bronze.read_json(keys.manifest)
        if prior is not None:
            manifest = Manifest.from_json(prior)
            logger.info("already_ingested", table=table.name, source_key=source.key, sha256=facts.sha256,
                        first_source_key=manifest.source_key, status=manifest.status)  # fmt: skip
            return FileResult(manifest, keys.manifest, skipped=True)
        base = {
            "table": table.name,
            "source_key": source.key,
            "source_uri": source.uri,
            "source_sha256": facts.sha256,
            "source_bytes": facts.size,
            "ingest_date": ingest_date,
            "ingested_at": ingested_at.isoformat(timespec="milliseconds"),
            "parser": converted.parser,
        }
        if isinstance(converted.outcome, _Rejected):
            manifest = _reject_file(landed, bronze, keys, base, converted.outcome)
        else:
            manifest = _publish(bronze, keys, base, converted.outcome)
    bronze.put_bytes(keys.manifest, manifest.to_json())
    loaded = manifest.status == LOADED
    (logger.info if loaded else logger.error)(
        "file_ingested" if loaded else "file_rejected",
        table=table.name, source_key=source.key, sha256=facts.sha256, status=manifest.status, parser=manifest.parser,
        rows_read=manifest.rows_read, rows_loaded=manifest.rows_loaded, rows_quarantined=manifest.rows_quarantined,
        source_bytes=facts.size, seconds=round((datetime.now(UTC) - started).total_seconds(), 3),
        error=manifest.error.reason if manifest.error else None,
    )  # fmt: skip
    return FileResult(manifest, keys.manifest, skipped=False)


@dataclass(frozen=True)
class _Converted:
    facts: SourceFacts
    outcome: FileLoader | _Rejected
    parser: str


@s3_retry
def _convert(source: SourceFile, table: TableContract, work: Path, ingested_at: datetime) -> _Converted:
    """Parse the source into local files; a transient S3 error restarts the whole conversion.

    Arrow reads the file while it is hashed and its quoting checked (one read). Arrow's result stands if the
    quoting is plain and Arrow read every record; otherwise the csv module reads the file again and decides.
    """
    loader: FileLoader | None
    with closing(source.open()) as stream:
        scanning = ScanningReader(stream)
        try:
            loader = _load(table, work / "arrow", source.key, ingested_at, arrow_batches(scanning, table))
        except FastPathUnsuitable as unsuitable:
            logger.info("csv_module_fallback", table=table.name, source_key=source.key, reason=str(unsuitable))
            loader = None
        facts = scanning.finish()
        problem = stream_problem(stream)
    if problem is not None:
        return _Converted(facts, _Rejected(problem, 0), "arrow")
    if facts.size == 0:
        empty = EmptyFile("empty file (0 bytes): the export or upload produced nothing", source.key)
        return _Converted(facts, _Rejected(empty, 0), "csv")
    if loader is not None and not facts.plain_quoting:
        logger.info("csv_module_fallback", table=table.name, source_key=source.key, reason="quoting is not plain")
        loader = None
    parser = "arrow"
    if loader is None:
        parser = "csv"
        try:
            with closing(source.open()) as stream:
                batches = csv_batches(stream, table, source.key, facts.ends_with_line_break)
                loader = _load(table, work / "csv", source.key, ingested_at, batches)
        except _Rejected as rejected:
            return _Converted(facts, rejected, parser)
    if loader.rows_read == 0:
        header_only = NoDataRows("header only: the file has a header but no data rows", source.key, line=1)
        return _Converted(facts, _Rejected(header_only, 0), parser)
    return _Converted(facts, loader, parser)


def _load(
    table: TableContract, work: Path, source_key: str, ingested_at: datetime, batches: Iterator[RawBatch | RawReject]
) -> FileLoader:
    """Feed every batch to a fresh loader; file-level problems become `_Rejected`."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    loader = FileLoader(table, work, source_key, ingested_at)
    try:
        for item in batches:
            loader.take(item)
    except FileRejected as error:
        loader.abort()
        raise _Rejected(error, loader.rows_read) from error
    except BaseException:
        loader.abort()
        raise
    loader.close()
    return loader


def _publish(bronze: Bronze, keys: _Keys, base: dict[str, object], loader: FileLoader) -> Manifest:
    bronze.put_file(keys.output, loader.parquet_path)
    quarantine_key = quarantine_sha256 = None
    if loader.rows_quarantined:
        bronze.put_file(keys.quarantine, loader.quarantine_path)
        quarantine_key, quarantine_sha256 = keys.quarantine, _sha256(loader.quarantine_path)
    return Manifest(
        **base,  # type: ignore[arg-type]
        status=LOADED,
        rows_read=loader.rows_read,
        rows_loaded=loader.rows_loaded,
        rows_quarantined=loader.rows_quarantined,
        output_key=keys.output,
        output_sha256=_sha256(loader.parquet_path),
        output_bytes=loader.parquet_path.stat().st_size,
        quarantine_key=quarantine_key,
        quarantine_sha256=quarantine_sha256,
    )


def _reject_file(
    source: SourceFile, bronze: Bronze, keys: _Keys, base: dict[str, object], rejected: _Rejected
) -> Manifest:
    """Keep the original bytes (as they landed, compressed or not) and say why nothing of the file was loaded."""
    _copy_source(source, bronze, keys.rejected_copy)
    error = rejected.error
    line = {
        "table": base["table"],
        "source_key": source.key,
        "source_sha256": base["source_sha256"],
        "row": None,
        "line": error.line,
        "column": None,
        "kind": error.kind,
        "reason": error.reason,
        "rows_read_before_error": rejected.rows_read,
        "rejected_copy_key": keys.rejected_copy,
    }
    data = json.dumps(line, ensure_ascii=False).encode() + b"\n"
    bronze.put_bytes(keys.quarantine, data)
    return Manifest(
        **base,  # type: ignore[arg-type]
        status=REJECTED,
        rows_read=rejected.rows_read,
        rows_loaded=0,
        rows_quarantined=rejected.rows_read,
        quarantine_key=keys.quarantine,
        quarantine_sha256=hashlib.sha256(data).hexdigest(),
        rejected_copy_key=keys.rejected_copy,
        error=FileError(error.kind, error.reason, error.line),
    )


@s3_retry
def _copy_source(source: SourceFile, bronze: Bronze, key: str) -> None:
    with closing(source.open()) as stream:
        bronze.put_stream(key, stream)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(4 * 2**20):
            digest.update(chunk)
    return digest.hexdigest()
