"""Replay Olist CSVs from an S3 prefix into MSK with IAM auth.

Event: a `contracts.replay_request.ReplayRequest` as the olist_replay DAG sends it,
`{"source": "s3://<bucket>/replay/<set>/", "speed": "max" | "<N>x" | "<N>/s", "tables": [...]}` (`speed` and
`tables` optional); a malformed request fails at once with `InvalidReplayRequest` naming the field, and a broker
that does not answer within 10 s with `BrokerUnreachable` naming the address. The function
downloads the prefix's CSV files to /tmp, replays them with the same code as `python -m producers`, and fails (so
the caller sees it) when any event was not acknowledged or any file could not be read. It is invoked
asynchronously and not retried: a failed run's invocation record (request and error) lands in the producer's
failure queue. A Lambda run is bounded by its 15-minute timeout: replays at historical speed that last longer
belong to a long-running task, not here.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import boto3

from contracts.replay_request import ReplayRequest
from lambdas.logs import json_logger
from producers.delivery import Speed
from producers.kafka_config import BrokerUnreachable, KafkaConnection, check_reachable
from producers.replay import EXIT_OK, replay

logger = json_logger("olist-producer")


class ReplayFailed(RuntimeError):
    """Some events were not delivered or some files could not be read; the message is the full report."""


# The replay set (`source`): the olist_replay task returns it too, so one value links a DAG run to these logs.
@logger.inject_lambda_context(correlation_id_path="source", clear_state=True)
def handler(event: object, _context: object) -> dict:
    request = ReplayRequest.from_payload(event)
    # MSK takes IAM; KAFKA_AUTH=plaintext points the same code at the local twin's broker.
    servers = os.environ["BOOTSTRAP_SERVERS"]
    connection = KafkaConnection(
        bootstrap_servers=servers,
        auth=os.environ.get("KAFKA_AUTH", "iam"),  # type: ignore[arg-type]
        region=os.environ["AWS_REGION"],
    )
    # Seconds, not the function's 15 minutes of client retries, when no broker answers (wrong address, security
    # group, IAM): the failure queue then holds the address and the client's reason.
    try:
        check_reachable(connection)
    except BrokerUnreachable as error:
        raise BrokerUnreachable(f"BOOTSTRAP_SERVERS={servers}: {error}") from error
    with tempfile.TemporaryDirectory() as workdir:
        downloaded = _download_csvs(request.bucket, request.prefix, Path(workdir))
        logger.info("replay_started", source=request.source, files=downloaded)
        report = replay(Path(workdir), connection, speed=Speed.parse(request.speed), tables=request.streamed_tables)
    rendered = report.render()
    logger.info("replay_finished", exit_code=report.exit_code, report=rendered)
    if report.exit_code != EXIT_OK:
        raise ReplayFailed(rendered)
    return {"events_by_topic": report.load.events_by_topic, "delivered": report.delivery.sent}


def _download_csvs(bucket: str, prefix: str, target: Path) -> list[str]:
    s3 = boto3.client("s3")
    keys_by_name: dict[str, str] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            key = item["Key"]
            name = key.rsplit("/", 1)[-1]
            if not name.endswith(".csv"):
                continue
            if name in keys_by_name:
                # Files are read by name: one would silently replace the other.
                raise ValueError(
                    f"two files named {name} under s3://{bucket}/{prefix}: {keys_by_name[name]} and {key}; "
                    f"replay one folder of Olist CSVs at a time"
                )
            keys_by_name[name] = key
            s3.download_file(bucket, key, str(target / name))
    if not keys_by_name:
        raise FileNotFoundError(f"no .csv files under s3://{bucket}/{prefix}")
    return list(keys_by_name)
