"""The artifacts bucket after a first deploy and an update: everything MWAA references is still there.

The bucket deployments and version lookups of the synthesized Orchestration template are replayed into the local
S3 server (moto, versioned) by tests/fixtures/bucket_deployments.py, which follows CDK's bucket-deployment handler.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import boto3
import pytest

import stacks.orchestration
from localtwin.engines.s3 import LOCAL_CREDENTIALS, LOCAL_REGION, S3Server
from stacks.application import create_app
from stacks.orchestration import AIRFLOW_STATE_PREFIX
from stacks.synth_context import REPO_ROOT
from tests.fixtures.bucket_deployments import DEPLOYMENT, DeployedStack, deploy
from tests.fixtures.synth import FEATURE_BRANCH, SYNTH_TIME

# Every object MWAA reads by path and pinned version (AWS::MWAA::Environment properties).
PINNED = (
    ("RequirementsS3Path", "RequirementsS3ObjectVersion"),
    ("StartupScriptS3Path", "StartupScriptS3ObjectVersion"),
    ("PluginsS3Path", "PluginsS3ObjectVersion"),
)
STATE_KEY = f"{AIRFLOW_STATE_PREFIX}/ingestion/ledger.json"


@pytest.fixture(scope="module")
def s3(tmp_path_factory):  # type: ignore[no-untyped-def]
    server = S3Server(tmp_path_factory.mktemp("s3"))
    server.start()
    try:
        server.wait_ready()
        yield boto3.client(
            "s3",
            endpoint_url=server.endpoint,
            region_name=LOCAL_REGION,
            aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
    finally:
        server.stop()


def _template(outdir: Path, stack_name: str) -> dict:
    return json.loads((outdir / f"{stack_name}.template.json").read_text())


def _environment(template: dict) -> dict:
    (environment,) = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::MWAA::Environment"]
    return environment


def _shipped_files(outdir: Path, stack_name: str, template: dict) -> dict[str, Path]:
    """S3 key -> the staged file a bucket deployment puts there."""
    manifest = json.loads((outdir / f"{stack_name}.assets.json").read_text())
    folders = {
        destination["objectKey"]: outdir / asset["source"]["path"]
        for asset in manifest["files"].values()
        for destination in asset["destinations"].values()
    }
    shipped = {}
    for resource in template["Resources"].values():
        if resource["Type"] == DEPLOYMENT:
            prefix = resource["Properties"]["DestinationBucketKeyPrefix"]
            for key in resource["Properties"]["SourceObjectKeys"]:
                folder = folders[key]
                shipped.update(
                    {f"{prefix}{p.relative_to(folder).as_posix()}": p for p in folder.rglob("*") if p.is_file()}
                )
    return shipped


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _bucket(template: dict) -> str:
    """The artifacts bucket, as the deployments name it (MWAA's SourceBucketArn is built from the same name)."""
    (name,) = {
        r["Properties"]["DestinationBucketName"] for r in template["Resources"].values() if r["Type"] == DEPLOYMENT
    }
    return name


def _assert_environment_can_start(s3, outdir: Path, stack_name: str, deployed: DeployedStack) -> None:  # type: ignore[no-untyped-def]
    template = _template(outdir, stack_name)
    environment = _environment(template)
    bucket = _bucket(template)
    assert bucket in json.dumps(environment["SourceBucketArn"])
    shipped = _shipped_files(outdir, stack_name, template)

    dags_prefix = environment["DagS3Path"].rstrip("/") + "/"
    listed = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=dags_prefix)
    in_bucket = {entry["Key"] for page in listed for entry in page.get("Contents", [])}
    expected_dags = {key for key in shipped if key.startswith(dags_prefix)}
    assert expected_dags, f"nothing is deployed under the DAG folder {dags_prefix}"
    assert in_bucket == expected_dags, f"DAG folder differs: missing {sorted(expected_dags - in_bucket)[:5]}"

    pinned = [(environment[path], deployed.resolve(environment[version])) for path, version in PINNED]
    for key, version in pinned:
        body = s3.get_object(Bucket=bucket, Key=key, VersionId=version)["Body"].read()
        assert _digest(body) == _digest(shipped[key].read_bytes()), f"{key}@{version} is not what was shipped"

    state = s3.get_object(Bucket=bucket, Key=STATE_KEY)["Body"].read()
    assert state == b'{"ledger": []}', "the DAGs' state was deleted"


