"""What dbt's `local` target (DuckDB) needs from its caller: the httpfs extension laid out offline, and the env.

DuckDB looks for `<extension_directory>/v<version>/<platform>/httpfs.duckdb_extension`; the
`duckdb-extension-httpfs` wheel ships the file without the platform level, and `INSTALL httpfs` would try the
internet. `prepare_extension_directory` links the wheel's file into that layout; the profile reads the directory
from KEYSTONE_DUCKDB_EXTENSION_DIR.

    python -m dbt_project.scripts.local_target .cache/duckdb_extensions   # prints the absolute directory
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import duckdb
import duckdb_extension_httpfs

EXTENSION_FILE = "httpfs.duckdb_extension"


def wheel_extension_file() -> Path:
    path = Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}" / EXTENSION_FILE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing: duckdb-extension-httpfs must have the same version as duckdb ({duckdb.__version__}); "
            "reinstall both from requirements-dev.txt"
        )
    return path


def prepare_extension_directory(directory: Path) -> Path:
    """Make `directory` a DuckDB extension directory holding httpfs; returns it as an absolute path."""
    directory = directory.resolve()
    platform = duckdb.execute("pragma platform").fetchone()[0]  # type: ignore[index]
    target = directory / f"v{duckdb.__version__}" / platform / EXTENSION_FILE
    source = wheel_extension_file()
    if target.is_symlink() and target.resolve() == source.resolve():
        return directory
    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    target.symlink_to(source)
    return directory


@dataclass(frozen=True)
class LocalTarget:
    """Where the local target reads Bronze and writes Silver/Gold."""

    name: ClassVar[str] = "local"
    selector: ClassVar[str | None] = None
    bronze_root: str  # a directory, or s3://<bucket> on the server at s3_endpoint
    duckdb_path: Path
    extension_dir: Path
    s3_endpoint: str | None = None  # http://host:port of the S3-compatible server

    def environment(self) -> dict[str, str]:
        """KEYSTONE_* variables for a dbt subprocess (add AWS_* credentials for the S3 server yourself)."""
        env = {
            "KEYSTONE_DBT_TARGET": self.name,
            "KEYSTONE_BRONZE_ROOT": self.bronze_root,
            "KEYSTONE_DUCKDB_PATH": str(self.duckdb_path.resolve()),
            "KEYSTONE_DUCKDB_EXTENSION_DIR": str(prepare_extension_directory(self.extension_dir)),
        }
        if self.s3_endpoint:
            env["KEYSTONE_S3_ENDPOINT"] = self.s3_endpoint
        return env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", type=Path, help="extension directory to create or refresh")
    args = parser.parse_args(argv)
    print(prepare_extension_directory(args.directory))
    return 0


if __name__ == "__main__":
    sys.exit(main())
