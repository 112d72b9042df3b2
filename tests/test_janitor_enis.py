"""The janitor and the network interfaces Lambda keeps after its functions are gone (moto's EC2 and CloudFormation).

Lambda releases a VPC function's network interfaces itself, up to about 20 minutes after the function is deleted;
until then they hold the network stack's subnets and security groups, and deleting that stack fails
(AWS::Lambda::Function VpcConfig, CloudFormation User Guide: "AWS CloudFormation monitors the state of its network
interfaces and waits for Lambda to delete them"). The janitor must wait for them, bounded, before it deletes the
network stack, and say clearly what it waits for.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3

from lambdas.janitor.teardown import Clients, Janitor, Settings
from tests import test_janitor
from tests.test_janitor import PAST, REGION, World

world = test_janitor.world  # the janitor tests' moto world, as a fixture here too

SLUG = "feat-old"
NETWORK = f"Keystone-{SLUG}-Network"


class Clock:
    """Real time (moto stamps deletions with it) advanced by every sleep of the janitor."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC)
        self.run_started = self.now

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)

    def seconds_left(self) -> float:  # a Lambda run of 15 minutes
        return 900 - (self.now - self.run_started).total_seconds()


def _attach_lambda_eni(world: World) -> str:
    """An interface Lambda still holds (in use): the janitor can neither delete it nor the subnet under it."""
    network = world.stack_resources(NETWORK)
    interface = world.ec2.create_network_interface(
        SubnetId=network["PrivateSubnet"],
        Groups=[network["LambdaSecurityGroup"]],
        Description=f"AWS Lambda VPC ENI-keystone-{SLUG}-producer",
    )["NetworkInterface"]["NetworkInterfaceId"]
    image = world.ec2.describe_images()["Images"][0]["ImageId"]
    instance = world.ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, SubnetId=network["PrivateSubnet"])[
        "Instances"
    ][0]["InstanceId"]
    world.ec2.attach_network_interface(NetworkInterfaceId=interface, InstanceId=instance, DeviceIndex=1)
    return interface


def _release_after(world: World, interface: str, polls: int) -> list[int]:
    """Lambda lets the interface go after the janitor has looked at it `polls` times."""
    lambda_service = boto3.client("ec2", region_name=REGION)
    seen = [0]

    def count(params, **_kwargs) -> None:
        ids = [value for item in params.get("Filters", []) for value in item["Values"]]
        if world.stack_resources(NETWORK)["PrivateSubnet"] in ids:
            seen[0] += 1
            if seen[0] == polls:
                attachment = lambda_service.describe_network_interfaces(NetworkInterfaceIds=[interface])
                attachment_id = attachment["NetworkInterfaces"][0]["Attachment"]["AttachmentId"]
                lambda_service.detach_network_interface(AttachmentId=attachment_id, Force=True)
                lambda_service.delete_network_interface(NetworkInterfaceId=interface)

    world.ec2.meta.events.register("provide-client-params.ec2.DescribeNetworkInterfaces", count)
    return seen


def _stamp_deletions(world: World, clock: Clock) -> None:
    """CloudFormation's ListStacks gives a deleted stack's DeletionTime; moto's does not: add it, on the test clock."""
    deleted_at: dict[str, datetime] = {}

    def record(params, **_kwargs) -> None:
        deleted_at.setdefault(params["StackName"], clock())

    def stamp(parsed, **_kwargs) -> None:
        for summary in parsed.get("StackSummaries", []):
            when = deleted_at.get(summary["StackId"]) or deleted_at.get(summary["StackName"])
            if summary["StackStatus"] == "DELETE_COMPLETE" and when:
                summary["DeletionTime"] = when

    world.cloudformation.meta.events.register("provide-client-params.cloudformation.DeleteStack", record)
    world.cloudformation.meta.events.register("after-call.cloudformation.ListStacks", stamp)


def _janitor(world: World, clock: Clock, eni_wait: timedelta = timedelta(minutes=45)) -> Janitor:
    clients = Clients(world.cloudformation, world.s3, world.logs, world.ec2, world.cloudwatch)
    return Janitor(clients, Settings(poll_seconds=30, eni_wait=eni_wait), clock=clock)


def _run(janitor: Janitor, clock: Clock):
    clock.run_started = clock.now
    return janitor.run(seconds_left=clock.seconds_left, sleep=clock.sleep)


def test_the_network_stack_waits_for_lambda_to_release_its_interfaces_then_goes(world, capsys):
    world.deploy(SLUG, "ephemeral", PAST)
    interface = _attach_lambda_eni(world)
    polls = _release_after(world, interface, polls=4)
    clock = Clock()
    _stamp_deletions(world, clock)

    report = _run(_janitor(world, clock), clock)

    assert report.errors == []
    assert world.live_stacks() == set()
    assert world.delete_order[-1] == NETWORK
    assert polls[0] >= 4
    assert NETWORK in report.waiting_for_enis
    waiting = [line for line in capsys.readouterr().err.splitlines() if "waiting_for_lambda_enis" in line]
    assert waiting and interface in waiting[0] and NETWORK in waiting[0]


def test_interfaces_that_never_go_stop_the_network_stack_with_a_clear_error_and_nothing_out_of_order(world):
    world.deploy(SLUG, "ephemeral", PAST)
    interface = _attach_lambda_eni(world)
    clock = Clock()
    _stamp_deletions(world, clock)
    janitor = _janitor(world, clock, eni_wait=timedelta(minutes=45))

    first = _run(janitor, clock)  # one Lambda run is 15 minutes: still within the wait, resumes next run
    assert first.errors == [] and NETWORK in first.waiting_for_enis
    assert world.live_stacks() == {NETWORK}
    clock.sleep(45 * 60)  # later scheduled runs
    second = _run(_janitor(world, clock), clock)

    assert world.live_stacks() == {NETWORK}, "the network stack must not be deleted while Lambda holds it"
    assert NETWORK not in world.delete_order
    assert len(second.errors) == 1
    error = second.errors[0]
    assert NETWORK in error and interface in error and "still hold its subnets or security groups" in error


def test_detached_lambda_interfaces_are_deleted_without_waiting(world):
    world.deploy(SLUG, "ephemeral", PAST)  # World leaves one detached Lambda interface in the security group
    clock = Clock()

    report = _run(_janitor(world, clock), clock)

    assert report.errors == [] and report.waiting_for_enis == []
    assert world.lambda_enis() == 0 and world.live_stacks() == set()
