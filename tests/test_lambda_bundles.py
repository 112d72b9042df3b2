"""The Lambda bundles the stacks deploy: within Lambda's size limit and working on the Lambda's Python (3.12)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest

from stacks.constructs.python_lambda import LOGGING_REQUIREMENTS, UNUSED_IN_LAYERS, code_dir, dependency_layer_zip
from stacks.synth_context import REPO_ROOT

pytestmark = pytest.mark.slow

# Lambda's limit for a function and its layers, unzipped: "250 MB ... including layers and custom runtimes",
# refused at deploy as "Unzipped size must be smaller than 262144000 bytes".
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
MAX_UNZIPPED_BYTES = 250 * 1024 * 1024
# What a bundle may use of it: a dependency bump (pyarrow, numpy grow by megabytes a release) must not fail a deploy.
BUNDLE_BUDGET_BYTES = int(MAX_UNZIPPED_BYTES * 0.8)
# What the Lambda Python runtime provides itself (boto3 and its pure-Python dependencies), borrowed from this venv.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py")


def python312() -> str | None:
    candidates = [os.environ.get("PYTHON312"), shutil.which("python3.12")]
    candidates += [str(p) for p in sorted(Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))]
    for candidate in filter(None, candidates):
        if subprocess.run([candidate, "-c", "import sys"], capture_output=True).returncode == 0:
            return candidate
    return None


def _size(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


def _unzipped_size(archive_path: Path) -> int:
    """What Lambda unpacks from a zip uploaded as it is."""
    with zipfile.ZipFile(archive_path) as archive:
        return sum(entry.file_size for entry in archive.infolist())


INGESTION_REQUIREMENTS = [REPO_ROOT / "lambdas" / "ingestion" / "requirements.txt", LOGGING_REQUIREMENTS]
PRODUCER_REQUIREMENTS = [REPO_ROOT / "producers" / "requirements.txt", LOGGING_REQUIREMENTS]


def unpacked_layer(requirements: list[Path], target: Path) -> Path:
    """The layer's zip as Lambda unpacks it (into /opt: its python/ is on the function's path)."""
    with zipfile.ZipFile(dependency_layer_zip(requirements)) as archive:
        archive.extractall(target)
    return target


@pytest.fixture(scope="module")
def ingestion_bundle(tmp_path_factory) -> tuple[Path, Path]:
    layer = unpacked_layer(INGESTION_REQUIREMENTS, tmp_path_factory.mktemp("ingestion-layer"))
    code = code_dir("test-ingestion", ["lambdas/ingestion", "lambdas/logs", "contracts"])
    return layer, code


@pytest.fixture(scope="module")
def producer_bundle(tmp_path_factory) -> tuple[Path, Path]:
    layer = unpacked_layer(PRODUCER_REQUIREMENTS, tmp_path_factory.mktemp("producer-layer"))
    code = code_dir("test-producer", ["lambdas/producer", "lambdas/logs", "producers", "contracts"])
    return layer, code


def test_the_ingestion_bundle_fits_and_holds_only_code(ingestion_bundle):
    layer, code = ingestion_bundle
    assert _size(layer / "python") + _size(code) < MAX_UNZIPPED_BYTES
    assert (layer / "python" / "pyarrow").is_dir() and (layer / "python" / "tenacity").is_dir()
    assert (layer / "python" / "aws_lambda_powertools").is_dir()
    assert (code / "lambdas" / "__init__.py").is_file() and (code / "lambdas" / "ingestion" / "handler.py").is_file()
    assert not any("__pycache__" in str(path) or path.name.startswith("test_") for path in code.rglob("*"))


def test_the_same_requirements_give_the_same_layer():
    layer = dependency_layer_zip(INGESTION_REQUIREMENTS)
    built = layer.read_bytes()
    layer.unlink()
    assert dependency_layer_zip(INGESTION_REQUIREMENTS) == layer
    assert layer.read_bytes() == built


def test_the_producer_bundle_fits(producer_bundle):
    layer, code = producer_bundle
    assert _size(layer / "python") + _size(code) < MAX_UNZIPPED_BYTES
    assert (layer / "python" / "pyarrow").is_dir() and (layer / "python" / "confluent_kafka").is_dir()
    assert (layer / "python" / "aws_lambda_powertools").is_dir()


def _deployed_functions(synthesized) -> dict[str, tuple[Path, list[Path]]]:
    """Function name -> (code, layers) as staged in the synthesized cloud assembly: what CDK uploads."""
    staged = {}
    for manifest in synthesized.outdir.glob("*.assets.json"):
        for asset in json.loads(manifest.read_text())["files"].values():
            for destination in asset["destinations"].values():
                staged[destination["objectKey"]] = synthesized.outdir / asset["source"]["path"]
    functions = {}
    for template in synthesized.templates.values():
        resources = template.to_json()["Resources"]
        for resource in resources.values():
            code = resource["Properties"].get("Code", {}) if resource["Type"] == "AWS::Lambda::Function" else {}
            if "S3Key" not in code:
                continue  # inline code (CDK's own small handlers)
            layers = [
                resources[layer["Ref"]]["Properties"]["Content"] for layer in resource["Properties"].get("Layers", [])
            ]
            functions[resource["Properties"].get("FunctionName", "?")] = (
                staged[code["S3Key"]],
                [staged[layer["S3Key"]] for layer in layers],
            )
    return functions


def test_every_function_and_its_layers_fit_lambdas_unzipped_limit_with_room(main_env):
    functions = _deployed_functions(main_env)
    assert {main_env.environment.resource_name(p) for p in ("producer", "ingestion")} <= set(functions)
    for name, (code, layers) in functions.items():
        assert code.is_dir() and all(zipfile.is_zipfile(layer) for layer in layers), f"{name}: assets as staged"
        unzipped = _size(code) + sum(_unzipped_size(layer) for layer in layers)
        assert unzipped < BUNDLE_BUDGET_BYTES, (
            f"{name} is {unzipped:,} bytes unzipped with its layers: over the budget of {BUNDLE_BUDGET_BYTES:,} "
            f"(80% of Lambda's {MAX_UNZIPPED_BYTES:,})"
        )


def test_layers_hold_nothing_the_functions_never_import(producer_bundle):
    layer, _ = producer_bundle
    for pattern in UNUSED_IN_LAYERS:
        assert not list((layer / "python").glob(pattern)), f"{pattern} is still in the producer layer"
    assert (layer / "python" / "pyarrow" / "libarrow_python.so.2100").is_file(), "the soname the loader opens"


def test_the_ingestion_bundle_ingests_the_sample_on_python_3_12(ingestion_bundle, tmp_path, olist_sample_dir):
    script = (
        "import sys\n"
        "import lambdas.ingestion.handler\n"
        "from lambdas.ingestion.cli import main\n"
        f"sys.exit(main(['--source-dir', {str(olist_sample_dir)!r}, '--bronze-dir', {str(tmp_path / 'bronze')!r}]))\n"
    )
    result = _run_on_python_3_12(ingestion_bundle, script, tmp_path)
    assert "order_reviews" in result.stdout and "6123" in result.stdout


def test_the_producer_bundle_reads_the_sample_into_events_on_python_3_12(producer_bundle, tmp_path, olist_sample_dir):
    script = (
        "import lambdas.producer.handler\n"
        "from pathlib import Path\n"
        "from producers.source import load_events, streamed_tables\n"
        f"loaded = load_events(Path({str(olist_sample_dir)!r}), streamed_tables())\n"
        "print(len(loaded.events), sum(summary.rows for summary in loaded.files), len(loaded.rejected))\n"
    )
    result = _run_on_python_3_12(producer_bundle, script, tmp_path)
    from producers.source import load_events, streamed_tables

    here = load_events(olist_sample_dir, streamed_tables())
    expected = f"{len(here.events)} {sum(summary.rows for summary in here.files)} {len(here.rejected)}"
    assert result.stdout.split() == expected.split()


def _run_on_python_3_12(bundle: tuple[Path, Path], script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    interpreter = python312()
    if interpreter is None:
        pytest.skip("no Python 3.12 interpreter (set PYTHON312) to run the Lambda's platform wheels")
    layer, code = bundle
    sdk = tmp_path / "sdk"
    sdk.mkdir()
    site_packages = Path(boto3.__file__).parents[1]
    for name in RUNTIME_PACKAGES:
        (sdk / name).symlink_to(site_packages / name)
    result = subprocess.run(
        [interpreter, "-c", script],
        cwd=tmp_path,
        # No bytecode: the code folder is what synth stages, and it must ship as built.
        env={
            "PATH": os.environ["PATH"],
            "PYTHONPATH": f"{code}:{layer / 'python'}:{sdk}",
            "PYTHONNOUSERSITE": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result
