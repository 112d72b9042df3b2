"""MSK Connect running the project's S3 sink plugin into Bronze, configured from `connector.s3_sink`."""

from __future__ import annotations

import base64
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kafkaconnect as kafkaconnect
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from connector.build import PLUGIN_NAME, build_plugin
from connector.s3_sink import S3SinkSettings, connector_config, worker_properties_file
from contracts import layout
from environments.profiles import ConnectCapacity, Freshness
from stacks.compliance import acknowledge_wildcards
from stacks.constructs.content_name import named_by_content
from stacks.constructs.kafka_cluster import KafkaCluster
from stacks.constructs.retention import log_group

KAFKA_CONNECT_VERSION = "3.7.x"
# MSK Connect's guide names the topics it creates per connector both ways: __msk_connect_<kind>_<connector>_<id>
# ("State management of Amazon MSK Connect applications") and __amazon_msk_connect_<kind>_<connector>_<id>
# ("Manage source connector offsets", the service execution role example).
INTERNAL_NAME_PATTERNS = ("__amazon_msk_connect_*", "__msk_connect_*")


class S3SinkConnector(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        connector_name: str,
        cluster: KafkaCluster,
        topics: Sequence[str],
        bronze_bucket_name: str,
        key: kms.IKey,
        capacity: ConnectCapacity,
        freshness: Freshness,
        subnets: list[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)

        plugin_zip = s3_assets.Asset(self, "PluginZip", path=str(build_plugin().zip_path))
        plugin = kafkaconnect.CfnCustomPlugin(
            self,
            "Plugin",
            name=f"{connector_name}-{PLUGIN_NAME}-{plugin_zip.asset_hash[:12]}",
            content_type="ZIP",
            location=kafkaconnect.CfnCustomPlugin.CustomPluginLocationProperty(
                s3_location=kafkaconnect.CfnCustomPlugin.S3LocationProperty(
                    bucket_arn=plugin_zip.bucket.bucket_arn, file_key=plugin_zip.s3_object_key
                )
            ),
        )
        properties = worker_properties_file()
        worker = kafkaconnect.CfnWorkerConfiguration(
            self,
            "WorkerConfiguration",
            name=named_by_content(f"{connector_name}-worker", properties),
            properties_file_content=base64.b64encode(properties.encode()).decode(),
        )
        # MSK Connect adds its log group to the account's 5,120-character log resource policy unless it is vended.
        worker_logs = log_group(
            self,
            "WorkerLogs",
            name=f"/aws/vendedlogs/kafkaconnect/{connector_name}",
            retention_days=log_retention_days,
        )

        self.role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal(
                "kafkaconnect.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": stack.account}}
            ),
            description=f"MSK Connect {connector_name}: read its topics, write Bronze",
        )
        internal_topics = [cluster.topic_arn(pattern) for pattern in INTERNAL_NAME_PATTERNS]
        internal_groups = [cluster.group_arn(pattern) for pattern in INTERNAL_NAME_PATTERNS]
        own_group = cluster.group_arn(f"connect-{connector_name}")
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], resources=[cluster.cluster_arn]
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["kafka-cluster:ReadData", "kafka-cluster:DescribeTopic"],
                resources=[cluster.topic_arn(topic) for topic in topics],
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "kafka-cluster:CreateTopic",
                    "kafka-cluster:DescribeTopic",
                    "kafka-cluster:ReadData",
                    "kafka-cluster:WriteData",
                ],
                resources=internal_topics,
            )
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                actions=["kafka-cluster:AlterGroup", "kafka-cluster:DescribeGroup"],
                resources=[own_group, *internal_groups],
            )
        )
        bronze_arn = f"arn:{stack.partition}:s3:::{bronze_bucket_name}"
        # The plugin's one S3 call is a single PutObject per object (S3Clients.put): no multipart, no reads, no
        # listing (tests/test_iam_execution.py makes that call under this role).
        self.role.add_to_policy(
            iam.PolicyStatement(actions=["s3:PutObject"], resources=[f"{bronze_arn}/{layout.STREAMING_PREFIX}/*"])
        )
        key.grant(self.role, "kms:GenerateDataKey", "kms:Decrypt")
        acknowledge_wildcards(
            self.role,
            [cluster.topic_arn(topic) for topic in topics] + [own_group],
            "Topic and group ARNs carry the cluster UUID, unknown until deploy; the wildcard stands only for it.",
        )
        acknowledge_wildcards(
            self.role,
            [*internal_topics, *internal_groups],
            "MSK Connect names its internal topics and groups __amazon_msk_connect_<suffix> or __msk_connect_<suffix> "
            "at run time.",
        )
        acknowledge_wildcards(
            self.role,
            [f"{bronze_arn}/{layout.STREAMING_PREFIX}/*"],
            "The sink writes new objects under Bronze's streaming/ prefix only; keys are made at run time.",
        )

        sink = S3SinkSettings(
            topics=tuple(topics),
            bucket=bronze_bucket_name,
            region=stack.region,
            rotate_interval_ms=freshness.sink_rotate_interval_ms,
        )
        self.connector = kafkaconnect.CfnConnector(
            self,
            "Connector",
            connector_name=connector_name,
            connector_description="Olist events from MSK into the Bronze bucket as gzip JSON lines",
            kafka_connect_version=KAFKA_CONNECT_VERSION,
            connector_configuration=connector_config(sink),
            capacity=_capacity(capacity),
            kafka_cluster=kafkaconnect.CfnConnector.KafkaClusterProperty(
                apache_kafka_cluster=kafkaconnect.CfnConnector.ApacheKafkaClusterProperty(
                    bootstrap_servers=cluster.bootstrap_servers,
                    vpc=kafkaconnect.CfnConnector.VpcProperty(
                        security_groups=[security_group.security_group_id],
                        subnets=[subnet.subnet_id for subnet in subnets],
                    ),
                )
            ),
            kafka_cluster_client_authentication=kafkaconnect.CfnConnector.KafkaClusterClientAuthenticationProperty(
                authentication_type="IAM"
            ),
            kafka_cluster_encryption_in_transit=kafkaconnect.CfnConnector.KafkaClusterEncryptionInTransitProperty(
                encryption_type="TLS"
            ),
            plugins=[
                kafkaconnect.CfnConnector.PluginProperty(
                    custom_plugin=kafkaconnect.CfnConnector.CustomPluginProperty(
                        custom_plugin_arn=plugin.attr_custom_plugin_arn, revision=plugin.attr_revision
                    )
                )
            ],
            worker_configuration=kafkaconnect.CfnConnector.WorkerConfigurationProperty(
                worker_configuration_arn=worker.attr_worker_configuration_arn, revision=worker.attr_revision
            ),
            log_delivery=kafkaconnect.CfnConnector.LogDeliveryProperty(
                worker_log_delivery=kafkaconnect.CfnConnector.WorkerLogDeliveryProperty(
                    cloud_watch_logs=kafkaconnect.CfnConnector.CloudWatchLogsLogDeliveryProperty(
                        enabled=True, log_group=worker_logs.log_group_name
                    )
                )
            ),
            service_execution_role_arn=self.role.role_arn,
        )
        self.connector.node.add_dependency(self.role)
        # Kafka Connect's sink consumer group; the connector keeps its name (CloudFormation deletes a connector
        # before it creates its replacement), so a replaced connector resumes from the group's committed offsets.
        self.consumer_group = f"connect-{connector_name}"


def _capacity(capacity: ConnectCapacity) -> kafkaconnect.CfnConnector.CapacityProperty:
    if capacity.min_workers == capacity.max_workers:
        return kafkaconnect.CfnConnector.CapacityProperty(
            provisioned_capacity=kafkaconnect.CfnConnector.ProvisionedCapacityProperty(
                mcu_count=capacity.mcu_count, worker_count=capacity.min_workers
            )
        )
    return kafkaconnect.CfnConnector.CapacityProperty(
        auto_scaling=kafkaconnect.CfnConnector.AutoScalingProperty(
            mcu_count=capacity.mcu_count,
            min_worker_count=capacity.min_workers,
            max_worker_count=capacity.max_workers,
            scale_in_policy=kafkaconnect.CfnConnector.ScaleInPolicyProperty(cpu_utilization_percentage=20),
            scale_out_policy=kafkaconnect.CfnConnector.ScaleOutPolicyProperty(cpu_utilization_percentage=80),
        )
    )
