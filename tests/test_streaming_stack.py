"""Streaming: MSK with IAM/TLS/KMS, topics by custom resource, MSK Connect sinking into Bronze."""

import base64
import json
import uuid

import pytest
from moto.iam.access_control import IAMPolicy, PermissionResult

from connector.s3_sink import connector_config, resolve_key
from contracts import STREAMED_TABLES, layout
from deployment.drain import sink_group
from lambdas.janitor.drain import SinkLag
from stacks.constructs.kafka_cluster import SERVER_PROPERTIES

TOPICS = [table.topic for table in STREAMED_TABLES]


def _one(template, kind):
    resources = template.find_resources(kind)
    assert len(resources) == 1, f"expected one {kind}, found {len(resources)}"
    return next(iter(resources.values()))["Properties"]


def test_cluster_uses_iam_tls_and_kms_with_profile_sizes(main_env, feature_env):
    for synthesized in (main_env, feature_env):
        settings = synthesized.environment.profile.msk
        cluster = _one(synthesized.template("Streaming"), "AWS::MSK::Cluster")
        assert cluster["ClusterName"] == synthesized.environment.resource_name("kafka")
        assert cluster["ClientAuthentication"] == {
            "Sasl": {"Iam": {"Enabled": True}},
            "Unauthenticated": {"Enabled": False},
        }
        assert cluster["EncryptionInfo"]["EncryptionInTransit"] == {"ClientBroker": "TLS", "InCluster": True}
        assert "DataVolumeKMSKeyId" in cluster["EncryptionInfo"]["EncryptionAtRest"]
        assert cluster["BrokerNodeGroupInfo"]["InstanceType"] == settings.broker_instance_type
        assert cluster["NumberOfBrokerNodes"] == settings.broker_count == 2 * settings.brokers_per_az
        assert cluster["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]["Enabled"] is True
    assert _one(feature_env.template("Streaming"), "AWS::MSK::Cluster")["BrokerNodeGroupInfo"]["InstanceType"] == (
        "kafka.t3.small"
    )


def test_automatic_topic_creation_is_off(feature_env):
    configuration = _one(feature_env.template("Streaming"), "AWS::MSK::Configuration")
    assert "auto.create.topics.enable=false" in configuration["ServerProperties"].splitlines()
    assert SERVER_PROPERTIES["auto.create.topics.enable"] == "false"


def test_topics_are_msk_topic_resources_of_this_cluster(feature_env):
    """AWS::MSK::Topic (MSK's topic API) serves provisioned clusters on Kafka 3.6.0 or later
    (https://docs.aws.amazon.com/msk/latest/developerguide/msk-topic-operations-information.html)."""
    template = feature_env.template("Streaming").to_json()
    (cluster_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::MSK::Cluster"]
    settings = feature_env.environment.profile.msk
    assert tuple(int(part) for part in settings.kafka_version.split(".")[:2]) >= (3, 6)
    topics = [r["Properties"] for r in template["Resources"].values() if r["Type"] == "AWS::MSK::Topic"]
    assert sorted(topic["TopicName"] for topic in topics) == sorted(TOPICS)
    for topic in topics:
        assert topic["ClusterArn"] == {"Fn::GetAtt": [cluster_id, "Arn"]}
        assert (topic["PartitionCount"], topic["ReplicationFactor"]) == (
            settings.topic_partitions,
            settings.topic_replication_factor,
        )
    # The sink subscribes to topics that must exist: auto-creation is off.
    (connector,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::KafkaConnect::Connector"]
    topic_ids = {k for k, r in template["Resources"].items() if r["Type"] == "AWS::MSK::Topic"}
    assert topic_ids <= set(connector["DependsOn"])


def test_bootstrap_brokers_come_from_the_msk_api(feature_env):
    lookup = _one(feature_env.template("Streaming"), "Custom::AWS")
    assert '"action":"getBootstrapBrokers"' in json.dumps(lookup["Create"], separators=(",", ":")).replace("\\", "")


def test_connector_config_is_the_single_source_and_uses_iam_tls(feature_env):
    connector = _one(feature_env.template("Streaming"), "AWS::KafkaConnect::Connector")
    bucket = feature_env.environment.bucket_name("bronze")
    config = connector["ConnectorConfiguration"]
    from connector.s3_sink import S3SinkSettings

    rotate_interval_ms = feature_env.environment.profile.freshness.sink_rotate_interval_ms
    expected = connector_config(S3SinkSettings(tuple(TOPICS), bucket, "us-east-1", rotate_interval_ms))
    assert config == expected
    assert connector["KafkaClusterClientAuthentication"] == {"AuthenticationType": "IAM"}
    assert connector["KafkaClusterEncryptionInTransit"] == {"EncryptionType": "TLS"}
    assert connector["LogDelivery"]["WorkerLogDelivery"]["CloudWatchLogs"]["Enabled"] is True


def test_connector_capacity_follows_the_profile(main_env, feature_env):
    ephemeral = _one(feature_env.template("Streaming"), "AWS::KafkaConnect::Connector")["Capacity"]
    assert ephemeral == {"ProvisionedCapacity": {"McuCount": 1, "WorkerCount": 1}}
    persistent = _one(main_env.template("Streaming"), "AWS::KafkaConnect::Connector")["Capacity"]
    assert persistent["AutoScaling"]["MaxWorkerCount"] == main_env.environment.profile.connect.max_workers


def test_worker_configuration_matches_the_local_worker(feature_env):
    from connector.s3_sink import worker_properties

    worker = _one(feature_env.template("Streaming"), "AWS::KafkaConnect::WorkerConfiguration")
    lines = base64.b64decode(worker["PropertiesFileContent"]).decode().splitlines()
    assert dict(line.split("=", 1) for line in lines) == worker_properties()


def test_connector_role_is_scoped_to_this_cluster_topics_and_bronze_prefix(feature_env):
    template = feature_env.template("Streaming")
    env = feature_env.environment
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in template.find_resources("AWS::IAM::Policy").values()
        if "ExecutionRole" in json.dumps(p["Properties"]["Roles"])
    ]
    assert len(policies) == 1
    resources = json.dumps(policies[0])
    assert env.resource_name("kafka") in resources
    assert f"{env.bucket_name('bronze')}/streaming/*" in resources
    for statement in policies[0]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(action.endswith(":*") for action in actions), statement
        assert statement["Resource"] != "*", statement


def test_sink_keys_resolve_under_the_synthesized_projection_template(feature_env):
    """Parity: a key the sink writes resolves under the template read from the synthesized Glue table."""
    tables = feature_env.template("Catalog").find_resources("AWS::Glue::Table")
    for table in STREAMED_TABLES:
        glue = next(
            t["Properties"]["TableInput"]
            for t in tables.values()
            if t["Properties"]["TableInput"]["Name"] == f"{table.name}_events"
        )
        template = glue["Parameters"]["storage.location.template"]
        bucket = feature_env.environment.bucket_name("bronze")
        name = layout.streaming_object_name(str(table.topic), 0, 0, uuid.uuid4().hex)
        key = f"{layout.streaming_table_prefix(table.topic)}dt=2026-11-25/hour=07/{name}"
        resolved = resolve_key(f"s3://{bucket}/{key}", template, glue["Parameters"])
        assert resolved.partition_values == {"dt": "2026-11-25", "hour": "07"}


def test_the_stack_names_the_sink_lag_the_janitor_reads_before_a_pause(feature_env):
    outputs = {key: output["Value"] for key, output in feature_env.template("Streaming").find_outputs("*").items()}
    sink = SinkLag.from_outputs("Streaming", outputs)
    assert sink == SinkLag(
        cluster=feature_env.environment.resource_name("kafka"),
        consumer_group=sink_group(feature_env.environment.resource_name("bronze-sink")),
        topics=tuple(str(table.topic) for table in STREAMED_TABLES),
    )


def test_cloud_producer_replays_only_from_the_landing_replay_prefix(feature_env):
    env = feature_env.environment
    template = feature_env.template("Streaming")
    producer = [
        f["Properties"]
        for f in template.find_resources("AWS::Lambda::Function").values()
        if f["Properties"].get("FunctionName") == env.resource_name("producer")
    ]
    assert len(producer) == 1 and "VpcConfig" in producer[0]
    assert producer[0]["Handler"] == "lambdas.producer.handler.handler"
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert f"{env.bucket_name('landing')}/replay/*" in policies
    assert f"{env.bucket_name('landing')}/*" not in policies
    assert "kafka-cluster:WriteDataIdempotently" in policies


CLUSTER_UUID = "6f1c2a3b-0d4e-4f5a-9b8c-7d6e5f4a3b2c-2"
CONNECTOR_ID = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d-3"


def _connector_policy(synthesized) -> tuple[list[dict], str, str]:
    """The connector role's Kafka statements, with the cluster ARN resolved as MSK would make it."""
    template = synthesized.template("Streaming").to_json()
    env = synthesized.environment
    (cluster_id,) = [k for k, r in template["Resources"].items() if r["Type"] == "AWS::MSK::Cluster"]
    prefix = f"arn:aws:kafka:{env.region}:{env.account}"
    cluster_name = env.resource_name("kafka")
    cluster_arn = f"{prefix}:cluster/{cluster_name}/{CLUSTER_UUID}"
    (policy,) = [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] == "AWS::IAM::Policy" and "ExecutionRole" in json.dumps(r["Properties"]["Roles"])
    ]
    statements = json.loads(
        json.dumps(policy["Statement"]).replace(
            json.dumps({"Fn::GetAtt": [cluster_id, "Arn"]}), json.dumps(cluster_arn)
        )
    )
    kafka = [s for s in statements if any(a.startswith("kafka-cluster:") for a in _list(s["Action"]))]
    assert "Fn::" not in json.dumps(kafka), kafka
    return kafka, prefix, f"{cluster_name}/{CLUSTER_UUID}"


def _list(value):
    return value if isinstance(value, list) else [value]


def _allows(statements: list[dict], action: str, resource: str) -> bool:
    document = json.dumps({"Version": "2012-10-17", "Statement": statements})
    return IAMPolicy(document).is_action_permitted(action, resource) == PermissionResult.PERMITTED


@pytest.mark.parametrize("kind", ["configs", "offsets", "status"])
def test_connector_role_reaches_the_internal_topics_under_both_documented_names(feature_env, kind):
    """MSK Connect's own pages disagree on the prefix of the topics it creates per connector:
    "State management of Amazon MSK Connect applications" (msk-connect-state-management.html) names them
    __msk_connect_<configs|status|offsets>_<connector>_<id>; "Manage source connector offsets"
    (msk-connect-manage-connector-offsets.html) and the service execution role example
    (msk-connect-service-execution-role.html) use __amazon_msk_connect_. The role must allow both."""
    statements, prefix, cluster = _connector_policy(feature_env)
    connector = feature_env.environment.resource_name("bronze-sink")
    for internal in (
        f"__amazon_msk_connect_{kind}_{connector}_{CONNECTOR_ID}",
        f"__msk_connect_{kind}_{connector}_{CONNECTOR_ID}",
    ):
        topic = f"{prefix}:topic/{cluster}/{internal}"
        for action in (
            "kafka-cluster:CreateTopic",
            "kafka-cluster:DescribeTopic",
            "kafka-cluster:ReadData",
            "kafka-cluster:WriteData",
        ):
            assert _allows(statements, action, topic), (action, topic)
        group = f"{prefix}:group/{cluster}/{internal}"
        for action in ("kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"):
            assert _allows(statements, action, group), (action, group)


def test_connector_role_consumes_its_topics_as_its_own_group_only(feature_env):
    statements, prefix, cluster = _connector_policy(feature_env)
    connector = feature_env.environment.resource_name("bronze-sink")
    assert _allows(statements, "kafka-cluster:Connect", f"{prefix}:cluster/{cluster}")
    for topic in TOPICS:
        assert _allows(statements, "kafka-cluster:ReadData", f"{prefix}:topic/{cluster}/{topic}")
        assert not _allows(statements, "kafka-cluster:WriteData", f"{prefix}:topic/{cluster}/{topic}")
    # Kafka Connect's sink consumer group is connect-<connector name>.
    assert _allows(statements, "kafka-cluster:AlterGroup", f"{prefix}:group/{cluster}/connect-{connector}")
    assert not _allows(statements, "kafka-cluster:AlterGroup", f"{prefix}:group/{cluster}/connect-other")
    assert not _allows(statements, "kafka-cluster:ReadData", f"{prefix}:topic/{cluster}/olist.other.v1")
    other_cluster = f"{prefix}:topic/keystone-other-kafka/{CLUSTER_UUID}/__amazon_msk_connect_offsets_x"
    assert not _allows(statements, "kafka-cluster:WriteData", other_cluster)


def _log_group_name(template, reference: dict) -> str:
    (logical_id,) = reference.values()
    return template.to_json()["Resources"][logical_id]["Properties"].get(
        "LogGroupName", "<generated by CloudFormation>"
    )


def test_vended_log_groups_sit_under_the_vendedlogs_prefix(main_env, feature_env):
    """MSK broker logs and MSK Connect worker logs are vended logs: the service adds each log group to the
    account's CloudWatch Logs resource policy, which is limited to 5,120 characters; log groups under
    /aws/vendedlogs/ are covered by one wildcard entry instead ("Enabling logging from AWS services",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html)."""
    for synthesized in (main_env, feature_env):
        template = synthesized.template("Streaming")
        cluster = _one(template, "AWS::MSK::Cluster")
        connector = _one(template, "AWS::KafkaConnect::Connector")
        broker_logs = cluster["LoggingInfo"]["BrokerLogs"]["CloudWatchLogs"]["LogGroup"]
        worker_logs = connector["LogDelivery"]["WorkerLogDelivery"]["CloudWatchLogs"]["LogGroup"]
        for reference in (broker_logs, worker_logs):
            name = _log_group_name(template, reference)
            assert name.startswith("/aws/vendedlogs/"), name
            assert synthesized.environment.slug in name, name
