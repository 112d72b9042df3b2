"""The janitor against moto's CloudFormation, S3, Logs and EC2: expired ephemeral environments go, the rest stay."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from moto import mock_aws

from lambdas.janitor.leftovers import MWAA_LOG_COMPONENTS
from lambdas.janitor.records import DELETE_COMPLETE
from lambdas.janitor.teardown import Clients, Janitor, Settings

REGION = "us-east-1"
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
PAST = "2026-11-24T09:00:00Z"
FUTURE = "2026-11-27T09:00:00Z"
COMPONENTS = ("Network", "Storage", "Catalog", "Orchestration")


def _tags(slug: str, profile: str, expires_at: str | None) -> list[dict[str, str]]:
    tags = {"keystone:env": slug, "keystone:branch": slug, "keystone:profile": profile}
    if expires_at:
        tags["keystone:expires-at"] = expires_at
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _templates(slug: str, tags: list[dict[str, str]]) -> dict[str, dict]:
    """A miniature of one environment as CDK writes it: tagged resources and cross-stack exports/imports."""
    return {
        "Network": {
            "Resources": {
                "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.40.0.0/16", "Tags": tags}},
                "PrivateSubnet": {
                    "Type": "AWS::EC2::Subnet",
                    "Properties": {"VpcId": {"Ref": "Vpc"}, "CidrBlock": "10.40.0.0/24", "Tags": tags},
                },
                "LambdaSecurityGroup": {
                    "Type": "AWS::EC2::SecurityGroup",
                    "Properties": {"GroupDescription": "Lambdas", "VpcId": {"Ref": "Vpc"}, "Tags": tags},
                },
            },
            "Outputs": {
                "Sg": {"Value": {"Ref": "LambdaSecurityGroup"}, "Export": {"Name": f"{slug}-lambda-sg"}},
            },
        },
        "Storage": {
            "Resources": {
                "Bronze": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {"BucketName": f"keystone-{slug}-bronze-abcd1234", "Tags": tags},
                    "DeletionPolicy": "Delete",
                },
                "Artifacts": {
                    "Type": "AWS::S3::Bucket",
                    "Properties": {
                        "BucketName": f"keystone-{slug}-artifacts-abcd1234",
                        "VersioningConfiguration": {"Status": "Enabled"},
                        "Tags": tags,
                    },
                    "DeletionPolicy": "Retain",
                },
            },
            "Outputs": {"BronzeName": {"Value": {"Ref": "Bronze"}, "Export": {"Name": f"{slug}-bronze"}}},
        },
        "Catalog": {
            "Resources": {
                "Queue": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {"QueueName": {"Fn::Join": ["-", [{"Fn::ImportValue": f"{slug}-bronze"}, "q"]]}},
                }
            }
        },
        "Orchestration": {
            "Resources": {
                "AirflowStandIn": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": _mwaa_name(slug)}},
                "Queue": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {"QueueName": {"Fn::Join": ["-", [{"Fn::ImportValue": f"{slug}-lambda-sg"}, "q"]]}},
                },
            }
        },
    }


def _mwaa_name(slug: str) -> str:
    return f"keystone-{slug}-airflow"


class World:
    """Environments deployed into moto, plus what MWAA and Lambda create outside CloudFormation.

    Two gaps of moto are filled here, and only here: its CloudFormation cannot create MWAA environments (each
    Orchestration stack's stand-in queue is reported as one), and describing a deleted stack or listing its
    resources makes moto re-create them, where CloudFormation answers with what the stack had; those two calls
    are answered from a snapshot taken when the stack is deleted.
    """

    def __init__(self) -> None:
        self.cloudformation = boto3.client("cloudformation", region_name=REGION)
        self.s3 = boto3.client("s3", region_name=REGION)
        self.logs = boto3.client("logs", region_name=REGION)
        self.ec2 = boto3.client("ec2", region_name=REGION)
        self.cloudwatch = boto3.client("cloudwatch", region_name=REGION)
        self.delete_order: list[str] = []
        self._at_delete: dict[str, dict[str, dict]] = {}
        events = self.cloudformation.meta.events
        events.register("provide-client-params.cloudformation.DeleteStack", self._before_delete)
        events.register("before-call.cloudformation.DescribeStacks", self._answer_for_deleted_stack)
        events.register("before-call.cloudformation.ListStackResources", self._answer_for_deleted_stack)
        events.register("after-call.cloudformation.ListStackResources", self._add_mwaa)

    def _before_delete(self, params, **_kwargs) -> None:
        stack = self.cloudformation.describe_stacks(StackName=params["StackName"])["Stacks"][0]
        self.delete_order.append(stack["StackName"])
        resources = self.cloudformation.list_stack_resources(StackName=stack["StackId"])
        self._at_delete[stack["StackId"]] = {
            "DescribeStacks": {"Stacks": [stack | {"StackStatus": DELETE_COMPLETE}]},
            "ListStackResources": {"StackResourceSummaries": resources["StackResourceSummaries"]},
        }

    def _answer_for_deleted_stack(self, params, model, **_kwargs):
        stack_id = params["body"].get("StackName")
        if stack_id not in self._at_delete or not self._deleted(stack_id):
            return None
        return AWSResponse("https://cloudformation.test", 200, {}, None), self._at_delete[stack_id][model.name]

    def _deleted(self, stack_id: str) -> bool:
        summaries = self.cloudformation.list_stacks(StackStatusFilter=[DELETE_COMPLETE])["StackSummaries"]
        return any(summary["StackId"] == stack_id for summary in summaries)

    def _add_mwaa(self, parsed, **_kwargs) -> None:
        summaries = parsed.get("StackResourceSummaries", [])
        for summary in list(summaries):
            if summary["LogicalResourceId"] == "AirflowStandIn":
                queue_name = summary["PhysicalResourceId"].rsplit("/", 1)[-1]
                summaries.append(
                    summary
                    | {
                        "LogicalResourceId": "Airflow",
                        "PhysicalResourceId": queue_name,
                        "ResourceType": "AWS::MWAA::Environment",
                    }
                )

    def deploy(self, slug: str, profile: str, expires_at: str | None) -> None:
        tags = _tags(slug, profile, expires_at)
        for component, template in _templates(slug, tags).items():
            self.cloudformation.create_stack(
                StackName=f"Keystone-{slug}-{component}", TemplateBody=json.dumps(template), Tags=tags
            )
        for bucket in self.buckets(slug):
            for version in range(3):
                self.s3.put_object(Bucket=bucket, Key="streaming/olist.orders.v1/part.jsonl.gz", Body=b"%d" % version)
        self.s3.delete_object(Bucket=self.buckets(slug)[1], Key="streaming/olist.orders.v1/part.jsonl.gz")
        for component in MWAA_LOG_COMPONENTS:
            self.logs.create_log_group(logGroupName=f"airflow-{_mwaa_name(slug)}-{component}")
        network = self.stack_resources(f"Keystone-{slug}-Network")
        self.ec2.create_network_interface(  # what a VPC Lambda leaves behind after its function is gone
            SubnetId=network["PrivateSubnet"],
            Groups=[network["LambdaSecurityGroup"]],
            Description=f"AWS Lambda VPC ENI-keystone-{slug}-ingest",
        )

    def stack_resources(self, stack_name: str) -> dict[str, str]:
        summaries = self.cloudformation.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
        return {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}

    @staticmethod
    def buckets(slug: str) -> list[str]:
        return [f"keystone-{slug}-bronze-abcd1234", f"keystone-{slug}-artifacts-abcd1234"]

    def live_stacks(self) -> set[str]:
        summaries = self.cloudformation.list_stacks()["StackSummaries"]
        return {s["StackName"] for s in summaries if s["StackStatus"] != DELETE_COMPLETE}

    def existing_buckets(self) -> set[str]:
        return {bucket["Name"] for bucket in self.s3.list_buckets()["Buckets"]}

    def log_groups(self) -> set[str]:
        return {group["logGroupName"] for group in self.logs.describe_log_groups()["logGroups"]}

    def lambda_enis(self) -> int:
        interfaces = self.ec2.describe_network_interfaces()["NetworkInterfaces"]
        return sum(i.get("Description", "").startswith("AWS Lambda VPC ENI") for i in interfaces)

    def janitor(self) -> Janitor:
        clients = Clients(self.cloudformation, self.s3, self.logs, self.ec2, self.cloudwatch)
        return Janitor(clients, Settings(poll_seconds=0), clock=lambda: NOW)

    def run(self):
        return self.janitor().run(seconds_left=lambda: 900.0, sleep=lambda _seconds: None)


@pytest.fixture
def world(monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        yield World()


def _stacks(slug: str) -> set[str]:
    return {f"Keystone-{slug}-{component}" for component in COMPONENTS}


def test_an_expired_environment_goes_with_its_leftovers(world):
    world.deploy("feat-old", "ephemeral", PAST)

    report = world.run()

    assert report.errors == []
    assert world.live_stacks() == set()
    assert world.existing_buckets() == set()  # the retained, versioned bucket too
    assert not any(name.startswith("airflow-keystone-feat-old-") for name in world.log_groups())
    assert world.lambda_enis() == 0
    assert "keystone-feat-old-artifacts-abcd1234" in report.deleted_buckets  # retained by its stack


def test_stacks_are_deleted_after_every_stack_that_imports_from_them(world):
    world.deploy("feat-old", "ephemeral", PAST)

    world.run()

    order = world.delete_order
    assert sorted(order) == sorted(_stacks("feat-old"))
    assert order.index("Keystone-feat-old-Catalog") < order.index("Keystone-feat-old-Storage")
    assert order.index("Keystone-feat-old-Orchestration") < order.index("Keystone-feat-old-Network")


def test_live_and_persistent_environments_stay(world):
    world.deploy("feat-old", "ephemeral", PAST)
    world.deploy("feat-live", "ephemeral", FUTURE)
    world.deploy("main", "persistent", None)
    world.deploy("release", "persistent", PAST)  # an expiry tag never makes a persistent environment expire
    world.deploy("no-expiry", "ephemeral", None)
    world.cloudformation.create_stack(  # the janitor's own stack carries no environment tag
        StackName="Keystone-Janitor",
        TemplateBody=json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}),
    )
    survivors = ["feat-live", "main", "release", "no-expiry"]

    report = world.run()

    assert report.errors == []
    assert world.live_stacks() == {"Keystone-Janitor"} | set().union(*(_stacks(slug) for slug in survivors))
    assert world.existing_buckets() == {bucket for slug in survivors for bucket in World.buckets(slug)}
    assert {f"airflow-{_mwaa_name(slug)}-Task" for slug in survivors} <= world.log_groups()
    assert world.lambda_enis() == len(survivors)
    assert report.kept == {"feat-live": "live", "main": "persistent", "release": "persistent", "no-expiry": "undated"}


def test_an_environment_with_any_persistent_stack_is_never_torn_down(world):
    world.deploy("mixed", "ephemeral", PAST)
    world.cloudformation.update_stack(
        StackName="Keystone-mixed-Storage",
        TemplateBody=json.dumps(_templates("mixed", _tags("mixed", "persistent", None))["Storage"]),
        Tags=_tags("mixed", "persistent", None),
    )

    report = world.run()

    assert world.live_stacks() == _stacks("mixed")
    assert report.kept == {"mixed": "persistent"}


def test_a_slug_that_prefixes_another_only_takes_its_own_log_groups(world):
    world.deploy("feat", "ephemeral", PAST)
    world.deploy("feat-x", "ephemeral", FUTURE)

    world.run()

    assert world.live_stacks() == _stacks("feat-x")
    assert {f"airflow-{_mwaa_name('feat-x')}-{component}" for component in MWAA_LOG_COMPONENTS} == world.log_groups()


def test_leftovers_of_a_destroyed_ephemeral_environment_are_swept_but_never_a_persistent_ones(world):
    world.deploy("feat-gone", "ephemeral", FUTURE)
    world.deploy("main", "persistent", None)
    for slug in ("feat-gone", "main"):  # `make destroy`: the stacks go, retained buckets and MWAA logs stay
        for component in reversed(COMPONENTS):
            world.cloudformation.delete_stack(StackName=f"Keystone-{slug}-{component}")

    report = world.run()

    assert report.errors == []
    assert world.existing_buckets() & set(World.buckets("feat-gone")) == set()
    assert "keystone-main-artifacts-abcd1234" in world.existing_buckets()
    assert not any(name.startswith("airflow-keystone-feat-gone-") for name in world.log_groups())
    assert f"airflow-{_mwaa_name('main')}-Task" in world.log_groups()


def test_a_bucket_without_its_environment_tags_is_left_alone_and_reported(world):
    world.deploy("feat-old", "ephemeral", PAST)
    world.s3.delete_bucket_tagging(Bucket="keystone-feat-old-artifacts-abcd1234")

    report = world.run()

    assert "keystone-feat-old-artifacts-abcd1234" in world.existing_buckets()
    assert any("keystone-feat-old-artifacts-abcd1234" in error for error in report.errors)