def _synth_with_changed_startup_script(tmp_path: Path, monkeypatch) -> Path:  # type: ignore[no-untyped-def]
    """The feature environment synthesized again, its startup script changed (the repository is left alone)."""
    sources = tmp_path / "repo"
    (sources / "dags").mkdir(parents=True)
    for path in [*(REPO_ROOT / "dags").glob("requirements*.txt"), REPO_ROOT / "dags" / "startup.sh"]:
        shutil.copy(path, sources / "dags" / path.name)
    script = sources / "dags" / "startup.sh"
    script.write_text(script.read_text() + '\nexport KEYSTONE_CHANGED="yes"\n')
    monkeypatch.setattr(stacks.orchestration, "REPO_ROOT", sources)
    outdir = tmp_path / "cdk.out"
    app, _, _ = create_app({"branch": FEATURE_BRANCH}, outdir=str(outdir), now=SYNTH_TIME)
    app.synth()
    return outdir


@pytest.mark.slow
def test_first_deploy_and_an_update_keep_everything_mwaa_references(feature_env, s3, tmp_path, monkeypatch):
    stack_name = feature_env.environment.stack_name("Orchestration")
    template = _template(feature_env.outdir, stack_name)
    environment = _environment(template)
    bucket = _bucket(template)
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=bucket, Key=STATE_KEY, Body=b'{"ledger": []}')

    first = deploy(feature_env.outdir, stack_name, s3)
    _assert_environment_can_start(s3, feature_env.outdir, stack_name, first)

    updated_outdir = _synth_with_changed_startup_script(tmp_path, monkeypatch)
    updated = deploy(updated_outdir, stack_name, s3, previous=first)
    _assert_environment_can_start(s3, updated_outdir, stack_name, updated)
    new_environment = _environment(_template(updated_outdir, stack_name))
    startup = updated.resolve(new_environment["StartupScriptS3ObjectVersion"])
    assert startup != first.resolve(environment["StartupScriptS3ObjectVersion"]), "the new script is not pinned"
    body = s3.get_object(Bucket=bucket, Key=new_environment["StartupScriptS3Path"], VersionId=startup)["Body"].read()
    assert b'KEYSTONE_CHANGED="yes"' in body
    # What did not change keeps its pinned version: MWAA does not reinstall it.
    requirements = new_environment["RequirementsS3ObjectVersion"]
    assert updated.resolve(requirements) == first.resolve(environment["RequirementsS3ObjectVersion"])


def test_bucket_deployments_own_disjoint_prefixes(feature_env):
    """CloudFormation runs independent deployments in parallel; with prune, a shared prefix is a race."""
    template = _template(feature_env.outdir, feature_env.environment.stack_name("Orchestration"))
    prefixes = sorted(
        r["Properties"].get("DestinationBucketKeyPrefix", "")
        for r in template["Resources"].values()
        if r["Type"] == DEPLOYMENT
    )
    assert "" not in prefixes, "a deployment to the bucket root prunes every other prefix"
    for index, prefix in enumerate(prefixes):
        assert prefix.endswith("/"), prefix
        assert not any(other.startswith(prefix) for other in prefixes[index + 1 :]), prefixes
    assert not any(AIRFLOW_STATE_PREFIX.startswith(prefix.rstrip("/")) for prefix in prefixes)


def test_no_version_the_environment_pins_ever_expires(feature_env):
    """MWAA reads requirements, startup script and plugins at the version the template pins; it must outlive updates.

    S3 lifecycle rules apply to keys that start with the rule's prefix (an absent prefix matches every key):
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-rules.html
    """
    environment = _environment(_template(feature_env.outdir, feature_env.environment.stack_name("Orchestration")))
    pinned_keys = [environment[path] for path, _ in PINNED]
    storage = feature_env.template("Storage").find_resources("AWS::S3::Bucket")
    (artifacts,) = [
        bucket["Properties"]
        for bucket in storage.values()
        if bucket["Properties"].get("BucketName") == feature_env.environment.bucket_name("artifacts")
    ]
    assert artifacts["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = artifacts["LifecycleConfiguration"]["Rules"]
    expiring = [
        rule for rule in rules if "NoncurrentVersionExpiration" in rule or "NoncurrentVersionExpirationInDays" in rule
    ]
    for rule in expiring:
        prefix = rule.get("Prefix", rule.get("Filter", {}).get("Prefix", ""))
        assert not any(key.startswith(prefix) for key in pinned_keys), f"rule {rule['Id']} expires a pinned version"
    # Old versions of what is not pinned (the DAG folder, the DAGs' state) still expire.
    expired_prefixes = {rule.get("Prefix", "") for rule in expiring}
    assert {environment["DagS3Path"].rstrip("/") + "/", f"{AIRFLOW_STATE_PREFIX}/"} <= expired_prefixes
