"""The manifest of one ingested file (`manifests/<table>/<sha256>.json`), written last: it commits the file.

A manifest's presence is what makes ingestion idempotent: the same bytes arriving again, under any key, are
recognised by their sha256 and load nothing new.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

LOADED = "loaded"
REJECTED = "rejected"


@dataclass(frozen=True)
class FileError:
    kind: str
    reason: str
    line: int | None = None


@dataclass(frozen=True)
class Manifest:
    table: str
    status: Literal["loaded", "rejected"]
    source_key: str
    source_uri: str
    source_sha256: str
    source_bytes: int
    ingest_date: str
    ingested_at: str
    parser: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int
    output_key: str | None = None
    output_sha256: str | None = None
    output_bytes: int | None = None
    quarantine_key: str | None = None
    quarantine_sha256: str | None = None
    rejected_copy_key: str | None = None
    error: FileError | None = None
    format_version: int = field(default=1)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Manifest:
        error = document.get("error")
        return cls(**{**document, "error": FileError(**error) if error else None})
