"""olist_batch_ingestion on its AWS path: the DAG's real invoke code against a local Lambda Invoke API.

The ingestion function is invoked synchronously. botocore's default read timeout is 60 s and both its legacy and
standard retry modes retry a ReadTimeoutError, so a run slower than a minute would be invoked again while the
first still runs (https://docs.aws.amazon.com/boto3/latest/guide/retries.html;
https://repost.aws/knowledge-center/lambda-function-retry-timeout-sdk). The DAG must wait past the function's own
timeout and never retry the call itself. Here the function's timeout is 70 s and the handler takes 65 s (slower
than botocore's default, within its own timeout); behind the endpoint runs the real ingestion handler against the
local S3 server, so the DAG's manifest check passes only on what the function really wrote.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from contracts import TABLES
from lambdas.ingestion.handler import handler as ingestion_handler
from tests.fixtures.airflow import (  # noqa: F401
    airflow_python,
    dbt_manifest,
    duckdb_extension_dir,
    make_twin,
    migrated_airflow_db,
)
from tests.fixtures.lambda_api import lambda_api
from tests.fixtures.lambda_context import LambdaContext

pytestmark = pytest.mark.slow

INGESTION_FUNCTION = "keystone-test-ingestion"
FUNCTION_TIMEOUT_S = 70
HANDLER_SECONDS = 65


def test_a_slow_ingestion_function_runs_once_per_drop(make_twin, local_engines, olist_sample_dir, monkeypatch):  # noqa: F811
    twin = make_twin("aws-ingestion")
    table = TABLES["product_category_name_translation"]
    twin.s3.upload_file(str(olist_sample_dir / table.file_name), twin.landing, f"{table.name}/{table.file_name}")
    for name, value in local_engines.aws_environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BRONZE_BUCKET", twin.bronze)

    def slow_ingestion(event: dict[str, Any]) -> dict[str, Any]:
        time.sleep(HANDLER_SECONDS)
        return ingestion_handler(event, LambdaContext())

    with lambda_api({INGESTION_FUNCTION: slow_ingestion}) as api:
        on_aws = twin.on_aws(
            api.endpoint,
            KEYSTONE_INGESTION_FUNCTION=INGESTION_FUNCTION,
            KEYSTONE_INGESTION_FUNCTION_TIMEOUT_S=str(FUNCTION_TIMEOUT_S),
        )
        run = on_aws.dags_test("olist_batch_ingestion")
        calls = api.calls_to(INGESTION_FUNCTION)
    assert len(calls) == 1, f"the ingestion function was invoked {len(calls)} times for one drop"
    assert calls[0].invocation_type == "RequestResponse"
    assert run.state == "success", run.failure_report()
    assert twin.bronze_keys(f"manifests/{table.name}/")
