"""The run's input: generated Olist CSVs by default, or the original-format files of a directory.

A directory's files get the batch ingestion's verdict (`lambdas.ingestion.routing.file_verdict`): Olist files, plain
or gzipped, are taken (gzipped ones decompressed into the run folder, within the same bound as the ingestion's);
a file meant as data that cannot be taken (a misspelt name, an archive, another format) stops the run before
anything starts, and so does a directory with none of the 9 files. Others (a README) are listed and left alone.
"""

from __future__ import annotations

import shutil
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from contracts import TABLES
from datagen.generator import GeneratorConfig, generate
from lambdas.ingestion.compression import GzipSource, stream_problem
from lambdas.ingestion.routing import Skip, Take, folder_verdicts
from lambdas.ingestion.storage import LocalSource


@dataclass(frozen=True)
class SourceFiles:
    directory: Path
    files: dict[str, Path]  # table name -> file
    origin: str

    @property
    def streamed(self) -> list[str]:
        return [name for name in self.files if TABLES[name].topic]

    @property
    def batch(self) -> list[str]:
        return [name for name in self.files if not TABLES[name].topic]


class NoOlistFiles(ValueError):
    """DATA_DIR cannot be used: none of the 9 Olist files, or a file meant as data that cannot be read."""


@dataclass(frozen=True)
class FoundSources:
    taken: dict[str, tuple[Path, bool]]  # table name -> (file, gzipped)
    skipped: dict[Path, str]  # file -> why it is left alone


def find_sources(data_dir: Path) -> FoundSources:
    """The Olist files of `data_dir` (top level only, one per table); raises `NoOlistFiles` saying why not."""
    taken: dict[str, tuple[Path, bool]] = {}
    skipped: dict[Path, str] = {}
    for entry in folder_verdicts(data_dir, table_folders=False):
        verdict = entry.verdict
        if isinstance(verdict, Skip):
            skipped[entry.path] = verdict.reason
        elif not isinstance(verdict, Take):
            raise NoOlistFiles(f"{entry.path.name}: {verdict}")
        elif verdict.table.name in taken:
            first = taken[verdict.table.name][0].name
            raise NoOlistFiles(f"{entry.path.name}: a second file of table {verdict.table.name!r} (first: {first})")
        else:
            taken[verdict.table.name] = (entry.path, verdict.gzip)
    if not taken:
        expected = ", ".join(sorted(table.file_name for table in TABLES.values()))
        found = "; ".join(f"{path.name}: {reason}" for path, reason in skipped.items()) or "an empty folder"
        raise NoOlistFiles(f"holds none of the 9 Olist files ({expected}, or gzipped .csv.gz); found {found}")
    return FoundSources(taken, skipped)


def prepare_sources(data_dir: Path | None, orders: int, seed: int, run_dir: Path) -> SourceFiles:
    """Generate `orders` orders into the run folder, or take the Olist files found in `data_dir` (any subset)."""
    target = run_dir / "source"
    target.mkdir(parents=True, exist_ok=True)
    if data_dir is None:
        files = generate(GeneratorConfig(orders=orders, seed=seed), target)
        return SourceFiles(target, files, f"generated: {orders} orders, seed {seed}")
    found = find_sources(data_dir)
    for path, reason in found.skipped.items():
        print(f"  {path}: not read: {reason}", flush=True)
    files = {}
    for name, (path, gzipped) in found.taken.items():
        files[name] = target / TABLES[name].file_name
        if gzipped:
            _gunzip(path, files[name])
        else:
            shutil.copyfile(path, files[name])
    return SourceFiles(target, files, f"{data_dir} ({len(files)} of {len(TABLES)} files)")


def _gunzip(path: Path, target: Path) -> None:
    source = GzipSource(LocalSource(path, path.name))
    with closing(source.open()) as stream, open(target, "wb") as out:
        shutil.copyfileobj(stream, out, 4 * 2**20)
        problem = stream_problem(stream)
    if problem is not None:
        raise NoOlistFiles(f"{path.name}: {problem.reason}")
