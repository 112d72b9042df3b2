"""Failure alerts: a structured log line always, and an SNS message when a topic is configured."""

from __future__ import annotations

import json
import logging
from typing import Any, NoReturn

from keystone_dags import settings

log = logging.getLogger(__name__)


def failure_summary(context: Any) -> dict[str, Any]:
    ti = context.get("task_instance") or context.get("ti")
    dag_run = context.get("dag_run")
    return {
        "alert": "task_failed",
        "dag_id": getattr(ti, "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "map_index": getattr(ti, "map_index", None),
        "run_id": getattr(dag_run, "run_id", None),
        "try_number": getattr(ti, "try_number", None),
        "error": str(context.get("exception") or ""),
    }


def on_task_failure(context: Any) -> None:
    """`on_failure_callback` of every task: runs once the task has no retries left."""
    summary = failure_summary(context)
    log.error(json.dumps(summary, default=str))
    topic = settings.get("alert_topic_arn")
    if not topic:
        return
    from airflow.providers.amazon.aws.hooks.sns import SnsHook

    subject = f"[keystone] {summary['dag_id']}.{summary['task_id']} failed"[:100]
    SnsHook(aws_conn_id=settings.get("aws_conn_id", "aws_default")).publish_to_target(
        target_arn=topic, message=json.dumps(summary, indent=2, default=str), subject=subject
    )


def fail_without_retry(error: Exception) -> NoReturn:
    """Fail the task for good (the cause is in the data, a retry cannot fix it), the reason on one plain log line."""
    from airflow.exceptions import AirflowFailException

    log.error("%s: %s", type(error).__name__, error)
    raise AirflowFailException(str(error)) from error
