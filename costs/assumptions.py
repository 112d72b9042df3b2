"""Usage the templates cannot tell: what a running environment is assumed to store, log, invoke and scan.

Per profile, because a branch environment lives for days on sample data while the persistent one
holds the whole history. Change these when real usage is known (Cost Explorer, by the keystone:env tag).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Usage:
    s3_gb: float  # all lake buckets together, S3 Standard
    log_ingestion_gb_per_month: float
    log_storage_gb: float
    nat_processed_gb_per_month: float
    lambda_invocations_per_month: float
    lambda_seconds_per_invocation: float
    athena_tb_scanned_per_month: float
    mwaa_metadata_gb: float


USAGE = {
    "ephemeral": Usage(
        s3_gb=5,
        log_ingestion_gb_per_month=3,
        log_storage_gb=1,
        nat_processed_gb_per_month=5,
        lambda_invocations_per_month=5_000,
        lambda_seconds_per_invocation=5,
        athena_tb_scanned_per_month=0.01,
        mwaa_metadata_gb=1,
    ),
    "persistent": Usage(
        s3_gb=500,
        log_ingestion_gb_per_month=30,
        log_storage_gb=60,
        nat_processed_gb_per_month=100,
        lambda_invocations_per_month=200_000,
        lambda_seconds_per_invocation=10,
        athena_tb_scanned_per_month=1,
        mwaa_metadata_gb=5,
    ),
}
