"""The janitor pauses an expired branch that asks for it (`on_expiry=pause`): against moto's CloudFormation and
CloudWatch, only the compute stacks go, and only once MSK's consumer-lag metric says the sink drained; the rest goes
at the branch's destroy-at."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from contracts import STREAMED_TABLES
from environments import resolve_environment
from lambdas.janitor import drain
from lambdas.janitor.handler import settings_from_environment
from lambdas.janitor.records import EnvironmentRecord, StackRecord, Verdict
from lambdas.janitor.teardown import Clients, Janitor, Settings
from stacks.lakehouse import COMPUTE_COMPONENTS
from tests import test_janitor
from tests.test_janitor import NOW, PAST, World, _tags, _templates

world = test_janitor.world  # the janitor tests' moto world, as a fixture here too

SLUG = "feat-pause"
JUST_EXPIRED = "2026-11-25T11:00:00Z"  # an hour before NOW
DESTROY_LATER = "2026-12-02T11:00:00Z"
TOPICS = [str(table.topic) for table in STREAMED_TABLES]
CLUSTER = f"keystone-{SLUG}-kafka"
GROUP = f"connect-keystone-{SLUG}-bronze-sink"


def _deploy_pausing(
    world: World, *, expires_at: str = JUST_EXPIRED, destroy_at: str | None = DESTROY_LATER, sink_outputs: bool = True
) -> None:
    """An environment whose stacks ask to be paused: the janitor tests' miniature plus Streaming (the sink's outputs,
    an import from Network) and Monitoring (an import from Streaming)."""
    tags = [*_tags(SLUG, "ephemeral", expires_at), {"Key": "keystone:on-expiry", "Value": "pause"}]
    if destroy_at is not None:
        tags.append({"Key": "keystone:destroy-at", "Value": destroy_at})
    templates = _templates(SLUG, tags) | {
        "Streaming": {
            "Resources": {
                "ConnectorStandIn": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {"QueueName": {"Fn::Join": ["-", [{"Fn::ImportValue": f"{SLUG}-lambda-sg"}, "s"]]}},
                }
            },
            "Outputs": {
                drain.OUTPUT_CLUSTER: {"Value": CLUSTER},
                drain.OUTPUT_CONSUMER_GROUP: {"Value": GROUP},
                drain.OUTPUT_TOPICS: {"Value": drain.TOPIC_SEPARATOR.join(TOPICS)},
                "Connector": {
                    "Value": {"Fn::GetAtt": ["ConnectorStandIn", "QueueName"]},
                    "Export": {"Name": f"{SLUG}-connector"},
                },
            },
        },
        "Monitoring": {
            "Resources": {
                "AlarmStandIn": {
                    "Type": "AWS::SQS::Queue",
                    "Properties": {"QueueName": {"Fn::Join": ["-", [{"Fn::ImportValue": f"{SLUG}-connector"}, "m"]]}},
                }
            }
        },
    }
    if not sink_outputs:  # a Streaming stack from before it named them
        for output in (drain.OUTPUT_CLUSTER, drain.OUTPUT_CONSUMER_GROUP, drain.OUTPUT_TOPICS):
            del templates["Streaming"]["Outputs"][output]
    for component, template in templates.items():
        world.cloudformation.create_stack(
            StackName=f"Keystone-{SLUG}-{component}", TemplateBody=json.dumps(template), Tags=tags
        )
    world.s3.put_object(Bucket=World.buckets(SLUG)[0], Key="streaming/olist.orders.v1/events.jsonl.gz", Body=b"e")


def _publish_lag(world: World, lag_by_minutes_ago: dict[int, float], topics: list[str] = TOPICS) -> None:
    """What MSK publishes for the sink's group: `SumOffsetLag` per topic, one datapoint a minute."""
    world.cloudwatch.put_metric_data(
        Namespace=drain.NAMESPACE,
        MetricData=[
            {
                "MetricName": drain.METRIC,
                "Dimensions": [
                    {"Name": "Cluster Name", "Value": CLUSTER},
                    {"Name": "Consumer Group", "Value": GROUP},
                    {"Name": "Topic", "Value": topic},
                ],
                "Timestamp": NOW - timedelta(minutes=minutes),
                "Value": lag,
            }
            for topic in topics
            for minutes, lag in lag_by_minutes_ago.items()
        ],
    )


