"""Fetch the Trino server tar.gz from Maven Central through ~/.m2 and unpack it once into `.cache/`.

A marker holding the version makes later calls reuse the directory; the unpack goes to a temporary directory
first, so an interrupted fetch leaves nothing half-done behind. Python unpacks it, not Maven: the archive's
plugins hard-link their jars to lib/, and `dependency:unpack` writes those links as empty files.
"""

from __future__ import annotations

import tarfile
from pathlib import Path

from connector.build import run_maven
from localtwin.engines.errors import FetchError
from localtwin.engines.fetch import DEFAULT_CACHE, fetched_once

TRINO_POM = Path(__file__).resolve().parent / "trino" / "pom.xml"
TRINO_VERSION = "476"


def trino_home(version: str = TRINO_VERSION, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """The unpacked `trino-server-<version>` directory (holding bin/launcher), fetching it first if needed."""

    def fill(staging: Path) -> Path:
        run_maven(
            TRINO_POM,
            ["dependency:copy", f"-Dartifact=io.trino:trino-server:{version}:tar.gz", f"-DoutputDirectory={staging}"],
            f"fetch Trino {version} from Maven Central (check that the version exists and Maven Central is reachable)",
            FetchError,
        )
        archive = staging / f"trino-server-{version}.tar.gz"
        with tarfile.open(archive) as tar:
            tar.extractall(staging, filter="data")
        archive.unlink()
        unpacked = staging / f"trino-server-{version}"
        if not (unpacked / "bin" / "launcher").is_file():
            raise FetchError(f"the Trino {version} tar.gz did not unpack to {unpacked.name}/bin/launcher")
        return unpacked

    return fetched_once(cache_dir / f"trino-server-{version}", version, fill)
