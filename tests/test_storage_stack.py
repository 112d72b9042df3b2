"""Storage: KMS key, lake buckets, security and retention properties."""

import pytest
from aws_cdk.assertions import Match

from stacks.orchestration import LOG_TYPES
from tests.fixtures.policies import Request, Resolver, deployed_attributes, evaluate

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


def test_ephemeral_buckets_are_emptied_before_deletion_and_persistent_ones_never(main_env, feature_env):
    """Their removal policies are tests/test_teardown.py's; emptying is a custom resource per bucket."""
    feature_env.template("Storage").resource_count_is("Custom::S3AutoDeleteObjects", len(PURPOSES))
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


# --- The lake key's policy, executed for the requests each service makes --------------------------------------


def _key_policy(synthesized):
    """The lake key's policy from the Storage template, resolved for the offline account and region."""
    env = synthesized.environment
    templates = {name: template.to_json() for name, template in synthesized.templates.items()}
    resolver = Resolver(
        templates,
        account=env.account,
        region=env.region,
        attributes=deployed_attributes(templates, account=env.account, region=env.region),
    )
    storage = env.stack_name("Storage")
    (key,) = (r for r in templates[storage]["Resources"].values() if r["Type"] == "AWS::KMS::Key")
    return resolver.resolve(key["Properties"]["KeyPolicy"], storage)


def _airflow_log_group_arn(synthesized, log_type: str, environment_name: str | None = None) -> str:
    env = synthesized.environment
    if environment_name is None:
        orchestration = synthesized.template("Orchestration").find_resources("AWS::MWAA::Environment")
        (airflow,) = orchestration.values()
        environment_name = airflow["Properties"]["Name"]
    return f"arn:aws:logs:{env.region}:{env.account}:log-group:airflow-{environment_name}-{log_type}"


def _logs(synthesized, action: str, log_group_arn: str, region: str | None = None) -> Request:
    # CloudWatch Logs calls KMS as the regional service principal, with the log group's ARN as encryption
    # context ("Encrypt log data in CloudWatch Logs using AWS KMS", CloudWatch Logs User Guide).
    region = region or synthesized.environment.region
    return Request(
        principal={"Service": f"logs.{region}.amazonaws.com"},
        action=action,
        context={"kms:EncryptionContext:aws:logs:arn": log_group_arn},
    )


LOGS_ACTIONS = ("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKey")


@pytest.mark.parametrize("which", ["main_env", "feature_env"])
@pytest.mark.parametrize("log_type", LOG_TYPES)
def test_key_lets_cloudwatch_logs_encrypt_this_environments_airflow_logs(which, log_type, request):
    # MWAA with a customer managed key needs CloudWatch Logs allowed on the key for the environment's log
    # groups, else environment creation fails ("Using customer managed keys for encryption", MWAA User Guide,
    # https://docs.aws.amazon.com/mwaa/latest/userguide/custom-keys-certs.html).
    synthesized = request.getfixturevalue(which)
    policy = _key_policy(synthesized)
    for action in LOGS_ACTIONS:
        assert evaluate(policy, _logs(synthesized, action, _airflow_log_group_arn(synthesized, log_type))) == "Allow"


def test_key_refuses_cloudwatch_logs_for_other_log_groups(feature_env, main_env):
    policy = _key_policy(feature_env)
    env = feature_env.environment
    foreign = [
        _airflow_log_group_arn(main_env, "Task"),  # another environment's Airflow logs
        _airflow_log_group_arn(feature_env, "Task", environment_name="keystone-other-airflow"),
        f"arn:aws:logs:{env.region}:{env.account}:log-group:/aws/lambda/{env.resource_name('ingestion')}",
        f"arn:aws:logs:{env.region}:222222222222:log-group:airflow-{env.resource_name('airflow')}-Task",
    ]
    for arn in foreign:
        assert evaluate(policy, _logs(feature_env, "kms:GenerateDataKey", arn)) == "ImplicitDeny", arn
    other_region = _logs(feature_env, "kms:GenerateDataKey", _airflow_log_group_arn(feature_env, "Task"), "eu-west-1")
    assert evaluate(policy, other_region) == "ImplicitDeny"


def _alarm_publish(synthesized, action: str, topic_arn: str) -> Request:
    # CloudWatch alarms publish to an encrypted topic as cloudwatch.amazonaws.com, which needs kms:Decrypt
    # and kms:GenerateDataKey* on the topic's key ("Configure AWS KMS permissions for AWS services", SNS
    # Developer Guide); SNS passes the topic ARN as encryption context (aws:sns:topicArn).
    return Request(
        principal={"Service": "cloudwatch.amazonaws.com"},
        action=action,
        context={"kms:EncryptionContext:aws:sns:topicArn": topic_arn},
    )


@pytest.mark.parametrize("which", ["main_env", "feature_env"])
def test_key_lets_cloudwatch_alarms_publish_to_the_alert_topic(which, request):
    synthesized = request.getfixturevalue(which)
    env = synthesized.environment
    policy = _key_policy(synthesized)
    topic = f"arn:aws:sns:{env.region}:{env.account}:{env.resource_name('alerts')}"
    for action in ("kms:Decrypt", "kms:GenerateDataKey"):
        assert evaluate(policy, _alarm_publish(synthesized, action, topic)) == "Allow", action
    other_topic = f"arn:aws:sns:{env.region}:{env.account}:keystone-other-alerts"
    assert evaluate(policy, _alarm_publish(synthesized, "kms:GenerateDataKey", other_topic)) == "ImplicitDeny"
    assert evaluate(policy, _alarm_publish(synthesized, "kms:ScheduleKeyDeletion", topic)) == "ImplicitDeny"


def test_key_still_delegates_to_the_accounts_iam_policies_and_no_further(feature_env):
    # The roles that use the key (ingestion, sink, producer, MWAA) are authorized by their IAM policies; the
    # key policy must keep delegating to the account ("Default key policy", KMS Developer Guide).
    policy = _key_policy(feature_env)
    env = feature_env.environment
    own_role = {"AWS": f"arn:aws:iam::{env.account}:role/{env.resource_name('ingestion')}"}
    foreign_role = {"AWS": "arn:aws:iam::222222222222:role/someone"}
    for action in ("kms:Decrypt", "kms:GenerateDataKey", "kms:CreateGrant", "kms:DescribeKey"):
        assert evaluate(policy, Request(principal=own_role, action=action)) == "Allow", action
        assert evaluate(policy, Request(principal=foreign_role, action=action)) == "ImplicitDeny", action
    for service in ("airflow.amazonaws.com", "s3.amazonaws.com", "kafka.amazonaws.com"):
        assert evaluate(policy, Request(principal={"Service": service}, action="kms:Decrypt")) == "ImplicitDeny"