def _run(world: World, **settings):
    clients = Clients(world.cloudformation, world.s3, world.logs, world.ec2, world.cloudwatch)
    settings = {"poll_seconds": 0, "compute_components": COMPUTE_COMPONENTS} | settings
    janitor = Janitor(clients, Settings(**settings), clock=lambda: NOW)
    return janitor.run(seconds_left=lambda: 900.0, sleep=lambda _seconds: None)


def _names(*components: str) -> set[str]:
    return {f"Keystone-{SLUG}-{component}" for component in components}


def test_a_drained_expired_branch_that_asks_for_a_pause_loses_only_its_compute_stacks(world):
    _deploy_pausing(world)
    _publish_lag(world, {3: 120.0, 2: 4.0, 1: 0.0})  # the sink caught up a minute ago

    report = _run(world)

    assert report.errors == []
    assert world.live_stacks() == _names("Storage", "Catalog")
    order = world.delete_order
    assert sorted(order) == sorted(_names("Monitoring", "Orchestration", "Streaming", "Network"))
    assert order.index(f"Keystone-{SLUG}-Monitoring") < order.index(f"Keystone-{SLUG}-Streaming")
    assert order.index(f"Keystone-{SLUG}-Streaming") < order.index(f"Keystone-{SLUG}-Network")
    assert order.index(f"Keystone-{SLUG}-Orchestration") < order.index(f"Keystone-{SLUG}-Network")
    assert report.emptied_buckets == []
    assert set(World.buckets(SLUG)) <= world.existing_buckets()
    objects = world.s3.list_objects_v2(Bucket=World.buckets(SLUG)[0])["Contents"]
    assert [item["Key"] for item in objects] == ["streaming/olist.orders.v1/events.jsonl.gz"]
    assert report.kept == {SLUG: "paused"}

    assert _run(world).kept == {SLUG: "paused"}  # the next run leaves the paused environment alone
    assert world.live_stacks() == _names("Storage", "Catalog")


@pytest.mark.parametrize(
    ("lag", "topics", "reason"),
    [
        ({2: 0.0, 1: 7.0}, TOPICS, "7 events of connect-keystone-feat-pause-bronze-sink not yet in Bronze"),
        ({30: 0.0}, TOPICS, "no SumOffsetLag datapoint for connect-keystone-feat-pause-bronze-sink in the last 5 min"),
        ({1: 0.0}, TOPICS[1:], f"{TOPICS[0]}: no SumOffsetLag datapoint"),  # one topic's lag is not known
    ],
)
def test_a_pause_waits_while_the_sink_is_not_known_to_have_drained(world, lag, topics, reason):
    _deploy_pausing(world)
    _publish_lag(world, lag, topics)

    report = _run(world)

    assert report.errors == []
    assert world.delete_order == []
    assert any(reason in line for line in report.waiting_for_drain[SLUG]), report.waiting_for_drain


def test_a_pause_waits_where_no_stack_names_the_sink(world):
    _deploy_pausing(world, sink_outputs=False)
    _publish_lag(world, {1: 0.0})

    report = _run(world)

    assert world.delete_order == []
    (reason,) = report.waiting_for_drain[SLUG]
    assert reason.startswith(f"no stack of {SLUG} names its sink's consumer lag")


