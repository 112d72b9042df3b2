"""`python -m lambdas.ingestion`: the Lambda's ingestion, run over a folder of CSVs or a landing bucket.

    python -m lambdas.ingestion --source-dir DIR --bronze s3://BUCKET [--s3-endpoint http://127.0.0.1:PORT]
    python -m lambdas.ingestion --source-dir DIR --bronze-dir OUT
    python -m lambdas.ingestion --landing s3://LANDING[/prefix] --bronze s3://BUCKET --s3-endpoint ...

In a folder, a file named like an original Olist file (`olist_orders_dataset.csv`) belongs to its table,
and so does any file under a sub-folder named after a table (`orders/2024-01.csv`), mirroring the landing
bucket's prefixes; other sub-folders and non-CSV files are ignored, other top-level CSVs are errors. Prints a per-table
summary; exits 1 when a file was rejected or failed, 0 otherwise (rows may still have been quarantined).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from contracts.layout import landing_prefix
from contracts.olist import TABLES, contract_for_file
from lambdas.ingestion import logs
from lambdas.ingestion.handler import ingest_objects
from lambdas.ingestion.ingest import ingest_file
from lambdas.ingestion.report import FileFailure, IngestionReport
from lambdas.ingestion.storage import Bronze, LocalBronze, LocalSource, S3Bronze, SourceFile, s3_client


def landing_sources(source_dir: Path) -> tuple[list[LocalSource], list[FileFailure]]:
    """The CSVs of a folder with their landing keys (`<table>/<name>`), and the files that fit no table."""
    sources: list[LocalSource] = []
    failures: list[FileFailure] = []
    for path in sorted(source_dir.iterdir()):
        if path.is_dir() and path.name in TABLES:
            for file in sorted(p for p in path.rglob("*") if p.is_file()):
                sources.append(LocalSource(file, file.relative_to(source_dir).as_posix()))
        elif path.is_file() and path.suffix.lower() == ".csv":
            try:
                table = contract_for_file(path.name)
            except KeyError as error:
                failures.append(FileFailure(str(path), f"UnknownTable: {error.args[0]}"))
                continue
            sources.append(LocalSource(path, f"{landing_prefix(table.name)}{path.name}"))
    return sources, failures


def ingest_sources(sources: Iterable[SourceFile], bronze: Bronze) -> IngestionReport:
    report = IngestionReport()
    for source in sources:
        try:
            report.results.append(ingest_file(source, bronze))
        except Exception as error:  # one bad file must not stop the others; it is reported and fails the run
            logs.log_exception("file_failed", source_key=source.key)
            report.failures.append(FileFailure(source.uri, f"{type(error).__name__}: {error}"))
    return report


def ingest_directory(source_dir: Path, bronze: Bronze) -> IngestionReport:
    """Ingest every CSV of `source_dir` (see the module docstring for how files map to tables)."""
    sources, failures = landing_sources(source_dir)
    report = ingest_sources(sources, bronze)
    report.failures[:0] = failures
    return report


def ingest_landing(client: Any, bucket: str, prefix: str, bronze: Bronze) -> IngestionReport:
    """Ingest every object of a landing bucket under `prefix`, as the Lambda would one event at a time."""
    paginator = client.get_paginator("list_objects_v2")
    keys = sorted(
        item["Key"] for page in paginator.paginate(Bucket=bucket, Prefix=prefix) for item in page.get("Contents", [])
    )
    return ingest_objects(client, ((bucket, key) for key in keys), bronze)


def _bucket_and_prefix(uri: str) -> tuple[str, str]:
    if not uri.startswith("s3://"):
        raise argparse.ArgumentTypeError(f"{uri!r} is not an s3://bucket[/prefix] URI")
    bucket, _, prefix = uri[len("s3://") :].partition("/")
    return bucket, prefix


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m lambdas.ingestion", description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--source-dir", type=Path, help="folder of Olist CSVs (or <table>/ sub-folders)")
    source.add_argument("--landing", help="s3://bucket[/prefix] of a landing bucket to ingest")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--bronze", help="s3://bucket of the Bronze bucket")
    target.add_argument("--bronze-dir", type=Path, help="local folder standing in for the Bronze bucket")
    parser.add_argument("--s3-endpoint", help="S3-compatible endpoint URL, e.g. http://127.0.0.1:5000")
    parser.add_argument("--log-level", default="INFO", help="level of the JSON logs on stderr (default INFO)")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> IngestionReport:
    logs.set_level(args.log_level)
    client = s3_client(args.s3_endpoint) if (args.bronze or args.landing) else None
    if args.bronze:
        bucket, _ = _bucket_and_prefix(args.bronze)
        bronze: Bronze = S3Bronze(client, bucket)
    else:
        bronze = LocalBronze(args.bronze_dir)
    if args.landing:
        bucket, prefix = _bucket_and_prefix(args.landing)
        return ingest_landing(client, bucket, prefix, bronze)
    if not args.source_dir.is_dir():
        raise SystemExit(f"--source-dir {args.source_dir} is not a folder")
    return ingest_directory(args.source_dir, bronze)


def main(argv: Sequence[str] | None = None) -> int:
    report = run(parse_args(argv))
    print(report.render())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
