"""`python -m quality check`: validate Bronze objects against the contract suites; Data Docs into --docs-dir.

    python -m quality check --bronze s3://BUCKET [--s3-endpoint URL] --keys-file keys.json --docs-dir DIR \
        [--result-file result.json] [--run-name NAME]
    python -m quality check --bronze-dir DIR --keys KEY [KEY ...] --docs-dir DIR

Exit codes: 0 every expectation met (or nothing to check), 3 an expectation failed (the batch must not be
published), 2 bad arguments, 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from quality import EXIT_FAILED_EXPECTATIONS
from quality.batches import FolderReader, ObjectReader, S3Reader, group_keys, read_group
from quality.suites import suite_for


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m quality", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="run the checkpoint over Bronze objects")
    bronze = check.add_mutually_exclusive_group(required=True)
    bronze.add_argument("--bronze", help="s3://bucket of the Bronze bucket")
    bronze.add_argument("--bronze-dir", type=Path, help="local folder standing in for the Bronze bucket")
    keys = check.add_mutually_exclusive_group(required=True)
    keys.add_argument("--keys", nargs="+", help="Bronze object keys of the micro-batch")
    keys.add_argument("--keys-file", type=Path, help="JSON list of Bronze object keys")
    check.add_argument("--s3-endpoint", help="S3-compatible endpoint URL (local S3 server)")
    check.add_argument("--docs-dir", type=Path, required=True, help="where the Data Docs site is written")
    check.add_argument("--result-file", type=Path, help="write the outcome as JSON here")
    check.add_argument("--run-name", default="micro-batch", help="run name shown in Data Docs")
    return parser.parse_args(argv)


def _reader(args: argparse.Namespace) -> ObjectReader:
    if args.bronze_dir:
        return FolderReader(args.bronze_dir)
    if not args.bronze.startswith("s3://"):
        raise SystemExit(f"--bronze {args.bronze!r} is not an s3://bucket URI")
    import boto3

    client = boto3.client("s3", endpoint_url=args.s3_endpoint) if args.s3_endpoint else boto3.client("s3")
    return S3Reader(client, args.bronze[len("s3://") :].split("/")[0])


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    keys = args.keys if args.keys else json.loads(args.keys_file.read_text())
    groups = group_keys(keys)
    if not groups:
        print("no Bronze data objects in the micro-batch: nothing to check")
        return 0
    from quality.checkpoint import run_checkpoint

    reader = _reader(args)
    batches = [
        (suite_for(table, kind), read_group(reader, table, kind, group)) for (table, kind), group in groups.items()
    ]
    outcome = run_checkpoint(batches, args.docs_dir, args.run_name)
    if args.result_file:
        args.result_file.write_text(json.dumps(outcome.to_dict(), indent=2))
    print(outcome.render())
    print(f"Data Docs: {outcome.docs_index}")
    return 0 if outcome.success else EXIT_FAILED_EXPECTATIONS


if __name__ == "__main__":
    sys.exit(main())
