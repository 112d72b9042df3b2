"""Storage: KMS key, lake buckets, security and retention properties."""

import pytest
from aws_cdk.assertions import Match

PURPOSES = ("landing", "bronze", "silver", "gold", "query-results", "artifacts", "access-logs")
KMS_BUCKETS = tuple(p for p in PURPOSES if p != "access-logs")


def _buckets(synthesized):
    resources = synthesized.template("Storage").find_resources("AWS::S3::Bucket")
    return {props["Properties"]["BucketName"]: props for props in resources.values()}


def test_key_rotates(feature_env):
    feature_env.template("Storage").has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})


@pytest.mark.parametrize("which", ["main_env", "feature_env"])
def test_one_bucket_per_purpose_named_after_the_environment(which, request):
    synthesized = request.getfixturevalue(which)
    names = set(_buckets(synthesized))
    assert names == {synthesized.environment.bucket_name(purpose) for purpose in PURPOSES}
    assert all(synthesized.environment.slug in name for name in names)


def test_lake_buckets_use_kms_with_bucket_keys_and_block_public_access(feature_env):
    for name, bucket in _buckets(feature_env).items():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }, name
        rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
        if name.endswith(tuple(f"-{p}-" for p in KMS_BUCKETS)) or any(f"-{p}-" in name for p in KMS_BUCKETS):
            assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms", name
            assert rule["BucketKeyEnabled"] is True, name
            assert "LoggingConfiguration" in props, f"{name} must send server access logs"


def test_every_bucket_policy_denies_plain_http(feature_env):
    policies = feature_env.template("Storage").find_resources("AWS::S3::BucketPolicy")
    assert len(policies) == len(PURPOSES)
    for policy in policies.values():
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
            for s in statements
        )


def test_ephemeral_destroys_data_and_persistent_retains_it(main_env, feature_env):
    for bucket in _buckets(feature_env).values():
        assert bucket["DeletionPolicy"] == "Delete"
    feature_env.template("Storage").resource_count_is("Custom::S3AutoDeleteObjects", len(PURPOSES))
    for bucket in _buckets(main_env).values():
        assert bucket["DeletionPolicy"] == "Retain"
    main_env.template("Storage").resource_count_is("Custom::S3AutoDeleteObjects", 0)


def test_artifacts_bucket_is_versioned(feature_env):
    artifacts = _buckets(feature_env)[feature_env.environment.bucket_name("artifacts")]
    assert artifacts["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}


def test_bronze_tiers_only_in_persistent_environments(main_env, feature_env):
    bronze = _buckets(main_env)[main_env.environment.bucket_name("bronze")]
    transitions = bronze["Properties"]["LifecycleConfiguration"]["Rules"][0]["Transitions"]
    assert [t["StorageClass"] for t in transitions] == ["STANDARD_IA", "GLACIER_IR"]
    feature_bronze = _buckets(feature_env)[feature_env.environment.bucket_name("bronze")]
    assert "LifecycleConfiguration" not in feature_bronze["Properties"]


def test_query_results_expire(feature_env):
    feature_env.template("Storage").has_resource_properties(
        "AWS::S3::Bucket",
        {
            "BucketName": feature_env.environment.bucket_name("query-results"),
            "LifecycleConfiguration": {"Rules": Match.array_with([Match.object_like({"ExpirationInDays": 3})])},
        },
    )
