"""When the transform DAG runs the full-scan tests (dbt_project/selectors.yml `full_scan_tests`): on the first run,
and then on the first run of each UTC day, not on every micro-batch.

A day is done once `orchestration/full-scan/<YYYY-MM-DD>` exists under the artifacts location; the mark is written
only after the tests passed, so a failing day keeps running them on every run until they pass.
"""

from __future__ import annotations

from datetime import datetime

from keystone_dags.store import ArtifactStore

FULL_SCAN_PREFIX = "orchestration/full-scan"
FULL_SCAN_SELECTOR = "full_scan_tests"


def full_scan_due(state: ArtifactStore, now: datetime) -> bool:
    return _key(now) not in state.list_keys(f"{FULL_SCAN_PREFIX}/")


def mark_full_scan(state: ArtifactStore, now: datetime, run_id: str) -> None:
    state.write_text(_key(now), run_id)


def _key(now: datetime) -> str:
    return f"{FULL_SCAN_PREFIX}/{now.date().isoformat()}"
