"""The Lambda entry point, `handler.handler`, for S3 `ObjectCreated` events on the landing bucket.

Environment:
- `BRONZE_BUCKET` (required): where Parquet, quarantine and manifests go.
- `LOG_LEVEL` (optional, default INFO).
- `AWS_ENDPOINT_URL_S3` (optional, honoured by boto3): an S3-compatible endpoint for local runs.

Every record of the event is attempted. If any file fails (refused by `routing.landing_verdict`: unknown table
prefix, not a CSV, an archive; file-level rejection; S3 error after retries) the handler raises after trying the
others; Lambda's asynchronous retries then find the good files already committed (manifest present, nothing
rewritten) and the event ends in the DLQ.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_plus

from lambdas.ingestion.ingest import ingest_file
from lambdas.ingestion.logs import logger
from lambdas.ingestion.report import FileFailure, IngestionReport, Skipped
from lambdas.ingestion.routing import Refused, Skip, landing_verdict
from lambdas.ingestion.storage import Bronze, S3Bronze, S3Source, s3_client


class IngestionFailed(RuntimeError):
    """At least one file of the event was not loaded; the message lists each one and why."""


@dataclass(frozen=True)
class HandlerSettings:
    bronze_bucket: str
    log_level: str = "INFO"

    @classmethod
    def from_environ(cls) -> HandlerSettings:
        bucket = os.environ.get("BRONZE_BUCKET", "")
        if not bucket:
            raise RuntimeError("BRONZE_BUCKET is not set: the function needs the name of the Bronze bucket")
        return cls(bronze_bucket=bucket, log_level=os.environ.get("LOG_LEVEL", "INFO"))


# The request id S3 gave the upload that raised the event, as in CloudTrail and S3 server access logs.
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-content-structure.html
UPLOAD_REQUEST_ID = 'Records[0].responseElements."x-amz-request-id"'


@logger.inject_lambda_context(correlation_id_path=UPLOAD_REQUEST_ID, clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    settings = HandlerSettings.from_environ()
    logger.setLevel(settings.log_level)
    client = s3_client()
    report = ingest_event(event, client, S3Bronze(client, settings.bronze_bucket))
    if not report.ok:
        raise IngestionFailed(report.render())
    return {
        "files": [
            {
                "source_key": r.manifest.source_key,
                "table": r.manifest.table,
                "sha256": r.manifest.source_sha256,
                "skipped": r.skipped,
                "rows_read": r.manifest.rows_read,
                "rows_loaded": r.manifest.rows_loaded,
                "rows_quarantined": r.manifest.rows_quarantined,
            }
            for r in report.results
        ]
    }


def ingest_event(event: dict[str, Any], client: Any, bronze: S3Bronze) -> IngestionReport:
    objects = (
        (record["s3"]["bucket"]["name"], unquote_plus(record["s3"]["object"]["key"]))
        for record in event.get("Records", [])
    )
    return ingest_objects(client, objects, bronze)


def ingest_objects(client: Any, objects: Iterable[tuple[str, str]], bronze: Bronze) -> IngestionReport:
    """Ingest each (bucket, key) of a landing bucket, as `routing.landing_verdict` says.

    Every object is attempted: one that is refused or fails is logged and reported, and the others still go.
    Skipped objects (folder markers, the producer's replay sources) are listed with the reason.
    """
    report = IngestionReport()
    for bucket, key in objects:
        uri = f"s3://{bucket}/{key}"
        try:
            verdict = landing_verdict(key)
        except Refused as refused:
            logger.error("file_refused", source_bucket=bucket, source_key=key, reason=str(refused))
            report.failures.append(FileFailure(uri, str(refused)))
            continue
        if isinstance(verdict, Skip):
            logger.info("file_skipped", source_key=key, reason=verdict.reason)
            report.skipped.append(Skipped(uri, verdict.reason))
            continue
        try:
            report.results.append(ingest_file(S3Source.head(client, bucket, key), bronze))
        except Exception as error:  # reported, and the run fails once every object was attempted
            logger.exception("file_failed", source_bucket=bucket, source_key=key)
            report.failures.append(FileFailure(uri, f"{type(error).__name__}: {error}"))
    return report
