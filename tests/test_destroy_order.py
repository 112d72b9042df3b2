"""`make destroy`: every other stack first (through the CDK CLI), the network stack once Lambda has let go of it.

moto's CloudFormation and EC2 hold the environment and an interface Lambda still uses; a stand-in for the CDK CLI
deletes the stacks it is asked to, in moto, and records the order. Lambda keeps a deleted function's interfaces
up to about 20 minutes (AWS::Lambda::Function VpcConfig, CloudFormation User Guide).
"""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from deployment.destroy import DestroyFailed, destroy
from environments import resolve_environment
from stacks.lakehouse import COMPUTE_COMPONENTS

REGION = "us-east-1"
ENVIRONMENT = resolve_environment("feat-gone")
NETWORK = ENVIRONMENT.stack_name("Network")


class Account:
    def __init__(self) -> None:
        self.cloudformation = boto3.client("cloudformation", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.cdk_calls: list[list[str]] = []
        self.now = 0.0
        self.said: list[str] = []
        tags = [{"Key": "keystone:env", "Value": ENVIRONMENT.slug}]
        network = {
            "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.7.0.0/16"}},
            "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.7.0.0/24"}},
            "Group": {
                "Type": "AWS::EC2::SecurityGroup",
                "Properties": {"GroupDescription": "lambdas", "VpcId": {"Ref": "Vpc"}},
            },
        }
        self.cloudformation.create_stack(StackName=NETWORK, TemplateBody=json.dumps({"Resources": network}), Tags=tags)
        for component in ("Ingestion", "Streaming"):
            self.cloudformation.create_stack(
                StackName=ENVIRONMENT.stack_name(component),
                TemplateBody=json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}),
                Tags=tags,
            )
        resources = {
            s["LogicalResourceId"]: s["PhysicalResourceId"]
            for s in self.cloudformation.list_stack_resources(StackName=NETWORK)["StackResourceSummaries"]
        }
        self.interface = self.ec2.create_network_interface(
            SubnetId=resources["Subnet"], Groups=[resources["Group"]], Description="AWS Lambda VPC ENI-ingestion"
        )["NetworkInterface"]["NetworkInterfaceId"]
        self.release_after_sleeps: int | None = None
        self.sleeps = 0

    def cdk(self, arguments) -> int:
        self.cdk_calls.append(list(arguments))
        for name in (a for a in arguments[1:] if not a.startswith("--")):
            self.cloudformation.delete_stack(StackName=name)
        return 0

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        self.sleeps += 1
        if self.sleeps == self.release_after_sleeps:
            self.ec2.delete_network_interface(NetworkInterfaceId=self.interface)

    def live(self) -> set[str]:
        return {
            s["StackName"]
            for s in self.cloudformation.list_stacks()["StackSummaries"]
            if "DELETE" not in s["StackStatus"]
        }

    def destroy(self, **options) -> None:
        destroy(
            ENVIRONMENT,
            self.cloudformation,
            self.ec2,
            self.cdk,
            sleep=self.sleep,
            monotonic=lambda: self.now,
            say=self.said.append,
            **options,
        )


@pytest.fixture
def account(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        yield Account()


def test_the_network_stack_goes_last_once_lambda_has_released_its_interfaces(account):
    account.release_after_sleeps = 3

    account.destroy()

    assert account.cdk_calls == [
        ["destroy", "--force", ENVIRONMENT.stack_name("Ingestion"), ENVIRONMENT.stack_name("Streaming")],
        ["destroy", "--force", "--exclusively", NETWORK],
    ]
    assert account.live() == set()
    assert len([line for line in account.said if line.startswith("waiting for Lambda to release")]) == 3
    assert account.interface in account.said[0] and NETWORK in account.said[0]


def test_interfaces_that_never_go_leave_the_network_stack_with_a_clear_error(account):
    with pytest.raises(DestroyFailed, match=rf"{NETWORK} not deleted: Lambda network interfaces {account.interface}"):
        account.destroy(eni_limit=timedelta(minutes=10))

    assert account.live() == {NETWORK}
    assert all(NETWORK not in call for call in account.cdk_calls)
    assert account.now == 600


def test_a_pause_deletes_the_compute_stacks_and_keeps_the_others(account):
    account.release_after_sleeps = 1

    account.destroy(components=COMPUTE_COMPONENTS)

    assert account.cdk_calls == [
        ["destroy", "--force", ENVIRONMENT.stack_name("Streaming")],
        ["destroy", "--force", "--exclusively", NETWORK],
    ]
    assert account.live() == {ENVIRONMENT.stack_name("Ingestion")}
