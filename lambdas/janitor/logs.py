"""Structured logs: one JSON object per line, for CloudWatch Logs Insights."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime


def log(event: str, *, level: str = "INFO", **fields: object) -> None:
    entry = {"time": datetime.now(UTC).isoformat(timespec="milliseconds"), "level": level, "event": event, **fields}
    print(json.dumps(entry, default=str), file=sys.stderr, flush=True)
