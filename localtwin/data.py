"""The run's input: generated Olist CSVs by default, or the original-format files of a directory."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from contracts import TABLES
from datagen.generator import GeneratorConfig, generate


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


class NoOlistFiles(FileNotFoundError):
    """DATA_DIR holds none of the 9 Olist files."""


def prepare_sources(data_dir: Path | None, orders: int, seed: int, run_dir: Path) -> SourceFiles:
    """Generate `orders` orders into the run folder, or take the Olist files found in `data_dir` (any subset)."""
    target = run_dir / "source"
    target.mkdir(parents=True, exist_ok=True)
    if data_dir is None:
        files = generate(GeneratorConfig(orders=orders, seed=seed), target)
        return SourceFiles(target, files, f"generated: {orders} orders, seed {seed}")
    if not data_dir.is_dir():
        raise NotADirectoryError(f"DATA_DIR={data_dir} is not a directory")
    files = {}
    for name, table in TABLES.items():
        path = data_dir / table.file_name
        if path.is_file():
            files[name] = target / table.file_name
            shutil.copyfile(path, files[name])
    if not files:
        expected = ", ".join(sorted(table.file_name for table in TABLES.values()))
        raise NoOlistFiles(f"DATA_DIR={data_dir} holds none of the Olist files ({expected})")
    return SourceFiles(target, files, f"{data_dir} ({len(files)} of {len(TABLES)} files)")
