"""Build the S3 sink plugin zip for MSK Connect (and the local Connect worker) reproducibly from Maven Central.

`python -m connector.build` compiles connector/plugin with Maven (pinned plugins, fixed outputTimestamp), then
zips the plugin jar and its runtime dependencies with sorted entries, a fixed timestamp and fixed permissions,
stored uncompressed (jars are compressed already, and this keeps the bytes independent of the zlib version).
Same inputs give the same zip, byte for byte. The CDK stack ships the zip as an asset.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
PLUGIN_SOURCE = REPO_ROOT / "connector" / "plugin"
DEFAULT_OUTPUT = REPO_ROOT / ".build" / "connector"
PLUGIN_NAME = "nexus-s3-sink"
PLUGIN_VERSION = "1.0.0"
ZIP_TIMESTAMP = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100644
_INPUTS_MARKER = "inputs.sha256"


class PluginBuildError(RuntimeError):
    """The plugin could not be built."""


@dataclass(frozen=True)
class PluginArtifact:
    zip_path: Path
    sha256: str
    jars: tuple[str, ...]


def build_plugin(output_dir: Path = DEFAULT_OUTPUT, *, force: bool = False) -> PluginArtifact:
    """Build (or reuse, when its inputs are unchanged) the plugin zip under `output_dir`."""
    zip_path = output_dir / f"{PLUGIN_NAME}-{PLUGIN_VERSION}.zip"
    inputs = inputs_digest()
    marker = output_dir / _INPUTS_MARKER
    if not force and zip_path.is_file() and marker.is_file() and marker.read_text().strip() == inputs:
        return _artifact(zip_path)
    maven_dir = output_dir / "maven"
    shutil.rmtree(maven_dir, ignore_errors=True)
    run_maven(
        PLUGIN_SOURCE / "pom.xml",
        [f"-Dbuild.root={output_dir}", "package"],
        "build the connector plugin",
        PluginBuildError,
    )
    jars = [maven_dir / f"{PLUGIN_NAME}-{PLUGIN_VERSION}.jar", *sorted((maven_dir / "libs").glob("*.jar"))]
    missing = [str(jar) for jar in jars if not jar.is_file()]
    if missing:
        raise PluginBuildError(f"Maven finished but did not produce {missing}; see the Maven output above")
    write_deterministic_zip(zip_path, {f"{PLUGIN_NAME}-{PLUGIN_VERSION}/lib/{jar.name}": jar for jar in jars})
    marker.write_text(inputs + "\n")
    return _artifact(zip_path)


def inputs_digest() -> str:
    """A digest of everything the plugin is built from (pom and sources)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in PLUGIN_SOURCE.rglob("*") if p.is_file()):
        digest.update(path.relative_to(PLUGIN_SOURCE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def write_deterministic_zip(zip_path: Path, entries: dict[str, Path], compression: int = zipfile.ZIP_STORED) -> None:
    """The same entries give the same bytes: sorted names, fixed times and modes (jars are compressed already;
    Lambda layers are deflated at level 1, a tenth larger than level 6 and three times faster to build)."""
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    partial = zip_path.with_suffix(".zip.partial")
    with zipfile.ZipFile(partial, "w", compression=compression) as archive:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIMESTAMP)
            info.external_attr = ZIP_FILE_MODE << 16
            info.create_system = 3  # Unix, so the permission bits are read the same everywhere.
            info.compress_type = compression
            archive.writestr(info, entries[name].read_bytes(), compresslevel=1)
    partial.replace(zip_path)
    zip_path.with_name(zip_path.name + ".sha256").write_text(f"{sha256_of(zip_path)}  {zip_path.name}\n")


def install_plugin(artifact: PluginArtifact, plugin_path: Path) -> Path:
    """Unpack the zip into a Connect `plugin.path` directory: the local worker runs the bytes MSK Connect gets."""
    target = plugin_path / PLUGIN_NAME
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    with zipfile.ZipFile(artifact.zip_path) as archive:
        archive.extractall(target)
    return target


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _artifact(zip_path: Path) -> PluginArtifact:
    with zipfile.ZipFile(zip_path) as archive:
        jars = tuple(Path(name).name for name in archive.namelist())
    return PluginArtifact(zip_path=zip_path, sha256=sha256_of(zip_path), jars=jars)


def run_maven(pom: Path, arguments: list[str], what: str, error: type[Exception]) -> None:
    """Run Maven quietly on `pom`; when it is missing or fails, raise `error` saying it could not do `what`, with the
    last 40 lines of Maven's output."""
    mvn = shutil.which("mvn")
    if mvn is None:
        raise error(f"Maven (mvn) is not on PATH, needed to {what}; install it (apt-get install -y maven) and Java 17")
    command = [mvn, "-B", "-q", "-f", str(pom), *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise error(f"Maven could not {what} ({' '.join(command)}):\n{tail}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m connector.build", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="build directory (.build/connector)")
    parser.add_argument("--force", action="store_true", help="rebuild even when the inputs are unchanged")
    args = parser.parse_args(argv)
    try:
        artifact = build_plugin(args.output.resolve(), force=args.force)
    except PluginBuildError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{artifact.sha256}  {artifact.zip_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
