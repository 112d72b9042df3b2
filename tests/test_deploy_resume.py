"""`make deploy` after a cut-off run: stacks left in progress are waited for, those CDK cannot fix stop it clearly.

Stacks live in moto's CloudFormation; the statuses a cancelled deploy leaves (moto finishes every operation at
once) are played back through its DescribeStacks answers. What `cdk deploy` itself does with a stack in each state
was read from the pinned CLI (node_modules/aws-cdk/lib/index.js, toolkit-lib deploy-stack.ts): it deletes and
re-creates a stack whose creation failed (ROLLBACK_COMPLETE, ROLLBACK_FAILED), does not wait for one in progress
(CloudFormation refuses the change set), and asks before continuing a failed rollback.
"""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
from moto import mock_aws

from deployment.aws import reader_session
from deployment.resume import CannotResume, settle

REGION = "us-east-1"
SLUG = "feat-x"


class Account:
    def __init__(self) -> None:
        self.cloudformation = boto3.client("cloudformation", region_name=REGION)
        self.statuses: dict[str, list[str]] = {}  # stack name -> statuses still to report, one per look
        self.now = 0.0
        self.slept: list[float] = []
        self.said: list[str] = []
        self.cloudformation.meta.events.register("after-call.cloudformation.DescribeStacks", self._play)

    def deploy(self, slug: str, component: str) -> None:
        self.cloudformation.create_stack(
            StackName=f"Keystone-{slug}-{component}",
            TemplateBody=json.dumps({"Resources": {"Queue": {"Type": "AWS::SQS::Queue"}}}),
            Tags=[{"Key": "keystone:env", "Value": slug}],
        )

    def _play(self, parsed, **_kwargs) -> None:
        for stack in parsed.get("Stacks", []):
            script = self.statuses.get(stack["StackName"])
            if script:
                stack["StackStatus"] = script.pop(0) if len(script) > 1 else script[0]

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def settle(self, **options):
        return settle(
            self.cloudformation, SLUG, sleep=self.sleep, monotonic=lambda: self.now, say=self.said.append, **options
        )


@pytest.fixture
def account(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    with mock_aws():
        world = Account()
        for component in ("Network", "Storage", "Streaming", "Orchestration"):
            world.deploy(SLUG, component)
        world.deploy("feat-x-y", "Streaming")  # a slug that extends this one: never waited for
        yield world


def test_a_stack_a_cut_off_run_left_in_progress_is_waited_for(account):
    account.statuses["Keystone-feat-x-Streaming"] = ["CREATE_IN_PROGRESS"] * 3 + ["CREATE_COMPLETE"]
    account.statuses["Keystone-feat-x-Orchestration"] = ["UPDATE_ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_COMPLETE"]
    account.statuses["Keystone-feat-x-y-Streaming"] = ["UPDATE_IN_PROGRESS"]

    stacks = account.settle()

    assert len(account.slept) == 3
    assert {stack.name: stack.status for stack in stacks} == {
        "Keystone-feat-x-Network": "CREATE_COMPLETE",
        "Keystone-feat-x-Orchestration": "UPDATE_ROLLBACK_COMPLETE",
        "Keystone-feat-x-Storage": "CREATE_COMPLETE",
        "Keystone-feat-x-Streaming": "CREATE_COMPLETE",
    }
    assert "Keystone-feat-x-Streaming (CREATE_IN_PROGRESS)" in account.said[0]
    assert "an earlier run was cut off" in account.said[0]


def test_a_failed_creation_is_left_to_cdk_which_recreates_it(account):
    account.statuses["Keystone-feat-x-Streaming"] = ["ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE"]

    account.settle()

    recreated = [line for line in account.said if "cdk deploy deletes and creates it again" in line]
    assert recreated and "ROLLBACK_COMPLETE" in recreated[0]


@pytest.mark.parametrize("status", ["UPDATE_ROLLBACK_FAILED", "DELETE_FAILED"])
def test_a_stack_cdk_cannot_continue_from_stops_the_deploy_with_what_to_do(account, status):
    account.statuses["Keystone-feat-x-Orchestration"] = [status]

    with pytest.raises(CannotResume, match=r"Keystone-feat-x-Orchestration: its (rollback|deletion) failed"):
        account.settle()


def test_the_wait_is_bounded(account):
    account.statuses["Keystone-feat-x-Streaming"] = ["UPDATE_IN_PROGRESS"]

    with pytest.raises(CannotResume, match=r"Keystone-feat-x-Streaming \(UPDATE_IN_PROGRESS\) still in progress"):
        account.settle(limit=timedelta(minutes=10), poll_seconds=60)
    assert sum(account.slept) == 600


def test_make_reads_aws_through_cdks_lookup_role(account, monkeypatch):
    # The CI role may only assume CDK's bootstrap roles (docs/deploying.md); the lookup role is the read-only one.
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)

    session = reader_session()

    arn = session.client("sts").get_caller_identity()["Arn"]
    assert ":assumed-role/cdk-hnb659fds-lookup-role-123456789012-us-east-1/" in arn
    assert session.get_credentials().method == "keystone-lookup-role"  # refreshed: chained sessions last an hour
