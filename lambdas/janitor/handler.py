"""Lambda entry point: one scheduled janitor run."""

from __future__ import annotations

import os
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from aws_lambda_powertools.logging import correlation_paths

from lambdas.janitor.logs import logger
from lambdas.janitor.teardown import Clients, Janitor, Settings


def settings_from_environment(environ: dict[str, str]) -> Settings:
    return Settings(
        cloudformation_role_arn=environ.get("CLOUDFORMATION_ROLE_ARN") or None,
        sweep_lookback=timedelta(days=_number(environ, "SWEEP_LOOKBACK_DAYS", "7", int)),
        poll_seconds=_number(environ, "POLL_SECONDS", "30", float),
        compute_components=tuple(name for name in environ.get("COMPUTE_COMPONENTS", "").split(",") if name),
    )


def _number(environ: dict[str, str], name: str, default: str, kind: type[int] | type[float]) -> float:
    text = environ.get(name, default)
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"environment variable {name}={text!r} is not a number ({kind.__name__})") from None


# The id of the scheduled EventBridge event that started the run.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
def handler(event: dict, context: Any) -> dict:
    clients = Clients(
        cloudformation=boto3.client("cloudformation"),
        s3=boto3.client("s3"),
        logs=boto3.client("logs"),
        ec2=boto3.client("ec2"),
        cloudwatch=boto3.client("cloudwatch"),
    )
    janitor = Janitor(clients, settings_from_environment(dict(os.environ)), clock=lambda: datetime.now(UTC))
    report = janitor.run(seconds_left=lambda: context.get_remaining_time_in_millis() / 1000, sleep=time.sleep)
    summary = asdict(report)
    logger.info("janitor_run_finished", **summary)
    if report.errors:
        # A failed run shows in the function's Errors metric; what succeeded is kept and the rest retried next run.
        raise RuntimeError(f"janitor finished with {len(report.errors)} errors; first: {report.errors[0]}")
    return summary
