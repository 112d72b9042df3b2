"""The versitygw S3 server binary: built once per version with `go install` into `.cache/bin/versitygw-<version>`.

`go install` fetches the module from the Go module proxy (the Go module cache makes later builds offline); the
binary goes to a temporary GOBIN first, so an interrupted build leaves nothing half-done behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from localtwin.engines.errors import FetchError
from localtwin.engines.fetch import DEFAULT_CACHE

VERSITYGW_VERSION = "v1.8.0"
_MODULE = "github.com/versity/versitygw/cmd/versitygw"


def versitygw_binary(version: str = VERSITYGW_VERSION, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """The versitygw binary for `version`, building it first if it is not cached."""
    target = cache_dir / "bin" / f"versitygw-{version}"
    if target.is_file():
        return target
    go = shutil.which("go")
    if go is None:
        raise FetchError(f"Go was not found on PATH; it builds the S3 server (go install {_MODULE}@{version})")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".versitygw-", dir=target.parent) as gobin:
        result = subprocess.run(
            [go, "install", f"{_MODULE}@{version}"],
            env={**os.environ, "GOBIN": gobin},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise FetchError(f"go install {_MODULE}@{version} failed:\n{result.stderr[-4000:]}")
        (Path(gobin) / "versitygw").replace(target)
    return target
