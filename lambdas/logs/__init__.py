"""The Lambdas' structured logs: aws-lambda-powertools' Logger, one JSON object per line on stderr.

Each line holds `level`, `location`, `message` (the event name, e.g. `file_ingested`), `timestamp` (UTC, RFC 3339),
`service` and the fields logged with it; in Lambda, `@logger.inject_lambda_context` adds the function's
`function_request_id`, `cold_start` and a `correlation_id` taken from the event. The same logger serves the
command lines (the ingestion CLI, the local twin), where the Lambda keys are simply absent.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

from aws_lambda_powertools import Logger

_redirected: TextIO | None = None


class _CurrentStderr(logging.StreamHandler):
    """Writes to whatever `sys.stderr` is at the time (the CLI, the Lambda runtime and pytest each swap it), or to
    the file of an enclosing `written_to`."""

    @property
    def stream(self):  # type: ignore[override]
        return _redirected or sys.stderr

    @stream.setter
    def stream(self, _stream: object) -> None:
        """`StreamHandler` sets the stream it was given; the current one is always used instead."""


@contextmanager
def written_to(path: Path) -> Iterator[Path]:
    """Every logger of this module appends to `path` instead of stderr inside the block: the local twin keeps its
    console for people and puts the JSON lines in its run folder."""
    global _redirected
    previous = _redirected
    with path.open("a", encoding="utf-8") as log:
        _redirected = log
        try:
            yield path
        finally:
            _redirected = previous


def json_logger(service: str) -> Logger:
    return Logger(service=service, logger_handler=_CurrentStderr(), utc=True, use_rfc3339=True)
