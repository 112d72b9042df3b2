"""The Lambdas' structured logs: aws-lambda-powertools' Logger, one JSON object per line on stderr.

Each line holds `level`, `location`, `message` (the event name, e.g. `file_ingested`), `timestamp` (UTC, RFC 3339),
`service` and the fields logged with it; in Lambda, `@logger.inject_lambda_context` adds the function's
`function_request_id`, `cold_start` and a `correlation_id` taken from the event. The same logger serves the
command lines (the ingestion CLI, the local twin), where the Lambda keys are simply absent.
"""

from __future__ import annotations

import logging
import sys

from aws_lambda_powertools import Logger


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (the CLI, the Lambda runtime and pytest each swap it)."""

    @property
    def stream(self):  # type: ignore[override]
        return sys.stderr

    @stream.setter
    def stream(self, _stream: object) -> None:
        """`StreamHandler` sets the stream it was given; the current one is always used instead."""


def json_logger(service: str) -> Logger:
    return Logger(service=service, logger_handler=_CurrentStderr(), utc=True, use_rfc3339=True)
