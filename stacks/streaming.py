"""Streaming: MSK, its topics, and MSK Connect sinking the topics into Bronze."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from constructs import Construct

from environments.profiles import ConnectCapacity, MskSettings
from stacks.constructs.kafka_cluster import KafkaCluster
from stacks.constructs.kafka_topics import KafkaTopics
from stacks.constructs.python_lambda import DependencyLayer
from stacks.constructs.s3_sink_connector import S3SinkConnector
from stacks.synth_context import REPO_ROOT


class StreamingStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        vpc: ec2.IVpc,
        msk_security_group: ec2.ISecurityGroup,
        connect_security_group: ec2.ISecurityGroup,
        client_security_group: ec2.ISecurityGroup,
        key: kms.IKey,
        bronze_bucket_name: str,
        cluster_name: str,
        connector_name: str,
        topic_admin_function_name: str,
        topics: Sequence[str],
        msk: MskSettings,
        connect: ConnectCapacity,
        log_retention_days: int,
        destroy_data_on_teardown: bool,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        private_subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets

        self.kafka_client_layer = DependencyLayer(
            self,
            "KafkaClientLayer",
            requirements=REPO_ROOT / "producers" / "requirements.txt",
            description="confluent-kafka, the MSK IAM signer and orjson",
        ).layer
        self.cluster = KafkaCluster(
            self,
            "Kafka",
            cluster_name=cluster_name,
            settings=msk,
            subnets=private_subnets,
            security_group=msk_security_group,
            key=key,
            log_retention_days=log_retention_days,
            destroy_on_teardown=destroy_data_on_teardown,
        )
        self.topics = KafkaTopics(
            self,
            "Topics",
            cluster=self.cluster,
            topics=topics,
            partitions=msk.topic_partitions,
            replication_factor=msk.topic_replication_factor,
            function_name=topic_admin_function_name,
            kafka_client_layer=self.kafka_client_layer,
            vpc=vpc,
            subnets=private,
            security_group=client_security_group,
            log_retention_days=log_retention_days,
            destroy_logs_on_teardown=destroy_data_on_teardown,
        )
        self.connector = S3SinkConnector(
            self,
            "BronzeSink",
            connector_name=connector_name,
            cluster=self.cluster,
            topics=topics,
            bronze_bucket_name=bronze_bucket_name,
            key=key,
            capacity=connect,
            subnets=private_subnets,
            security_group=connect_security_group,
            log_retention_days=log_retention_days,
            destroy_on_teardown=destroy_data_on_teardown,
        )
        # The sink subscribes to topics that must exist: auto-creation is off.
        self.connector.connector.node.add_dependency(self.topics.resource)
