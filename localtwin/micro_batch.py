"""A streaming micro-batch: `dbt build --selector micro_batch` (dbt_project/selectors.yml), skipped when Bronze
holds nothing new since the last build, as the transform DAG's `select_micro_batch` skips its run in the cloud.

What Bronze holds is its listing, (key, ETag or size) per object: the sink only adds objects or rewrites one
under its key, and the batch ingestion writes a new object per file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

MICRO_BATCH_SELECTOR = "micro_batch"

Listing = frozenset[tuple[str, str]]


class BronzeWatermark:
    """The Bronze listing taken before the last build; a build runs only when Bronze lists something else."""

    def __init__(self, list_bronze: Callable[[], Listing]) -> None:
        self.list_bronze = list_bronze
        self.built: Listing | None = None

    def build_if_new(self, build: Callable[[], object]) -> bool:
        """Run `build` if Bronze changed since the last one; True if it ran. The listing is taken first, so what
        lands during the build is new to the next call."""
        listing = self.list_bronze()
        if listing == self.built:
            return False
        build()
        self.built = listing
        return True


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
