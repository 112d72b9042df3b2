"""An MSK provisioned cluster: IAM auth, TLS everywhere, KMS at rest, no automatic topic creation."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_msk as msk
from aws_cdk import custom_resources as cr
from constructs import Construct

from environments.profiles import MskSettings
from stacks.compliance import AWS_CUSTOM_RESOURCE_SINGLETON, acknowledge_framework_function
from stacks.constructs.content_name import named_by_content
from stacks.constructs.retention import log_group

SERVER_PROPERTIES = {
    # Topics exist because the stack created them, never because a client mistyped a name.
    "auto.create.topics.enable": "false",
    "default.replication.factor": "2",
    "min.insync.replicas": "1",
    "unclean.leader.election.enable": "false",
}


class KafkaCluster(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        cluster_name: str,
        settings: MskSettings,
        subnets: list[ec2.ISubnet],
        security_group: ec2.ISecurityGroup,
        key: kms.IKey,
        log_retention_days: int,
    ) -> None:
        super().__init__(scope, construct_id)
        # The Kafka versions are create-only; the server properties are updated in place as a new revision.
        configuration = msk.CfnConfiguration(
            self,
            "Configuration",
            name=named_by_content(f"{cluster_name}-config", settings.kafka_version),
            kafka_versions_list=[settings.kafka_version],
            server_properties="\n".join(f"{key}={value}" for key, value in SERVER_PROPERTIES.items()),
        )
        # MSK adds its log group to the account's 5,120-character log resource policy unless it is a vended one.
        broker_logs = log_group(
            self,
            "BrokerLogs",
            name=f"/aws/vendedlogs/msk/{cluster_name}",
            retention_days=log_retention_days,
        )
        self.cluster = msk.CfnCluster(
            self,
            "Cluster",
            cluster_name=cluster_name,
            kafka_version=settings.kafka_version,
            number_of_broker_nodes=settings.brokers_per_az * len(subnets),
            broker_node_group_info=msk.CfnCluster.BrokerNodeGroupInfoProperty(
                instance_type=settings.broker_instance_type,
                client_subnets=[subnet.subnet_id for subnet in subnets],
                security_groups=[security_group.security_group_id],
                storage_info=msk.CfnCluster.StorageInfoProperty(
                    ebs_storage_info=msk.CfnCluster.EBSStorageInfoProperty(volume_size=settings.volume_size_gib)
                ),
            ),
            client_authentication=msk.CfnCluster.ClientAuthenticationProperty(
                sasl=msk.CfnCluster.SaslProperty(iam=msk.CfnCluster.IamProperty(enabled=True)),
                unauthenticated=msk.CfnCluster.UnauthenticatedProperty(enabled=False),
            ),
            encryption_info=msk.CfnCluster.EncryptionInfoProperty(
                encryption_at_rest=msk.CfnCluster.EncryptionAtRestProperty(data_volume_kms_key_id=key.key_arn),
                encryption_in_transit=msk.CfnCluster.EncryptionInTransitProperty(client_broker="TLS", in_cluster=True),
            ),
            configuration_info=msk.CfnCluster.ConfigurationInfoProperty(
                arn=configuration.attr_arn, revision=configuration.attr_latest_revision_revision
            ),
            logging_info=msk.CfnCluster.LoggingInfoProperty(
                broker_logs=msk.CfnCluster.BrokerLogsProperty(
                    cloud_watch_logs=msk.CfnCluster.CloudWatchLogsProperty(
                        enabled=True, log_group=broker_logs.log_group_name
                    )
                )
            ),
            enhanced_monitoring="PER_BROKER",
        )
        self.cluster_arn = self.cluster.attr_arn
        self.cluster_name = cluster_name
        self.bootstrap_servers = self._bootstrap_servers()

    def _bootstrap_servers(self) -> str:
        # CloudFormation has no attribute for the broker endpoints, so ask the MSK API once the cluster exists.
        call = cr.AwsSdkCall(
            service="Kafka",
            action="getBootstrapBrokers",
            parameters={"ClusterArn": self.cluster_arn},
            physical_resource_id=cr.PhysicalResourceId.of(self.cluster_name),
            output_paths=["BootstrapBrokerStringSaslIam"],
        )
        lookup = cr.AwsCustomResource(
            self,
            "BootstrapBrokers",
            on_create=call,
            on_update=call,
            policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[self.cluster_arn]),
            install_latest_aws_sdk=False,
        )
        # AwsCustomResource runs in one singleton function per stack, outside this construct.
        acknowledge_framework_function(cdk.Stack.of(self).node.find_child(AWS_CUSTOM_RESOURCE_SINGLETON))
        return lookup.get_response_field("BootstrapBrokerStringSaslIam")

    def topic_arn(self, topic: str) -> str:
        """Topics are addressed as topic/<cluster name>/<cluster uuid>/<topic>; the uuid is unknown at synth."""
        return cdk.Stack.of(self).format_arn(
            service="kafka", resource="topic", resource_name=f"{self.cluster_name}/*/{topic}"
        )

    def group_arn(self, group: str) -> str:
        return cdk.Stack.of(self).format_arn(
            service="kafka", resource="group", resource_name=f"{self.cluster_name}/*/{group}"
        )
