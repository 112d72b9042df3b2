"""The transform DAG's quality gate: which Bronze objects are new, the checkpoint over them, and the publication mark.

An object is new until `orchestration/validated/<bronze key>` exists under the artifacts location; the marks are
written only after dbt published the batch. A batch that fails its checkpoint is therefore checked again, and
fails again, on every run until the offending objects are fixed or removed: bad data never reaches Gold behind
the gate's back.

What a run lists stays the same size however long the environment has streamed. Streamed objects sit in the
partition of the hour the sink wrote them (`contracts.layout`), so once a batch is published, the time its listing
began is kept (`orchestration/published-through`): every streamed object written before it was listed then. The
next run lists only the hour partitions from `layout.STREAMING_LATE_OBJECT_MARGIN` before that time, and their
marks. Batch objects (one per CSV drop) are few, and are always listed whole.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from contracts import STREAMED_TABLES, layout
from keystone_dags import processes
from keystone_dags.settings import Settings
from keystone_dags.store import ArtifactStore
from quality import EXIT_FAILED_EXPECTATIONS

VALIDATED_PREFIX = "orchestration/validated"
PUBLISHED_THROUGH_KEY = "orchestration/published-through"
DOCS_PREFIX = "data-docs"
CHECKPOINT_TIMEOUT_S = 30 * 60
_DATA_SUFFIXES = (layout.BATCH_OBJECT_SUFFIX, layout.STREAMING_OBJECT_SUFFIX)


class QualityCheckFailed(RuntimeError):
    """The micro-batch broke an expectation; the message names the expectations, counts and objects."""


def new_bronze_objects(s3_hook: Any, bronze_bucket: str, state: ArtifactStore, listed_at: datetime) -> list[str]:
    """The data objects of Bronze not yet published; `listed_at`: now, before the listing starts (UTC).

    When there are none, everything written before `listed_at` is published, and that is recorded: a quiet stream
    does not widen the next run's listing.
    """
    prefixes = [*_stream_prefixes(state, listed_at), f"{layout.BATCH_PREFIX}/"]
    keys: list[str] = []
    validated: set[str] = set()
    for prefix in prefixes:
        keys += [k for k in s3_hook.list_keys(bronze_bucket, prefix=prefix) or [] if k.endswith(_DATA_SUFFIXES)]
        validated |= {key[len(VALIDATED_PREFIX) + 1 :] for key in state.list_keys(f"{VALIDATED_PREFIX}/{prefix}")}
    new = sorted(key for key in keys if key not in validated)
    if not new:
        _record_published_through(state, listed_at)
    return new


def _stream_prefixes(state: ArtifactStore, listed_at: datetime) -> list[str]:
    """Where streamed objects not yet published can be: every hour partition since the last publication's listing
    (less the margin), or all of the stream before the first one."""
    published_through = state.read_text(PUBLISHED_THROUGH_KEY)
    if published_through is None:
        return [f"{layout.STREAMING_PREFIX}/"]
    since = datetime.fromisoformat(published_through) - layout.STREAMING_LATE_OBJECT_MARGIN
    hour = since.replace(minute=0, second=0, microsecond=0)
    hours = []
    while hour <= listed_at:
        hours.append(layout.partition_path(layout.STREAMING_PARTITIONS, hour))
        hour += timedelta(hours=1)
    return [layout.streaming_table_prefix(table.topic) + path for table in STREAMED_TABLES for path in hours]


def run_checkpoint(config: Settings, keys: list[str], run_id: str, docs: ArtifactStore) -> str:
    """Run `python -m quality check` over `keys`; publish Data Docs whatever the outcome (their location is returned);
    raise if it failed."""
    docs_prefix = f"{DOCS_PREFIX}/{_safe(run_id)}"
    with tempfile.TemporaryDirectory(prefix="quality-") as work:
        work_dir = Path(work)
        (work_dir / "keys.json").write_text(json.dumps(keys))
        command = [
            config.quality_python, "-m", "quality", "check", "--bronze", f"s3://{config.bronze_bucket}",
            "--keys-file", str(work_dir / "keys.json"), "--docs-dir", str(work_dir / "docs"),
            "--run-name", run_id,
        ]  # fmt: skip
        if config.s3_endpoint:
            command += ["--s3-endpoint", config.s3_endpoint]
        env = {"PYTHONPATH": processes.project_pythonpath(), "GX_ANALYTICS_ENABLED": "false"}
        result = processes.run(
            command, "quality checkpoint", env, CHECKPOINT_TIMEOUT_S, ok_codes=(0, EXIT_FAILED_EXPECTATIONS)
        )
        docs_uri = docs.upload_tree(work_dir / "docs", docs_prefix) if (work_dir / "docs").is_dir() else ""
    if result.returncode == EXIT_FAILED_EXPECTATIONS:
        failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
        raise QualityCheckFailed(
            f"the Bronze micro-batch ({len(keys)} objects) broke {len(failed)} expectation(s); nothing is published. "
            f"Fix or remove the offending objects and re-run. Data Docs: {docs_uri}\n" + "\n".join(failed)
        )
    return docs_uri


def mark_validated(state: ArtifactStore, keys: list[str], run_id: str, listed_at: datetime) -> None:
    """Mark the batch listed at `listed_at` published: its objects, then the time its listing began."""
    for key in keys:
        state.write_text(f"{VALIDATED_PREFIX}/{key}", run_id)
    _record_published_through(state, listed_at)


def _record_published_through(state: ArtifactStore, listed_at: datetime) -> None:
    state.write_text(PUBLISHED_THROUGH_KEY, listed_at.isoformat())


def _safe(run_id: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in run_id)
