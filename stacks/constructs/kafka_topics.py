"""The environment's topics, created idempotently by a custom resource inside the VPC with IAM auth."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.compliance import acknowledge_framework_function, acknowledge_wildcards, token_arn
from stacks.constructs.kafka_cluster import KafkaCluster
from stacks.constructs.python_lambda import PythonFunction


class KafkaTopics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster: KafkaCluster,
        topics: Sequence[str],
        partitions: int,
        replication_factor: int,
        function_name: str,
        kafka_client_layer: lambda_.ILayerVersion,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        log_retention_days: int,
        destroy_logs_on_teardown: bool,
    ) -> None:
        super().__init__(scope, construct_id)
        admin = PythonFunction(
            self,
            "Admin",
            function_name=function_name,
            description="Creates the Olist topics on MSK (custom resource)",
            handler="lambdas.kafka_admin.handler.handler",
            packages=["lambdas/kafka_admin", "producers", "contracts"],
            layers=[kafka_client_layer],
            timeout=cdk.Duration.minutes(5),
            log_retention_days=log_retention_days,
            destroy_logs_on_teardown=destroy_logs_on_teardown,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[security_group],
        ).function
        admin.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kafka-cluster:Connect", "kafka-cluster:DescribeCluster"], resources=[cluster.cluster_arn]
            )
        )
        admin.add_to_role_policy(
            iam.PolicyStatement(
                actions=["kafka-cluster:CreateTopic", "kafka-cluster:DescribeTopic"],
                resources=[cluster.topic_arn(topic) for topic in topics],
            )
        )
        acknowledge_wildcards(
            admin,
            [cluster.topic_arn(topic) for topic in topics],
            "Topic ARNs contain the cluster UUID, unknown until deploy; the wildcard only stands for that UUID.",
        )

        provider = cr.Provider(self, "Provider", on_event_handler=admin)
        acknowledge_framework_function(provider)
        acknowledge_wildcards(
            provider,
            [f"{token_arn(admin.node.default_child)}:*"],
            "CDK's provider framework may invoke every version of the one topic-admin function (<arn>:*).",
        )
        self.resource = cdk.CustomResource(
            self,
            "Topics",
            service_token=provider.service_token,
            resource_type="Custom::KafkaTopics",
            properties={
                "BootstrapServers": cluster.bootstrap_servers,
                "Region": cdk.Stack.of(self).region,
                "Topics": [
                    {"Name": topic, "Partitions": partitions, "ReplicationFactor": replication_factor, "Config": {}}
                    for topic in topics
                ],
            },
        )
