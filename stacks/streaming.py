"""Streaming: MSK, its topics, and MSK Connect sinking the topics into Bronze."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from contracts import STREAMED_TABLES, layout
from environments import Environment
from lambdas.janitor import drain
from stacks import names
from stacks.compliance import acknowledge_wildcards
from stacks.constructs.failure_queue import FailureQueue
from stacks.constructs.kafka_cluster import KafkaCluster
from stacks.constructs.kafka_topics import KafkaTopics
from stacks.constructs.python_lambda import LOGGING_REQUIREMENTS, DependencyLayer, PythonFunction
from stacks.constructs.s3_sink_connector import S3SinkConnector
from stacks.environment_stack import EnvironmentStack
from stacks.network import NetworkStack
from stacks.storage import StorageStack
from stacks.synth_context import REPO_ROOT


class StreamingStack(EnvironmentStack):
    COMPONENT = "Streaming"
    DESCRIPTION = "MSK, topics and the MSK Connect sink into Bronze"

    def __init__(
        self, scope: Construct, environment: Environment, *, network: NetworkStack, storage: StorageStack
    ) -> None:
        super().__init__(scope, environment)
        self.add_stack_dependency(storage, "the sink writes into the storage stack's Bronze bucket")
        profile, vpc, key = environment.profile, network.vpc, storage.key
        log_retention_days = profile.log_retention_days
        topics = [table.topic for table in STREAMED_TABLES]
        private = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)
        private_subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnets

        self.kafka_client_layer = DependencyLayer(
            self,
            "KafkaClientLayer",
            requirements=[REPO_ROOT / "producers" / "requirements.txt", LOGGING_REQUIREMENTS],
            description="confluent-kafka, the MSK IAM signer, orjson and Powertools' Logger",
        ).layer
        self.cluster = KafkaCluster(
            self,
            "Kafka",
            cluster_name=names.kafka_cluster(environment),
            settings=profile.msk,
            subnets=private_subnets,
            security_group=network.msk_security_group,
            key=key,
            log_retention_days=log_retention_days,
        )
        self.topics = KafkaTopics(
            self,
            "Topics",
            cluster_arn=self.cluster.cluster_arn,
            topics=topics,
            partitions=profile.msk.topic_partitions,
            replication_factor=profile.msk.topic_replication_factor,
        )
        self.connector = S3SinkConnector(
            self,
            "BronzeSink",
            connector_name=names.sink_connector(environment),
            cluster=self.cluster,
            topics=topics,
            bronze_bucket_name=environment.bucket_name("bronze"),
            key=key,
            capacity=profile.connect,
            freshness=profile.freshness,
            subnets=private_subnets,
            security_group=network.connect_security_group,
            log_retention_days=log_retention_days,
        )
        # The sink subscribes to topics that must exist: auto-creation is off.
        self.connector.connector.node.add_dependency(self.topics)
        # Where MSK publishes the sink's consumer lag: the janitor reads it before it pauses the environment.
        for output, value in {
            drain.OUTPUT_CLUSTER: names.kafka_cluster(environment),
            drain.OUTPUT_CONSUMER_GROUP: self.connector.consumer_group,
            drain.OUTPUT_TOPICS: drain.TOPIC_SEPARATOR.join(topics),
        }.items():
            cdk.CfnOutput(self, output, value=value)
        self.producer = self._producer(
            names.producer_function(environment), environment.bucket_name("landing"), topics, key, vpc, private,
            network.lambda_security_group, log_retention_days,
        )  # fmt: skip
        # The olist_replay DAG invokes the producer asynchronously. No retries: a failed replay is re-run by hand
        # (a retry would re-send up to 15 minutes of events), and a malformed request is not transient.
        self.producer_failures = FailureQueue(
            self,
            "ProducerFailures",
            function=self.producer,
            queue_name=names.producer_failure_queue(environment),
            retry_attempts=0,
            key=key,
        ).queue

    def _producer(
        self,
        function_name: str,
        source_bucket_name: str,
        topics: Sequence[str],
        key: kms.IKey,
        vpc: ec2.IVpc,
        subnets: ec2.SubnetSelection,
        security_group: ec2.ISecurityGroup,
        log_retention_days: int,
    ) -> lambda_.IFunction:
        producer = PythonFunction(
            self,
            "Producer",
            function_name=function_name,
            description="Replays Olist CSVs from S3 into MSK (started by hand or by the olist_replay DAG)",
            handler="lambdas.producer.handler.handler",
            packages=["lambdas/producer", "lambdas/logs", "producers", "contracts"],
            layers=[self.kafka_client_layer],
            environment={"BOOTSTRAP_SERVERS": self.cluster.bootstrap_servers},
            timeout=cdk.Duration.minutes(15),
            memory_size=2048,
            log_retention_days=log_retention_days,
            vpc=vpc,
            vpc_subnets=subnets,
            security_groups=[security_group],
        ).function
        source_arn = f"arn:{self.partition}:s3:::{source_bucket_name}"
        replay_objects = f"{source_arn}/{layout.REPLAY_PREFIX}/*"
        topic_arns = [self.cluster.topic_arn(topic) for topic in topics]
        for statement in (
            iam.PolicyStatement(
                actions=["s3:ListBucket"],
                resources=[source_arn],
                conditions={"StringLike": {"s3:prefix": [f"{layout.REPLAY_PREFIX}/*"]}},
            ),
            iam.PolicyStatement(actions=["s3:GetObject"], resources=[replay_objects]),
            iam.PolicyStatement(
                actions=["kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"],
                resources=[self.cluster.cluster_arn],
            ),
            iam.PolicyStatement(
                actions=["kafka-cluster:WriteData", "kafka-cluster:DescribeTopic"], resources=topic_arns
            ),
        ):
            producer.add_to_role_policy(statement)
        key.grant_decrypt(producer)
        acknowledge_wildcards(
            producer,
            [replay_objects, *topic_arns],
            "The CSV sets to replay are chosen per run under the landing bucket's replay/ prefix; topic ARNs "
            "carry the cluster UUID, unknown until deploy.",
        )
        return producer
