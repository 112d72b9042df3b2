"""The environment's topics as AWS::MSK::Topic: MSK's topic API creates them, grows partitions in place."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import aws_msk as msk
from constructs import Construct


class KafkaTopics(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_arn: str,
        topics: Sequence[str],
        partitions: int,
        replication_factor: int,
    ) -> None:
        super().__init__(scope, construct_id)
        for topic in topics:
            msk.CfnTopic(
                self,
                topic,
                cluster_arn=cluster_arn,
                topic_name=topic,
                partition_count=partitions,
                replication_factor=replication_factor,
            )
