"""Python Lambda code and dependency layers, built without Docker.

Dependencies are installed for the Lambda platform with `uv` (manylinux wheels only, no builds) into
`.build/lambda-layers/<digest>/python`, keyed by a digest of the requirements, the platform, a fixed
resolution date and what is pruned, so the same requirements always give the same layer and a rebuild is a
cache hit. The stacks deploy the layer as the `layer.zip` in its folder: CDK copies an asset folder into every
cloud assembly it synthesizes, file by file (thousands of files, 350 MB for the two layers), and a zip in one copy.
What no function imports is pruned from each layer (see `UNUSED_IN_LAYERS`): a function and its layers must stay
under Lambda's 250 MB unzipped (tests/test_lambda_bundles.py measures the synthesized assets).
Function code is the listed repository packages, copied without bytecode or tests.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from zipfile import ZIP_DEFLATED

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from connector.build import write_deterministic_zip
from stacks.compliance import acknowledge, acknowledge_managed_policy
from stacks.constructs.retention import log_group
from stacks.synth_context import REPO_ROOT


@dataclass(frozen=True)
class LambdaPlatform:
    """A Lambda runtime and architecture, and the wheels `uv` installs for them."""

    runtime: lambda_.Runtime
    architecture: lambda_.Architecture
    wheel_platform: str

    @property
    def uv_arguments(self) -> tuple[str, ...]:
        version = self.runtime.name.removeprefix("python")
        return ("--python-platform", self.wheel_platform, "--python-version", version)


# The functions of the environments: MWAA's Python, the one pyarrow's and confluent-kafka's wheels are built for.
PYTHON_3_12_X86 = LambdaPlatform(lambda_.Runtime.PYTHON_3_12, lambda_.Architecture.X86_64, "x86_64-manylinux_2_28")
# Every function logs through lambdas/logs: each layer carries its requirements.
LOGGING_REQUIREMENTS = REPO_ROOT / "lambdas" / "logs" / "requirements.txt"
# Transitive dependencies resolve as of this date, so a layer does not change under a fixed requirements file.
RESOLUTION_DATE = "2026-11-01"
BUILD_DIR = REPO_ROOT / ".build"
_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "tests", "requirements*.txt")
# Globs under a layer's python/ that nothing imports at run time: test suites, Cython sources, type stubs and C
# headers; pyarrow's Flight RPC and Parquet encryption (contracts/arrow and the ingestion read CSV and write plain
# Parquet; pyarrow imports neither unless asked); and the two spare copies of each pyarrow library that wheels
# carry because they cannot hold symlinks (the loader opens the soname, `libarrow_python.so.2100`).
UNUSED_IN_LAYERS = (
    "**/tests",
    "**/*.pyx",
    "**/*.pxd",
    "**/*.pxi",
    "**/*.pyi",
    "**/*.h",
    "pyarrow/include",
    "pyarrow/src",
    "pyarrow/*flight*",
    "pyarrow/*parquet_encryption*",
    "pyarrow/_pyarrow_cpp_tests*",
    "pyarrow/libarrow_python*.so",
    "pyarrow/libarrow_python*.so.*.*.*",
)


class LambdaBuildError(RuntimeError):
    """A Lambda bundle could not be built."""


def uv_executable() -> str:
    for candidate in (shutil.which("uv"), os.path.expanduser("~/.local/bin/uv")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise LambdaBuildError("uv is not installed; run `make install` (it installs uv) before synthesizing")


def dependency_layer_dir(requirements: Sequence[Path], platform: LambdaPlatform = PYTHON_3_12_X86) -> Path:
    """Install the requirements files for the Lambda platform (cached) and return the layer directory."""
    texts = [path.read_text() for path in requirements]
    digest = hashlib.sha256(
        "\0".join([*texts, *platform.uv_arguments, RESOLUTION_DATE, platform.runtime.name, *UNUSED_IN_LAYERS]).encode()
    ).hexdigest()[:16]
    layer = BUILD_DIR / "lambda-layers" / f"{'+'.join(path.parent.name for path in requirements)}-{digest}"
    if (layer / ".complete").exists():
        return layer
    shutil.rmtree(layer, ignore_errors=True)
    command = [
        uv_executable(), "pip", "install", "--quiet", "--no-compile", "--only-binary", ":all:",
        "--exclude-newer", RESOLUTION_DATE, *platform.uv_arguments, "--target", str(layer / "python"),
        *(argument for path in requirements for argument in ("-r", str(path))),
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        shown = ", ".join(str(path) for path in requirements)
        raise LambdaBuildError(f"installing {shown} for Lambda failed:\n{result.stderr.strip()}")
    prune(layer / "python", UNUSED_IN_LAYERS)
    (layer / ".complete").touch()
    return layer


def dependency_layer_zip(requirements: Sequence[Path], platform: LambdaPlatform = PYTHON_3_12_X86) -> Path:
    """The layer directory's `python/` as the zip Lambda unpacks into /opt (built once per layer)."""
    layer = dependency_layer_dir(requirements, platform)
    archive = layer / "layer.zip"
    if not archive.exists():
        files = (path for path in (layer / "python").rglob("*") if path.is_file())
        write_deterministic_zip(archive, {path.relative_to(layer).as_posix(): path for path in files}, ZIP_DEFLATED)
    return archive