def test_a_pause_that_waits_past_its_bound_is_reported_and_still_deletes_nothing(world):
    _deploy_pausing(world, expires_at=PAST)
    _publish_lag(world, {1: 3.0})

    report = _run(world, drain_wait=timedelta(hours=2))

    assert world.delete_order == []
    (error,) = report.errors
    assert error.startswith(f"{SLUG}: not paused: the S3 sink has not drained 1620 min after") and "3 events" in error


def test_at_its_destroy_at_the_paused_rest_goes_without_a_drain(world):
    _deploy_pausing(world, expires_at=PAST, destroy_at=JUST_EXPIRED)  # no lag published at all

    report = _run(world)

    assert report.errors == []
    assert world.live_stacks() == set()
    assert world.existing_buckets() == set()


def test_a_janitor_without_compute_components_reports_a_pause_it_cannot_do(world):
    _deploy_pausing(world)
    _publish_lag(world, {1: 0.0})

    report = _run(world, compute_components=())

    assert world.delete_order == []
    assert report.errors == [f"{SLUG}: asks to be paused, but this janitor was given no COMPUTE_COMPONENTS"]


def _stack(tags: dict[str, str]) -> StackRecord:
    base = {"keystone:env": SLUG, "keystone:profile": "ephemeral", "keystone:expires-at": JUST_EXPIRED}
    return StackRecord(f"Keystone-{SLUG}-Storage", "id", "CREATE_COMPLETE", base | tags)


@pytest.mark.parametrize(
    ("tags", "verdict"),
    [
        ({}, Verdict.EXPIRED),
        ({"keystone:on-expiry": "pause", "keystone:destroy-at": DESTROY_LATER}, Verdict.PAUSE),
        ({"keystone:on-expiry": "pause", "keystone:destroy-at": JUST_EXPIRED}, Verdict.EXPIRED),
        ({"keystone:on-expiry": "pause"}, Verdict.UNDATED),  # when would the rest go? left alone
        ({"keystone:on-expiry": "pause", "keystone:destroy-at": "next week"}, Verdict.UNDATED),
        ({"keystone:on-expiry": "destroy", "keystone:destroy-at": DESTROY_LATER}, Verdict.EXPIRED),
    ],
)
def test_the_verdict_of_an_expired_environment_that_may_ask_for_a_pause(tags, verdict):
    assert EnvironmentRecord(SLUG, (_stack(tags),)).verdict(NOW) is verdict


def test_a_stack_that_names_only_part_of_the_sink_is_an_error():
    with pytest.raises(drain.SinkOutputsIncomplete, match=r"not \['SinkConsumerGroup', 'SinkTopics'\]"):
        drain.SinkLag.from_outputs("Keystone-x-Streaming", {drain.OUTPUT_CLUSTER: CLUSTER})


def test_the_tags_a_branch_asking_for_a_pause_deploys_with_are_the_ones_the_janitor_reads():
    environment = resolve_environment("feature/pause-me", now=NOW, on_expiry="pause")
    stack = StackRecord(environment.stack_name("Streaming"), "id", "CREATE_COMPLETE", environment.tags)
    record = EnvironmentRecord(environment.slug, (stack,))
    assert stack.is_component(environment.slug, "Streaming") and not stack.is_component(environment.slug, "Storage")
    assert environment.expires_at is not None and environment.destroy_at is not None
    assert record.verdict(environment.expires_at - timedelta(hours=1)) is Verdict.LIVE
    assert record.verdict(environment.expires_at) is Verdict.PAUSE
    assert record.verdict(environment.destroy_at - timedelta(hours=1)) is Verdict.PAUSE
    assert record.verdict(environment.destroy_at) is Verdict.EXPIRED


def test_the_compute_components_the_janitor_stack_hands_over_are_the_ones_it_pauses():
    environ = {"COMPUTE_COMPONENTS": ",".join(COMPUTE_COMPONENTS)}  # as stacks/janitor.py sets it
    assert settings_from_environment(environ).compute_components == COMPUTE_COMPONENTS
    assert settings_from_environment({}).compute_components == ()
