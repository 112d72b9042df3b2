"""Fetch the Apache Kafka broker and Kafka Connect runtime jars from Maven Central, once per version.

Maven resolves localtwin/engines/kafka/pom.xml (through ~/.m2, so a warm local repository makes this offline)
and copies the jars into `.cache/kafka-<version>/libs`; a marker holding the pom's digest makes later calls
reuse the directory. The copy goes to a temporary directory first, so an interrupted fetch leaves nothing
half-done behind.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from connector.build import run_maven
from localtwin.engines.errors import FetchError, JavaNotFound

REPO_ROOT = Path(__file__).resolve().parents[2]
KAFKA_POM = Path(__file__).resolve().parent / "kafka" / "pom.xml"
KAFKA_VERSION = "4.4.0"
DEFAULT_CACHE = REPO_ROOT / ".cache"
_MARKER = ".complete"


def kafka_libs(version: str = KAFKA_VERSION, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """The directory holding the Kafka + Connect jars for `version`, fetching them first if needed."""

    def fill(staging: Path) -> Path:
        run_maven(
            KAFKA_POM,
            [
                "dependency:copy-dependencies", f"-Dkafka.version={version}", "-DincludeScope=runtime",
                f"-DoutputDirectory={staging / 'libs'}",
            ],
            f"fetch Apache Kafka {version} from Maven Central (check that the version exists and Maven Central is "
            "reachable)",
            FetchError,
        )  # fmt: skip
        return staging

    target = fetched_once(
        cache_dir / f"kafka-{version}",
        _stamp(version),
        fill,
        valid=lambda found: any(found.glob("libs/kafka_2.13-*.jar")),
    )
    return target / "libs"


def fetched_once(
    target: Path, stamp: str, fill: Callable[[Path], Path], valid: Callable[[Path], bool] = lambda _: True
) -> Path:
    """`target`, filled once per `stamp`: `fill(staging)` fetches into a temporary directory beside it and returns
    the directory to install, which gets a marker holding `stamp` and replaces `target`. A fetch cut short leaves
    nothing half-done; a later call with the same stamp (and `valid` content) returns at once."""
    marker = target / _MARKER
    if marker.is_file() and marker.read_text().strip() == stamp and valid(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        filled = fill(staging)
        (filled / _MARKER).write_text(stamp + "\n")
        shutil.rmtree(target, ignore_errors=True)
        filled.replace(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def java_binary() -> str:
    """The `java` to run engines with: $JAVA_HOME/bin/java, else the one on PATH; Kafka 4 needs Java 17+."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if java is None or not Path(java).exists():
        raise JavaNotFound(
            "Java was not found (JAVA_HOME unset and no java on PATH); Kafka 4 needs Java 17 or newer: "
            "apt-get install -y openjdk-17-jre-headless"
        )
    result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    version_line = (result.stderr or result.stdout).splitlines()[0] if (result.stderr or result.stdout) else ""
    major = _java_major(version_line)
    if major is None or major < 17:
        raise JavaNotFound(f"{java} is {version_line!r}; Kafka 4 needs Java 17 or newer (set JAVA_HOME to one)")
    return java


def _java_major(version_line: str) -> int | None:
    parts = version_line.split('"')
    if len(parts) < 2:
        return None
    version = parts[1]
    first = version.split(".")[0]
    if first == "1":  # Java 8 and older report 1.x
        first = version.split(".")[1]
    return int(first) if first.isdigit() else None


def _stamp(version: str) -> str:
    return f"{version} {hashlib.sha256(KAFKA_POM.read_bytes()).hexdigest()}"
