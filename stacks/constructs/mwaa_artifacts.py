"""What MWAA runs, published to the versioned artifacts bucket with each object's version pinned.

MWAA reads DAGs continuously from `dags/`, but it installs requirements and plugins and runs the startup script
only when the environment names a new object version. Pinning those versions in the template is what makes a
changed requirements file, startup script or plugins.zip roll out on the next deploy.

Each bucket deployment syncs one prefix of its own, with prune: CDK's handler runs `aws s3 sync --delete` on the
deployment's prefix, so a deployment to the bucket root would delete every other prefix, the DAGs' state included.
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_deployment as s3deploy
from aws_cdk import custom_resources as cr
from constructs import Construct

from dbt_project.scripts.manifest import parse_manifest
from stacks.compliance import (
    AWS_CUSTOM_RESOURCE_SINGLETON,
    acknowledge,
    acknowledge_framework_function,
    acknowledge_wildcards,
)
from stacks.constructs.mwaa_plugins import PLUGINS_FILE, plugins_bundle
from stacks.synth_context import REPO_ROOT

DAGS_PREFIX = "dags"
# Must match ARTIFACTS_PREFIX in dags/keystone_dags/settings.py.
AIRFLOW_STATE_PREFIX = "airflow"
# Everything the environment pins by object version lives under mwaa/, one prefix per deployment.
REQUIREMENTS_KEY = "mwaa/requirements/requirements.txt"
STARTUP_SCRIPT_KEY = "mwaa/startup/startup.sh"
PLUGINS_KEY = f"mwaa/plugins/{PLUGINS_FILE}"
NONCURRENT_VERSION_DAYS = 30
# What tools write beside the sources (dbt's output, Python bytecode): never shipped, never part of a digest.
_GENERATED = ("__pycache__", "*.pyc", "target", "logs", "dbt_packages", ".user.yml")
_IGNORED = shutil.ignore_patterns(*_GENERATED)
STAGING_DIR = REPO_ROOT / ".build" / "mwaa"


def stage_dags_folder() -> Path:
    """The DAGs folder MWAA syncs: the DAG files, the dbt project and the packages the DAGs import."""
    target = STAGING_DIR / "dags"
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for source, destination in (
        ("dags", "."),
        ("dbt_project", "dbt_project"),
        ("contracts", "contracts"),
        ("quality", "quality"),
    ):
        shutil.copytree(REPO_ROOT / source, target / destination, ignore=_IGNORED, dirs_exist_ok=True)
    # The environment's own files (requirements, startup script, the tools' pins) are published on their own.
    for stray in [*target.glob("requirements-*.txt"), target / "startup.sh"]:
        stray.unlink()
    manifest = target / "dbt_project" / "target" / "manifest.json"
    manifest.parent.mkdir(parents=True)
    shutil.copyfile(dbt_manifest(), manifest)
    return target


def dbt_manifest() -> Path:
    """The dbt manifest Cosmos renders `olist_transform` from, parsed once per version of the dbt project."""
    project = REPO_ROOT / "dbt_project"
    digest = hashlib.sha256()
    for path in sorted(p for p in project.rglob("*") if p.is_file() and not _generated(p.relative_to(project))):
        digest.update(path.relative_to(project).as_posix().encode() + b"\0" + path.read_bytes())
    cached = STAGING_DIR / f"dbt-manifest-{digest.hexdigest()[:16]}"
    if not (cached / "manifest.json").is_file():
        parse_manifest(project, cached)
    return cached / "manifest.json"


def _generated(relative: Path) -> bool:
    """True for what `_IGNORED` leaves out of a copy."""
    return any(fnmatch.fnmatch(part, pattern) for part in relative.parts for pattern in _GENERATED)


def stage_file(source: Path, key: str) -> Path:
    """A folder holding `source` under the name of `key`, so that one object can be deployed to its prefix."""
    target = STAGING_DIR / key.replace("/", "_")
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copyfile(source, target / PurePosixPath(key).name)
    return target


def artifacts_lifecycle_rules() -> list[s3.LifecycleRule]:
    """Old versions of the DAG folder and the DAGs' state expire; none under mwaa/ ever does.

    The environment reads requirements, startup script and plugins at the versions the template pins, and a
    pinned version turns noncurrent as soon as a deployment re-uploads its file. A rollback or a later update
    may name any of them again, so they are kept; they change rarely and are small next to the lake.
    """
    return [
        s3.LifecycleRule(
            id=f"expire-old-{prefix}-versions",
            prefix=f"{prefix}/",
            noncurrent_version_expiration=cdk.Duration.days(NONCURRENT_VERSION_DAYS),
        )
        for prefix in (DAGS_PREFIX, AIRFLOW_STATE_PREFIX)
    ]


class MwaaArtifacts(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        bucket: s3.IBucket,
        key: kms.IKey,
        requirements: Path,
        startup: Path,
        tools: Mapping[str, Path],
    ) -> None:
        super().__init__(scope, construct_id)
        self.dags = self._deploy("Dags", stage_dags_folder(), prefix=f"{DAGS_PREFIX}/", bucket=bucket, key=key)
        self.requirements_version = self._pinned_file(
            "Requirements",
            stage_file(requirements, REQUIREMENTS_KEY),
            REQUIREMENTS_KEY,
            _fingerprint(requirements),
            bucket,
            key,
        )
        self.startup_script_version = self._pinned_file(
            "StartupScript",
            stage_file(startup, STARTUP_SCRIPT_KEY),
            STARTUP_SCRIPT_KEY,
            _fingerprint(startup),
            bucket,
            key,
        )
        plugins = plugins_bundle(tools)
        self.plugins_version = self._pinned_file(
            "Plugins", plugins.folder, PLUGINS_KEY, plugins.digest, bucket, key, asset_hash=plugins.digest
        )
        self.deployments = [child for child in self.node.children if isinstance(child, s3deploy.BucketDeployment)]
        self._acknowledge_framework_functions(bucket)

    def _deploy(
        self,
        construct_id: str,
        folder: Path,
        *,
        prefix: str,
        bucket: s3.IBucket,
        key: kms.IKey,
        asset_hash: str | None = None,
    ) -> s3deploy.BucketDeployment:
        # A custom hash spares hashing hundreds of megabytes of wheels on every synth; it is their digest already.
        hashing = {"asset_hash": asset_hash, "asset_hash_type": cdk.AssetHashType.CUSTOM} if asset_hash else {}
        return s3deploy.BucketDeployment(
            self,
            construct_id,
            sources=[s3deploy.Source.asset(str(folder), **hashing)],
            destination_bucket=bucket,
            destination_key_prefix=prefix,
            server_side_encryption=s3deploy.ServerSideEncryption.AWS_KMS,
            server_side_encryption_aws_kms_key_id=key.key_id,
            prune=True,
            retain_on_delete=False,
            memory_limit=512,
            # The handler holds the downloaded asset zip and its extracted plugins.zip in /tmp at once.
            ephemeral_storage_size=cdk.Size.gibibytes(1),
        )

    def _pinned_file(
        self,
        construct_id: str,
        folder: Path,
        object_key: str,
        digest: str,
        bucket: s3.IBucket,
        key: kms.IKey,
        asset_hash: str | None = None,
    ) -> str:
        """Deploy the one file in `folder` to `object_key`'s prefix; its version, re-read whenever `digest` changes."""
        prefix = f"{PurePosixPath(object_key).parent}/"
        deployment = self._deploy(construct_id, folder, prefix=prefix, bucket=bucket, key=key, asset_hash=asset_hash)
        # The content digest in the physical id makes CloudFormation re-read the version whenever the file changes.
        call = cr.AwsSdkCall(
            service="S3",
            action="headObject",
            parameters={"Bucket": bucket.bucket_name, "Key": object_key},
            physical_resource_id=cr.PhysicalResourceId.of(f"{object_key}@{digest}"),
            output_paths=["VersionId"],
        )
        version = cr.AwsCustomResource(
            self,
            f"{construct_id}Version",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_statements(
                [
                    cdk.aws_iam.PolicyStatement(
                        actions=["s3:GetObject", "s3:GetObjectVersion"], resources=[bucket.arn_for_objects(object_key)]
                    )
                ]
            ),
            install_latest_aws_sdk=False,
        )
        key.grant_decrypt(version)
        version.node.add_dependency(deployment)
        return version.get_response_field("VersionId")

    def _acknowledge_framework_functions(self, bucket: s3.IBucket) -> None:
        stack = cdk.Stack.of(self)
        for child in stack.node.children:
            if child.node.id.startswith("Custom::CDKBucketDeployment"):
                assets_bucket = (
                    cdk.DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace(
                        "${Qualifier}", cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
                    )
                    .replace("${AWS::AccountId}", stack.account)
                    .replace("${AWS::Region}", stack.region)
                )
                acknowledge_wildcards(
                    child,
                    [f"arn:{stack.partition}:s3:::{assets_bucket}/*", bucket.arn_for_objects("*")],
                    "CDK's bucket deployment copies staged assets into the artifacts bucket; keys unknown at synth.",
                )
                for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*", "s3:DeleteObject*"):
                    acknowledge(
                        child,
                        f"AwsSolutions-IAM5[Action::{action}]",
                        "aws-cdk-lib grants its bucket-deployment function these read/write action groups on the "
                        "two buckets it syncs; they are not configurable.",
                    )
            framework = child.node.id.startswith("Custom::CDKBucketDeployment")
            if framework or child.node.id == AWS_CUSTOM_RESOURCE_SINGLETON:
                acknowledge_framework_function(child)


def _fingerprint(source: Path) -> str:
    return cdk.FileSystem.fingerprint(str(source))
