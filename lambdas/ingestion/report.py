"""What an ingestion run did, per file and per table: the object the CLI prints and the local pipeline reads."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from lambdas.ingestion.manifest import LOADED, Manifest


@dataclass(frozen=True)
class FileResult:
    manifest: Manifest
    manifest_key: str
    # True when the same bytes were ingested before (the manifest existed): nothing was written this time.
    skipped: bool

    @property
    def ok(self) -> bool:
        return self.manifest.status == LOADED


@dataclass(frozen=True)
class FileFailure:
    """A file that could not even be attempted (`routing.Refused`: unknown table, not a CSV) or failed unexpectedly."""

    source: str
    error: str


@dataclass(frozen=True)
class Skipped:
    """A file left alone because it is not data (a README, a folder marker), with the reason."""

    source: str
    reason: str


@dataclass(frozen=True)
class TableSummary:
    table: str
    files: int = 0
    skipped_files: int = 0
    rejected_files: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass
class IngestionReport:
    results: list[FileResult] = field(default_factory=list)
    failures: list[FileFailure] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No file-level error: every file was loaded (rows may still have been quarantined)."""
        return not self.failures and all(result.ok for result in self.results)

    def by_table(self) -> dict[str, TableSummary]:
        totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for result in self.results:
            manifest = result.manifest
            table = totals[manifest.table]
            table["files"] += 1
            table["skipped_files"] += result.skipped
            table["rejected_files"] += not result.ok
            table["rows_read"] += manifest.rows_read
            table["rows_loaded"] += manifest.rows_loaded
            table["rows_quarantined"] += manifest.rows_quarantined
        return {name: TableSummary(name, **counts) for name, counts in sorted(totals.items())}

    def render(self) -> str:
        header = f"{'table':<36} {'files':>5} {'skipped':>7} {'rejected':>8} "
        header += f"{'read':>10} {'loaded':>10} {'quarantined':>11}"
        lines = [header, "-" * len(header)]
        for s in self.by_table().values():
            lines.append(
                f"{s.table:<36} {s.files:>5} {s.skipped_files:>7} {s.rejected_files:>8} "
                f"{s.rows_read:>10} {s.rows_loaded:>10} {s.rows_quarantined:>11}"
            )
        for result in self.results:
            if not result.ok and result.manifest.error:
                lines.append(f"REJECTED {result.manifest.source_key}: {result.manifest.error.reason}")
        lines.extend(f"FAILED {failure.source}: {failure.error}" for failure in self.failures)
        lines.extend(f"{skipped.source}: not read: {skipped.reason}" for skipped in self.skipped)
        return "\n".join(lines)
