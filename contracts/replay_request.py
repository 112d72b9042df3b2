"""The producer function's request: the one shape the olist_replay DAG sends and the function accepts.

    {"source": "s3://<landing bucket>/replay/<set>/", "speed": "max" | "<N>x" | "<N>/s", "tables": [..] | null}

`source` is required; `speed` defaults to `max`, `tables` (null) to every streamed table. Both sides build a
`ReplayRequest`, so a request the DAG can send is one the function can read. A malformed request raises
`InvalidReplayRequest` naming the field: it is not transient, so the function is not retried on it.
Shipped with contracts/ to MWAA (the DAGs folder) and into the producer function's bundle.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any
from urllib.parse import urlparse

from contracts.layout import REPLAY_PREFIX
from contracts.olist import STREAMED_TABLES

STREAMED = tuple(table.name for table in STREAMED_TABLES)
# max, <N>x (times historical speed) or <N>/s (events per second); also the DAG's `speed` parameter pattern.
SPEED_PATTERN = r"^(max|\d+(\.\d+)?x|\d+(\.\d+)?/s)$"
DEFAULT_SPEED = "max"


class InvalidReplayRequest(ValueError):
    """The request cannot be replayed as given; the message names the field and what is wrong."""


def check_speed(speed: object) -> str:
    if not isinstance(speed, str) or not re.match(SPEED_PATTERN, speed):
        raise InvalidReplayRequest(
            f"speed {speed!r} is not max, <N>x (times historical speed) or <N>/s (events per second)"
        )
    return speed


def check_tables(tables: object) -> tuple[str, ...] | None:
    """None (every streamed table) or a non-empty list of streamed table names."""
    if tables is None:
        return None
    if isinstance(tables, str) or not isinstance(tables, Sequence) or not all(isinstance(t, str) for t in tables):
        raise InvalidReplayRequest(f"tables must be a list of table names or null, got {tables!r}")
    if not tables:
        raise InvalidReplayRequest("tables is empty; give null to replay every streamed table")
    unknown = sorted(set(tables) - set(STREAMED))
    if unknown:
        raise InvalidReplayRequest(f"tables {unknown} are not streamed; choose among {', '.join(STREAMED)}")
    return tuple(tables)


def check_source(source: object) -> str:
    if not isinstance(source, str):
        raise InvalidReplayRequest(f"source must be s3://<bucket>/<prefix>/ as a string, got {source!r}")
    parsed = urlparse(source)
    if parsed.scheme != "s3" or not parsed.netloc or not source.endswith("/"):
        raise InvalidReplayRequest(f"source must be s3://<bucket>/<prefix>/ (a folder), got {source!r}")
    if not parsed.path.lstrip("/").startswith(f"{REPLAY_PREFIX}/"):
        # The function may read nothing else (its role), and the batch ingestion skips only that prefix.
        raise InvalidReplayRequest(f"source must be under {REPLAY_PREFIX}/ in its bucket, got {source!r}")
    return source


@dataclass(frozen=True)
class ReplayRequest:
    source: str
    speed: str = DEFAULT_SPEED
    tables: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        check_source(self.source)
        check_speed(self.speed)
        object.__setattr__(self, "tables", check_tables(self.tables))

    @property
    def bucket(self) -> str:
        return urlparse(self.source).netloc

    @property
    def prefix(self) -> str:
        return urlparse(self.source).path.lstrip("/")

    @classmethod
    def from_payload(cls, payload: Any) -> ReplayRequest:
        """The request in a decoded Lambda event; raises InvalidReplayRequest naming what is wrong."""
        if not isinstance(payload, dict):
            raise InvalidReplayRequest(f"the request must be a JSON object with source, speed, tables; got {payload!r}")
        known = [field.name for field in fields(cls)]
        unknown = sorted(set(payload) - set(known))
        if unknown:
            names = ", ".join(repr(name) for name in unknown)
            raise InvalidReplayRequest(f"unknown field {names} in the request; it takes {', '.join(known)}")
        if "source" not in payload:
            raise InvalidReplayRequest(f"source is required: s3://<landing bucket>/{REPLAY_PREFIX}/<set>/")
        speed = payload.get("speed")
        return cls(
            source=payload["source"],
            speed=DEFAULT_SPEED if speed is None else speed,
            tables=payload.get("tables"),
        )

    def to_payload(self) -> bytes:
        tables = list(self.tables) if self.tables is not None else None
        return json.dumps({"source": self.source, "speed": self.speed, "tables": tables}).encode()

    @property
    def streamed_tables(self) -> list[str]:
        return list(self.tables or STREAMED)
