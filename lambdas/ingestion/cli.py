"""`python -m lambdas.ingestion`: the Lambda's ingestion, run over a folder of CSVs or a landing bucket.

    python -m lambdas.ingestion --source-dir DIR --bronze s3://BUCKET [--s3-endpoint http://127.0.0.1:PORT]
    python -m lambdas.ingestion --source-dir DIR --bronze-dir OUT
    python -m lambdas.ingestion --landing s3://LANDING[/prefix] --bronze s3://BUCKET --s3-endpoint ...

Which files are taken is `routing`'s rule, the Lambda's too: in a folder, a file named like an original Olist file
(`olist_orders_dataset.csv`, or `.csv.gz`) belongs to its table, and so does any file under a sub-folder named
after a table (`orders/2024-01.csv`), mirroring the landing bucket's prefixes. Every file gets a verdict: ingested,
refused (a misspelt name, an archive, another format: an error) or not read (a README, another sub-folder), each
listed with its reason. Prints a per-table summary; exits 1 when a file was refused, rejected or failed, or when
nothing was ingested, 2 on a bad option, 0 otherwise (rows may still have been quarantined).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from contracts.settings import BadSetting, existing_folder, folder_to_create, setting
from contracts.settings import report as report_bad_setting
from lambdas.ingestion.handler import ingest_objects
from lambdas.ingestion.ingest import ingest_file
from lambdas.ingestion.logs import logger
from lambdas.ingestion.report import FileFailure, IngestionReport, Skipped
from lambdas.ingestion.routing import READABLE, Skip, Take, folder_verdicts
from lambdas.ingestion.storage import Bronze, LocalBronze, LocalSource, S3Bronze, SourceFile, s3_client

_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def landing_sources(source_dir: Path) -> tuple[list[LocalSource], list[FileFailure], list[Skipped]]:
    """The files of a folder the ingestion takes, with their landing keys; the ones it refuses; the ones it skips."""
    sources: list[LocalSource] = []
    failures: list[FileFailure] = []
    skipped: list[Skipped] = []
    for entry in folder_verdicts(source_dir):
        shown = f"{entry.path}/" if entry.path.is_dir() else str(entry.path)
        if isinstance(entry.verdict, Take):
            sources.append(LocalSource(entry.path, entry.key))
        elif isinstance(entry.verdict, Skip):
            skipped.append(Skipped(shown, entry.verdict.reason))
        else:
            failures.append(FileFailure(shown, str(entry.verdict)))
    return sources, failures, skipped


def ingest_sources(sources: Iterable[SourceFile], bronze: Bronze) -> IngestionReport:
    report = IngestionReport()
    for source in sources:
        try:
            report.results.append(ingest_file(source, bronze))
        except Exception as error:  # one bad file must not stop the others; it is reported and fails the run
            logger.exception("file_failed", source_key=source.key)
            report.failures.append(FileFailure(source.uri, f"{type(error).__name__}: {error}"))
    return report


def ingest_directory(source_dir: Path, bronze: Bronze) -> IngestionReport:
    """Ingest every CSV of `source_dir` (see the module docstring for how files map to tables)."""
    sources, failures, skipped = landing_sources(source_dir)
    report = ingest_sources(sources, bronze)
    report.failures[:0] = failures
    report.skipped.extend(skipped)
    return report


def ingest_landing(client: Any, bucket: str, prefix: str, bronze: Bronze) -> IngestionReport:
    """Ingest every object of a landing bucket under `prefix`, as the Lambda would one event at a time."""
    paginator = client.get_paginator("list_objects_v2")
    keys = sorted(
        item["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix) for item in page.get("Contents", [])
    )
    return ingest_objects(client, ((bucket, key) for key in keys), bronze)


def _s3_uri(text: str) -> tuple[str, str]:
    """(bucket, prefix) of an `s3://bucket[/prefix]` URI."""
    if not text.startswith("s3://"):
        raise ValueError("not an s3://bucket[/prefix] URI")
    bucket, _, prefix = text[len("s3://") :].partition("/")
    if not _BUCKET_NAME.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)")
    return bucket, prefix


def _endpoint(text: str) -> str:
    url = urlparse(text)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError("not an http(s)://host[:port] URL")
    try:
        url.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError("the port is not a number from 0 to 65535") from None
    return text


def _log_level(text: str) -> str:
    if text.upper() not in _LOG_LEVELS:
        raise ValueError(f"not a log level; use one of {', '.join(_LOG_LEVELS)}")
    return text.upper()


@dataclass(frozen=True)
class Settings:
    source_dir: Path | None
    landing: tuple[str, str] | None
    bronze: str | None
    bronze_dir: Path | None
    s3_endpoint: str | None
    log_level: str


def parse_args(argv: Sequence[str] | None) -> Settings:
    """The command line, every value checked (`contracts.settings.BadSetting`) before anything is read."""
    parser = argparse.ArgumentParser(prog="python -m lambdas.ingestion", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--source-dir", help="folder of Olist CSVs (or <table>/ sub-folders)")
    source.add_argument("--landing", help="s3://bucket[/prefix] of a landing bucket to ingest")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--bronze", help="s3://bucket of the Bronze bucket")
    target.add_argument("--bronze-dir", help="local folder standing in for the Bronze bucket")
    parser.add_argument("--s3-endpoint", help="S3-compatible endpoint URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--log-level", help="level of the JSON logs on stderr (default INFO)")
    args = parser.parse_args(argv)
    bronze = setting(args.bronze, "--bronze", _s3_uri) if args.bronze is not None else None
    if bronze is not None and bronze[1]:
        raise BadSetting("--bronze", args.bronze, "give the bucket only (s3://bucket): Bronze keys start at its root")
    return Settings(
        source_dir=setting(args.source_dir, "--source-dir", existing_folder) if args.source_dir is not None else None,
        landing=setting(args.landing, "--landing", _s3_uri) if args.landing is not None else None,
        bronze=bronze[0] if bronze else None,
        bronze_dir=setting(args.bronze_dir, "--bronze-dir", folder_to_create) if args.bronze_dir is not None else None,
        s3_endpoint=setting(args.s3_endpoint, "--s3-endpoint", _endpoint) if args.s3_endpoint is not None else None,
        log_level=setting(args.log_level, "--log-level", _log_level, default="INFO"),
    )


def run(settings: Settings) -> IngestionReport:
    logger.setLevel(settings.log_level)
    client = s3_client(settings.s3_endpoint) if (settings.bronze or settings.landing) else None
    if settings.bronze:
        bronze: Bronze = S3Bronze(client, settings.bronze)
    else:
        assert settings.bronze_dir is not None
        bronze = LocalBronze(settings.bronze_dir)
    if settings.landing:
        bucket, prefix = settings.landing
        return ingest_landing(client, bucket, prefix, bronze)
    assert settings.source_dir is not None
    return ingest_directory(settings.source_dir, bronze)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        settings = parse_args(argv)
    except BadSetting as error:
        return report_bad_setting(error)
    report = run(settings)
    print(report.render())
    if not report.results:
        where = settings.source_dir or f"s3://{'/'.join(part for part in settings.landing or () if part)}"
        print(f"NOTHING INGESTED: {where} holds no Olist CSV ({READABLE} files named as Olist files or under <table>/)")
        return 1
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
