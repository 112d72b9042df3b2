"""Retries, timeouts and alerts every Keystone task declares."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from keystone_dags import settings
from keystone_dags.alerts import on_task_failure

DEFAULT_RETRIES = 2


def default_args(execution_timeout: timedelta) -> dict[str, Any]:
    """Retries come from the `task_retries` setting (the local tests set 0 to fail fast), default 2."""
    return {
        "owner": "keystone-data-platform",
        "retries": int(settings.get("task_retries", str(DEFAULT_RETRIES)) or DEFAULT_RETRIES),
        "retry_delay": timedelta(seconds=30),
        "retry_exponential_backoff": True,
        "max_retry_delay": timedelta(minutes=10),
        "execution_timeout": execution_timeout,
        "on_failure_callback": on_task_failure,
    }
