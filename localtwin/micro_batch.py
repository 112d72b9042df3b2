"""A streaming micro-batch: `dbt build` of what the new Bronze objects feed (dbt_project/selectors.yml), skipped
when Bronze holds nothing new since the last build, as the transform DAG's `select_micro_batch` skips its run in the
cloud.

What Bronze holds is its listing, (key, ETag or size) per object: the sink only adds objects or rewrites one
under its key, and the batch ingestion writes a new object per file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from contracts import layout

MICRO_BATCH_SELECTOR = "micro_batch"
# Only the sink wrote: the models downstream of the streamed tables, the file-only tables' Silver is as it was.
STREAM_MICRO_BATCH_SELECTOR = "stream_micro_batch"

Listing = frozenset[tuple[str, str]]


class BronzeWatermark:
    """The Bronze listing taken before the last build; a build runs only when Bronze lists something else."""

    def __init__(self, list_bronze: Callable[[], Listing]) -> None:
        self.list_bronze = list_bronze
        self.built: Listing | None = None

    def build_if_new(self, build: Callable[[Listing], object]) -> bool:
        """Run `build` with the objects Bronze gained or rewrote since the last build (all of them the first
        time); True if it ran. The listing is taken first, so what lands during the build is new to the next call."""
        listing = self.list_bronze()
        if listing == self.built:
            return False
        build(listing - (self.built or frozenset()))
        self.built = listing
        return True


def micro_batch_selector(changed: Listing) -> str:
    """The selector that rebuilds what `changed` (new or rewritten Bronze objects) feeds."""
    streamed = all(key.startswith(f"{layout.STREAMING_PREFIX}/") for key, _ in changed)
    return STREAM_MICRO_BATCH_SELECTOR if changed and streamed else MICRO_BATCH_SELECTOR


def s3_listing(s3: Any, bucket: str) -> Callable[[], Listing]:
    def listing() -> Listing:
        pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return frozenset((item["Key"], item["ETag"]) for page in pages for item in page.get("Contents", []))

    return listing


def local_listing(root: Path) -> Callable[[], Listing]:
    def listing() -> Listing:
        return frozenset(
            (str(path.relative_to(root)), str(path.stat().st_size)) for path in root.rglob("*") if path.is_file()
        )

    return listing
