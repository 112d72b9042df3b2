"""The Lambda zip: deterministic, within Lambda's size limit, and working on the Lambda's Python (3.12)."""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest

from lambdas.ingestion.build import HANDLER, MAX_UNZIPPED_BYTES, LambdaArtifact, build

pytestmark = pytest.mark.slow

# The packages the Lambda runtime provides (boto3 and its pure-Python dependencies), borrowed from this venv.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory: pytest.TempPathFactory) -> LambdaArtifact:
    if not shutil.which("uv"):
        pytest.skip("uv is needed to install the Lambda's wheels for its platform")
    return build(tmp_path_factory.mktemp("lambda") / "ingestion.zip")


def python312() -> str | None:
    candidates = [os.environ.get("PYTHON312"), shutil.which("python3.12")]
    candidates += [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "import sys"], capture_output=True).returncode == 0:
            return candidate
    return None


def test_zip_is_deterministic_and_fits(artifact: LambdaArtifact, tmp_path: Path) -> None:
    assert build(tmp_path / "again.zip").sha256 == artifact.sha256
    assert artifact.unzipped_bytes < MAX_UNZIPPED_BYTES
    names = set(zipfile.ZipFile(artifact.path).namelist())
    assert {"handler.py", "contracts/olist.py", "contracts/validation.py", "lambdas/ingestion/handler.py"} <= names
    assert "pyarrow/parquet/core.py" in names and "tenacity/__init__.py" in names
    assert "lambdas/ingestion/build.py" not in names and not any("__pycache__" in n for n in names)
    assert HANDLER == "handler.handler"


def test_zip_ingests_the_sample_on_python_3_12(
    artifact: LambdaArtifact, tmp_path: Path, olist_sample_dir: Path
) -> None:
    interpreter = python312()
    if interpreter is None:
        pytest.skip("no Python 3.12 interpreter (set PYTHON312) to run the Lambda's platform wheels")
    code, sdk = tmp_path / "code", tmp_path / "sdk"
    zipfile.ZipFile(artifact.path).extractall(code)
    sdk.mkdir()
    site_packages = Path(boto3.__file__).parents[1]
    for name in RUNTIME_PACKAGES:
        (sdk / name).symlink_to(site_packages / name)
    script = (
        "import sys, handler\n"
        "from lambdas.ingestion.cli import main\n"
        f"sys.exit(main(['--source-dir', {str(olist_sample_dir)!r}, '--bronze-dir', {str(tmp_path / 'bronze')!r}]))\n"
    )
    result = subprocess.run(
        [interpreter, "-c", script],
        cwd=code,
        env={"PATH": os.environ["PATH"], "PYTHONPATH": f"{code}:{sdk}", "PYTHONNOUSERSITE": "1"},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "order_reviews" in result.stdout and "6123" in result.stdout
