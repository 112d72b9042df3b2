"""Build the ingestion Lambda's deployment zip, deterministically and without Docker.

    python -m lambdas.ingestion.build [--out .build/lambda/ingestion.zip]

The zip holds `handler.py` (the entry point `handler.handler`, re-exporting `lambdas.ingestion.handler.handler`),
the `contracts` and `lambdas.ingestion` packages, and the dependencies of `requirements.txt` (pyarrow, numpy,
tenacity) installed for the Lambda platform from wheels: `uv pip install --python-platform x86_64-manylinux_2_28
--python-version 3.12 --only-binary :all: --target ...` (or pip's `--platform manylinux_2_28_x86_64` equivalent).
boto3 is not bundled: the Lambda Python runtime provides it.

Why vendor the wheels instead of the AWS SDK for pandas layer
(`arn:aws:lambda:<region>:336392948345:layer:AWSSDKPandas-Python312:<version>`):
- the deployed pyarrow is exactly the pinned one the tests run (the layer ships whatever awswrangler pins and
  changes with each layer version, whose number differs per region);
- no dependency on a third-party layer's lifecycle, account id and regional availability;
- it fits: ~165 MB unzipped after dropping pyarrow's headers, tests and Flight (not imported), under the
  250 MB limit.
The cost is a ~50 MB asset uploaded through the CDK asset bucket, and the runtime: pyarrow 21 publishes only
manylinux_2_28 wheels (glibc 2.28), so the function must run on `python3.12` (Amazon Linux 2023); the
`python3.11` runtime (Amazon Linux 2, glibc 2.26) cannot load them. The code itself targets Python 3.11+.

Determinism: files are added in sorted order with a fixed timestamp and permissions, and no bytecode is
compiled, so the same sources and wheels give the same zip bytes (and CDK sees an unchanged asset hash).
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_OUT = REPO_ROOT / ".build" / "lambda" / "ingestion.zip"
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORM = "x86_64-manylinux_2_28"
HANDLER = "handler.handler"
# Lambda's limit for a function's unzipped code and layers.
MAX_UNZIPPED_BYTES = 250 * 2**20
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_HANDLER_SHIM = '''"""Lambda entry point: `handler.handler` (see lambdas/ingestion/handler.py)."""

from lambdas.ingestion.handler import handler

__all__ = ["handler"]
'''
# Parts of the wheels the function never loads: C++ headers, Cython sources, test suites, Arrow Flight.
_TRIMMED_DIRS = ("bin", "pyarrow/include", "pyarrow/src", "pyarrow/tests", "numpy/_core/include", "numpy/f2py")
_TRIMMED_SUFFIXES = (".pyx", ".pxd", ".pxi", ".h", ".hpp")
_TRIMMED_PREFIXES = ("pyarrow/libarrow_flight", "pyarrow/_flight")
_CODE_EXCLUDED = {"build.py"}


@dataclass(frozen=True)
class LambdaArtifact:
    path: Path
    sha256: str
    unzipped_bytes: int
    handler: str = HANDLER
    runtime: str = f"python{LAMBDA_PYTHON}"


def build(out: Path = DEFAULT_OUT) -> LambdaArtifact:
    staging = out.parent / (out.stem + "-staging")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    _install_dependencies(staging)
    _trim(staging)
    _copy_code(staging)
    (staging / "handler.py").write_text(_HANDLER_SHIM)
    unzipped = sum(path.stat().st_size for path in staging.rglob("*") if path.is_file())
    if unzipped > MAX_UNZIPPED_BYTES:
        raise RuntimeError(f"the function unzips to {unzipped:,} bytes, over Lambda's {MAX_UNZIPPED_BYTES:,}")
    _zip(staging, out)
    shutil.rmtree(staging)
    return LambdaArtifact(out, hashlib.sha256(out.read_bytes()).hexdigest(), unzipped)


def _install_dependencies(target: Path) -> None:
    requirements = PACKAGE_DIR / "requirements.txt"
    uv = shutil.which("uv")
    if uv:
        command = [
            uv, "pip", "install", "--quiet", "--target", str(target), "--python-platform", LAMBDA_PLATFORM,
            "--python-version", LAMBDA_PYTHON, "--only-binary", ":all:", "-r", str(requirements),
        ]  # fmt: skip
    else:
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target),
            "--platform", LAMBDA_PLATFORM.replace("x86_64-", "") + "_x86_64", "--implementation", "cp",
            "--python-version", LAMBDA_PYTHON, "--only-binary=:all:", "-r", str(requirements),
        ]  # fmt: skip
    subprocess.run(command, check=True)


def _trim(staging: Path) -> None:
    for relative in _TRIMMED_DIRS:
        shutil.rmtree(staging / relative, ignore_errors=True)
    for path in list(staging.rglob("*")):
        relative = path.relative_to(staging).as_posix()
        if path.is_file() and (relative.endswith(_TRIMMED_SUFFIXES) or relative.startswith(_TRIMMED_PREFIXES)):
            path.unlink()
        elif path.is_dir() and path.name == "__pycache__":
            shutil.rmtree(path)


def _copy_code(staging: Path) -> None:
    for source in _code_files():
        target = staging / source.relative_to(REPO_ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def _code_files() -> Iterator[Path]:
    yield from sorted((REPO_ROOT / "contracts").glob("*.py"))
    yield from sorted(p for p in PACKAGE_DIR.glob("*.py") if p.name not in _CODE_EXCLUDED)


def _zip(staging: Path, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for path in sorted(p for p in staging.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(staging).as_posix(), date_time=_FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=6)
    partial.replace(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lambdas.ingestion.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    artifact = build(parser.parse_args(argv).out)
    print(f"{artifact.path}  sha256={artifact.sha256}  unzipped={artifact.unzipped_bytes:,} bytes")
    print(f"runtime={artifact.runtime}  handler={artifact.handler}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