def prune(directory: Path, patterns: Sequence[str]) -> None:
    """Delete every file and folder under `directory` matching one of the globs."""
    for pattern in patterns:
        for path in sorted(directory.glob(pattern), reverse=True):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()


def code_dir(name: str, packages: Sequence[str]) -> Path:
    """A directory holding the given top-level repository packages, as the function's code."""
    target = BUILD_DIR / "lambda-code" / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for package in packages:
        source = REPO_ROOT / package
        if not (source / "__init__.py").is_file():
            raise LambdaBuildError(f"{source} is not a Python package; cannot bundle it into {name}")
        shutil.copytree(source, target / package, ignore=_IGNORED)
        # A nested package (lambdas/ingestion) needs its parents' __init__.py to import the same way.
        for parent in Path(package).parents:
            if parent != Path(".") and (REPO_ROOT / parent / "__init__.py").is_file():
                shutil.copyfile(REPO_ROOT / parent / "__init__.py", target / parent / "__init__.py")
    return target


class DependencyLayer(Construct):
    """A Lambda layer of third-party packages from requirements files."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        requirements: Sequence[Path],
        description: str,
        platform: LambdaPlatform = PYTHON_3_12_X86,
    ) -> None:
        super().__init__(scope, construct_id)
        layer_zip = dependency_layer_zip(requirements, platform)
        self.layer = lambda_.LayerVersion(
            self,
            "Layer",
            # The layer directory's name already is a digest of everything the layer is built from; hashing its
            # zip again on every synth would only cost time.
            code=lambda_.Code.from_asset(
                str(layer_zip), asset_hash=layer_zip.parent.name, asset_hash_type=cdk.AssetHashType.CUSTOM
            ),
            compatible_runtimes=[platform.runtime],
            compatible_architectures=[platform.architecture],
            description=description,
        )


class PythonFunction(Construct):
    """A Python Lambda of this repository: its own log group, a bounded timeout, optional VPC placement."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function_name: str,
        description: str,
        handler: str,
        packages: Sequence[str],
        layers: Sequence[lambda_.ILayerVersion] = (),
        environment: dict[str, str] | None = None,
        timeout: cdk.Duration,
        memory_size: int = 512,
        log_retention_days: int,
        vpc: ec2.IVpc | None = None,
        vpc_subnets: ec2.SubnetSelection | None = None,
        security_groups: Sequence[ec2.ISecurityGroup] = (),
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = log_group(
            self,
            "Logs",
            name=f"/aws/lambda/{function_name}",
            retention_days=log_retention_days,
        )
        self.function = lambda_.Function(
            self,
            "Function",
            function_name=function_name,
            description=description,
            runtime=PYTHON_3_12_X86.runtime,
            architecture=PYTHON_3_12_X86.architecture,
            handler=handler,
            code=lambda_.Code.from_asset(str(code_dir(function_name, packages))),
            layers=list(layers),
            environment=environment or {},
            timeout=timeout,
            memory_size=memory_size,
            log_group=self.log_group,
            logging_format=lambda_.LoggingFormat.JSON,
            vpc=vpc,
            vpc_subnets=vpc_subnets,
            security_groups=list(security_groups) or None,
        )
        acknowledge_managed_policy(
            self.function,
            "service-role/AWSLambdaBasicExecutionRole",
            "The AWS-managed basic execution policy only lets the function write its own CloudWatch logs.",
        )
        if vpc:
            acknowledge_managed_policy(
                self.function,
                "service-role/AWSLambdaVPCAccessExecutionRole",
                "The AWS-managed VPC access policy is the documented minimum for a function to manage its ENIs.",
            )
        acknowledge(
            self.function,
            "AwsSolutions-L1",
            "Pinned to Python 3.12, the Python of MWAA and of the wheels in the dependency layers; "
            "the runtime moves with them in one change.",
        )
