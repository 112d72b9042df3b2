"""Structured logs: one JSON object per line on stderr, for CloudWatch Logs Insights and local runs alike."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

_LOGGER_NAME = "olist_ingestion"


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "event": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class _StderrHandler(logging.Handler):
    """Writes to whatever `sys.stderr` is at the time (the CLI, the Lambda runtime and pytest each swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:
            self.handleError(record)


def _logger() -> logging.Logger:
    logger = logging.getLogger(_LOGGER_NAME)
    if not logger.handlers:
        handler = _StderrHandler()
        handler.setFormatter(_JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        # The Lambda runtime puts its own plain-text handler on the root logger.
        logger.propagate = False
    return logger


def set_level(level: str) -> None:
    _logger().setLevel(level.upper())


def log(event: str, level: int = logging.INFO, **fields: object) -> None:
    """Log `event` with `fields` as one JSON line."""
    _logger().log(level, event, extra={"fields": fields})


def log_exception(event: str, **fields: object) -> None:
    _logger().error(event, exc_info=True, extra={"fields": fields})
