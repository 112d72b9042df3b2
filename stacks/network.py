"""Network: a two-AZ VPC with private subnets and the security groups of each workload."""

from __future__ import annotations

from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from environments import Environment
from environments.profiles import AVAILABILITY_ZONES
from stacks.constructs.retention import log_group
from stacks.environment_stack import EnvironmentStack

# MSK brokers accept IAM-authenticated TLS clients on this port.
MSK_IAM_PORT = 9098


class NetworkStack(EnvironmentStack):
    COMPONENT = "Network"
    DESCRIPTION = "VPC, subnets and security groups"

    def __init__(self, scope: Construct, environment: Environment) -> None:
        super().__init__(scope, environment)

        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.40.0.0/16"),
            max_azs=AVAILABILITY_ZONES,
            nat_gateways=environment.profile.nat_gateways,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20),
            ],
            gateway_endpoints={"S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)},
            restrict_default_security_group=True,
        )
        flow_log_group = log_group(self, "FlowLogs", retention_days=environment.profile.log_retention_days)
        self.vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group))

        self.msk_security_group = self._security_group("Msk", "MSK brokers: IAM/TLS clients only")
        self.connect_security_group = self._security_group("Connect", "MSK Connect workers")
        self.lambda_security_group = self._security_group("Lambda", "Lambdas inside the VPC (the producer)")
        self.mwaa_security_group = self._security_group("Mwaa", "MWAA scheduler, workers and webserver")
        # MWAA's components talk to each other on any port; AWS documents a self-referencing rule.
        self.mwaa_security_group.add_ingress_rule(self.mwaa_security_group, ec2.Port.all_traffic(), "MWAA internal")
        self.mwaa_security_group.add_egress_rule(self.mwaa_security_group, ec2.Port.all_traffic(), "MWAA internal")

        for client in (self.connect_security_group, self.lambda_security_group, self.mwaa_security_group):
            self.msk_security_group.add_ingress_rule(client, ec2.Port.tcp(MSK_IAM_PORT), "Kafka over TLS with IAM auth")
            client.add_egress_rule(self.msk_security_group, ec2.Port.tcp(MSK_IAM_PORT), "Kafka over TLS with IAM auth")
            client.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "AWS APIs (S3, STS, Glue, Athena) over TLS")

    @property
    def private_subnets(self) -> ec2.SubnetSelection:
        return ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

    def _security_group(self, name: str, description: str) -> ec2.SecurityGroup:
        return ec2.SecurityGroup(
            self, f"{name}SecurityGroup", vpc=self.vpc, description=description, allow_all_outbound=False
        )
