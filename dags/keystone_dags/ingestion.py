"""The batch-ingestion DAG's work: find new drops, run the ingestion function on one, verify its manifest.

A drop is a landing object (key + ETag). It is new until the ledger under the artifacts location holds
`orchestration/ingested/<key>/<etag>`, written only after its manifest verified: a file overwritten under the
same key has a new ETag and is ingested again; a file that failed is retried by the next run.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any
from urllib.parse import quote_plus

from botocore.config import Config

from contracts.layout import is_replay_source, manifest_prefix
from keystone_dags import processes
from keystone_dags.settings import Settings
from keystone_dags.store import ArtifactStore

LEDGER_PREFIX = "orchestration/ingested"
INGESTION_HANDLER = "lambdas.ingestion.handler:handler"
INGESTION_TIMEOUT_S = 14 * 60
# Beyond the function's timeout: Lambda's own overhead (start-up, the response) before the answer arrives.
READ_TIMEOUT_MARGIN_S = 60
_QUOTE = '"'  # S3 quotes ETags


class ManifestMismatch(RuntimeError):
    """The manifest of an ingested file does not account for every row, or names Bronze objects that are missing."""


class IngestionFunctionError(RuntimeError):
    """The ingestion function raised (its message lists each failed file and why)."""


@dataclass(frozen=True)
class Drop:
    key: str
    etag: str

    @property
    def ledger_key(self) -> str:
        return f"{LEDGER_PREFIX}/{self.key}/{self.etag.strip(_QUOTE)}"

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def list_drops(s3_hook: Any, bucket: str, prefix: str) -> list[Drop]:
    client = s3_hook.get_conn()
    paginator = client.get_paginator("list_objects_v2")
    drops = [
        Drop(item["Key"], item["ETag"])
        for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
        for item in page.get("Contents", [])
        if not item["Key"].endswith("/") and not is_replay_source(item["Key"])
    ]
    return sorted(drops, key=lambda drop: drop.key)


def new_drops(s3_hook: Any, bucket: str, prefix: str, ledger: ArtifactStore) -> list[Drop]:
    done = set(ledger.list_keys(f"{LEDGER_PREFIX}/"))
    return [drop for drop in list_drops(s3_hook, bucket, prefix) if drop.ledger_key not in done]


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    """The S3 ObjectCreated notification the function receives for one object (keys are URL-encoded in events)."""
    return {
        "Records": [
            {
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": quote_plus(key, safe="/")}},
            }
        ]
    }


def invoke_ingestion(config: Settings, drop: Drop) -> dict[str, Any]:
    """Ingest one landing object with the ingestion function; returns its per-file result."""
    event = s3_event(config.landing_bucket, drop.key)
    response = _invoke_locally(config, event) if config.is_local else _invoke_lambda(config, event)
    files = response.get("files") or []
    if len(files) != 1:
        raise IngestionFunctionError(
            f"the ingestion function returned {len(files)} file results for s3://{config.landing_bucket}/{drop.key}; "
            f"expected exactly one: {json.dumps(response)[:2000]}"
        )
    return files[0]


def _invoke_locally(config: Settings, event: dict[str, Any]) -> dict[str, Any]:
    env = {
        "BRONZE_BUCKET": config.bronze_bucket,
        "PYTHONPATH": processes.project_pythonpath(),
        **({"AWS_ENDPOINT_URL_S3": config.s3_endpoint} if config.s3_endpoint else {}),
    }
    command = [config.project_python, "-m", "keystone_dags.local_lambda", INGESTION_HANDLER]
    try:
        result = processes.run(command, "ingestion function (local)", env, INGESTION_TIMEOUT_S, stdin=json.dumps(event))
    except processes.CommandFailed as error:
        raise IngestionFunctionError(str(error)) from error
    return json.loads(result.stdout.strip().splitlines()[-1])


def invoke_client_config(function_timeout_s: int) -> Config:
    """A synchronous invoke that outwaits the function and is never sent twice by the SDK.

    botocore reads for 60 s by default and retries a ReadTimeoutError (legacy and standard modes alike), so a
    slower run would be invoked again while the first still runs. Waiting past the function's own timeout means
    a response always arrives first; a call that still fails is retried by the task, after the fact, and the
    ingestion is idempotent per file. https://docs.aws.amazon.com/boto3/latest/guide/retries.html
    """
    return Config(read_timeout=function_timeout_s + READ_TIMEOUT_MARGIN_S, retries={"total_max_attempts": 1})


def _invoke_lambda(config: Settings, event: dict[str, Any]) -> dict[str, Any]:
    from airflow.providers.amazon.aws.hooks.lambda_function import LambdaHook

    if not config.ingestion_function or not config.ingestion_function_timeout_s:
        raise IngestionFunctionError(
            "settings 'ingestion_function' and 'ingestion_function_timeout_s' (keystone.ingestion_function, "
            "keystone.ingestion_function_timeout_s) must both be configured"
        )
    # Not kept in a variable: tests/fixtures/aws_calls.py reads a hook variable as the S3 hook.
    response = LambdaHook(
        aws_conn_id=config.aws_conn_id, config=invoke_client_config(config.ingestion_function_timeout_s)
    ).invoke_lambda(
        function_name=config.ingestion_function, invocation_type="RequestResponse", payload=json.dumps(event)
    )
    body = response["Payload"].read().decode()
    if response.get("FunctionError"):
        raise IngestionFunctionError(f"{config.ingestion_function} failed: {body[:4000]}")
    return json.loads(body)


def manifest_key(file_result: dict[str, Any]) -> str:
    return f"{manifest_prefix(file_result['table'])}{file_result['sha256']}.json"


def verify_manifest(s3_hook: Any, config: Settings, drop: Drop, file_result: dict[str, Any]) -> dict[str, Any]:
    """Every row read is loaded or quarantined, and the objects the manifest names exist in Bronze; else raise."""
    source = f"s3://{config.landing_bucket}/{drop.key}"
    key = manifest_key(file_result)
    bronze = config.bronze_bucket
    if not s3_hook.check_for_key(key, bronze):
        raise ManifestMismatch(f"{source}: manifest s3://{bronze}/{key} is missing after ingestion")
    manifest = json.loads(s3_hook.read_key(key, bronze))
    read, loaded, quarantined = manifest["rows_read"], manifest["rows_loaded"], manifest["rows_quarantined"]
    problems: list[str] = []
    if manifest.get("status") != "loaded":
        problems.append(f"status is {manifest.get('status')!r}, not 'loaded' ({manifest.get('error')})")
    if read != loaded + quarantined:
        problems.append(
            f"rows_read={read} but rows_loaded={loaded} + rows_quarantined={quarantined} = {loaded + quarantined}"
        )
    reported = (file_result.get("rows_read"), file_result.get("rows_loaded"), file_result.get("rows_quarantined"))
    if reported != (read, loaded, quarantined):
        problems.append(
            f"the function reported read/loaded/quarantined={reported}, the manifest says {(read, loaded, quarantined)}"
        )
    problems += _missing_objects(s3_hook, bronze, manifest)
    if problems:
        raise ManifestMismatch(f"{source}: manifest s3://{bronze}/{key}: " + "; ".join(problems))
    return {
        "source": source,
        "manifest": key,
        "rows_read": read,
        "rows_loaded": loaded,
        "rows_quarantined": quarantined,
    }


def _missing_objects(s3_hook: Any, bucket: str, manifest: dict[str, Any]) -> list[str]:
    problems = []
    expected = [("output_key", "output_bytes", manifest["rows_loaded"] > 0)]
    expected.append(("quarantine_key", None, manifest["rows_quarantined"] > 0))
    for key_field, size_field, required in expected:
        key = manifest.get(key_field)
        if not key:
            if required:
                problems.append(f"{key_field} is empty although rows were written there")
            continue
        head = s3_hook.head_object(key, bucket)
        if head is None:
            problems.append(f"{key_field} s3://{bucket}/{key} is missing from Bronze")
        elif size_field and manifest.get(size_field) is not None and head["ContentLength"] != manifest[size_field]:
            problems.append(
                f"s3://{bucket}/{key} has {head['ContentLength']} bytes, the manifest says {manifest[size_field]}"
            )
    return problems


def record_ingested(ledger: ArtifactStore, drop: Drop, verified: dict[str, Any]) -> None:
    ledger.write_text(drop.ledger_key, json.dumps(verified, sort_keys=True))
