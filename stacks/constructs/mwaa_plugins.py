"""The plugins.zip MWAA unpacks into /usr/local/airflow/plugins: the wheels of the tools the DAGs run.

startup.sh builds one virtualenv per tool from these wheels with `pip install --no-index`, so a container start
reads no package index. Each tool's requirements file pins it (dags/requirements-<tool>.txt); with the mechanism
of python_lambda (uv, manylinux wheels only, transitive versions as of its resolution date) `uv pip compile`
resolves it for MWAA's platform into a hashed lock, and `pip download` fetches exactly those wheels (uv has no
download command). Wheels are cached in .build/mwaa-plugins/<tool>-<digest>, the zip in plugins-<digest>, keyed
by the requirements, the platform and the date: after the first synth, synthesis is offline and fast.

Layout inside plugins.zip, read by startup.sh: keystone-tools/<tool>/{requirements.txt,requirements.lock,wheels/}.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stacks.constructs.python_lambda import BUILD_DIR, RESOLUTION_DATE, uv_executable

TOOLS_DIR = "keystone-tools"
LOCK_FILE = "requirements.lock"
WHEELS_DIR = "wheels"
PLUGINS_FILE = "plugins.zip"
# startup.sh builds a virtualenv for each of these from dags/requirements-<tool>.txt.
TOOLS = ("dbt", "quality")
# MWAA on Airflow 3.0.6 runs CPython 3.12 on Amazon Linux 2023 (glibc 2.34), x86_64.
PYTHON_VERSION = "3.12"
_UV_PLATFORM = ("--python-platform", "x86_64-manylinux_2_28", "--python-version", PYTHON_VERSION)
# pip's --platform matches tags exactly; a manylinux_2_28 system also runs every older manylinux wheel (PEP 600).
_PIP_PLATFORMS = (
    *(f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)),
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
)
_CACHE = BUILD_DIR / "mwaa-plugins"
# Wheels are compressed already; fixed entry times make the same wheels give the same zip.
_ZIP_TIME = (2020, 1, 1, 0, 0, 0)


class PluginsBuildError(RuntimeError):
    """The tools' wheels could not be resolved or downloaded."""


@dataclass(frozen=True)
class PluginsBundle:
    folder: Path  # holds only plugins.zip: what a bucket deployment publishes
    digest: str

    @property
    def zip_file(self) -> Path:
        return self.folder / PLUGINS_FILE


def plugins_bundle(tools: Mapping[str, Path]) -> PluginsBundle:
    """plugins.zip with each tool's requirements, hashed lock and wheels (built once per digest)."""
    tool_dirs = {name: _tool_wheels(name, requirements) for name, requirements in sorted(tools.items())}
    digest = _digest(TOOLS_DIR, PLUGINS_FILE, *(f"{name}={directory.name}" for name, directory in tool_dirs.items()))
    target = _CACHE / f"plugins-{digest}"
    if not (target / ".complete").exists():
        shutil.rmtree(target, ignore_errors=True)
        (target / "bundle").mkdir(parents=True)
        with zipfile.ZipFile(target / "bundle" / PLUGINS_FILE, "w", zipfile.ZIP_STORED) as archive:
            for name, directory in tool_dirs.items():
                for path in sorted(p for p in directory.rglob("*") if p.is_file() and p.name != ".complete"):
                    entry = zipfile.ZipInfo(f"{TOOLS_DIR}/{name}/{path.relative_to(directory).as_posix()}", _ZIP_TIME)
                    archive.writestr(entry, path.read_bytes())
        (target / ".complete").touch()
    return PluginsBundle(target / "bundle", digest)


def _tool_wheels(name: str, requirements: Path) -> Path:
    target = _CACHE / f"{name}-{_digest(requirements.read_text(), *_UV_PLATFORM, *_PIP_PLATFORMS, RESOLUTION_DATE)}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copyfile(requirements, target / "requirements.txt")
    _run(
        f"resolving {requirements} for MWAA",
        [
            uv_executable(), "pip", "compile", "--quiet", "--no-header", "--generate-hashes", "--only-binary", ":all:",
            "--exclude-newer", RESOLUTION_DATE, *_UV_PLATFORM, "-o", str(target / LOCK_FILE), str(requirements),
        ],
    )  # fmt: skip
    platforms = [argument for platform in _PIP_PLATFORMS for argument in ("--platform", platform)]
    _run(
        f"downloading the wheels of {requirements} for MWAA",
        [
            sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check", "--no-deps",
            "--only-binary", ":all:", "--require-hashes", *platforms, "--python-version", PYTHON_VERSION,
            "--implementation", "cp", "--dest", str(target / WHEELS_DIR), "-r", str(target / LOCK_FILE),
        ],
    )  # fmt: skip
    (target / ".complete").touch()
    return target


def _run(what: str, command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise PluginsBuildError(f"{what} failed:\n{(result.stderr or result.stdout).strip()}")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]
