"""The S3 sink: one configuration, keys that the Bronze partition projection resolves, and the real connector."""

from __future__ import annotations

import gzip
import re
import time
import uuid
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from connector.s3_sink import (
    CONNECTOR_CLASS,
    KeyOutsideLayout,
    S3SinkSettings,
    connector_config,
    key_template,
    resolve_key,
)
from contracts import STREAMED_TABLES, layout
from localtwin.engines import LocalEngines
from localtwin.engines.kafka import ConnectError
from producers.kafka_config import KafkaConnection
from producers.replay import replay
from producers.topics import TopicSpec, ensure_topics, olist_topics

TOPIC = "olist.orders.v1"
# The projection the Bronze streaming tables declare (hour partitions under a daily date).
PROJECTION = {
    "projection.enabled": "true",
    "projection.dt.type": "date",
    "projection.dt.format": "yyyy-MM-dd",
    "projection.dt.range": f"{layout.PROJECTION_START_DATE},NOW",
    "projection.hour.type": "integer",
    "projection.hour.range": "0,23",
    "projection.hour.digits": "2",
}
OBJECT_ID = "0123456789abcdef0123456789abcdef"
KEY = f"streaming/{TOPIC}/dt=2026-11-25/hour=07/{TOPIC}-2-00000000000000004711-{OBJECT_ID}.jsonl.gz"


def test_key_template_follows_the_lake_layout() -> None:
    assert key_template() == (
        "streaming/{topic}/dt={written:yyyy-MM-dd}/hour={written:HH}/"
        "{topic}-{partition}-{start_offset}-{object_id}.jsonl.gz"
    )
    assert key_template().startswith(layout.streaming_table_prefix("{topic}"))


def test_connector_config_writes_values_unchanged() -> None:
    config = connector_config(
        S3SinkSettings(topics=(TOPIC,), bucket="bronze", region="eu-west-1", rotate_interval_ms=60_000)
    )
    assert config["connector.class"] == CONNECTOR_CLASS
    assert config["value.converter"] == "org.apache.kafka.connect.converters.ByteArrayConverter"
    assert config["topics"] == TOPIC and config["s3.key.template"] == key_template()
    assert "s3.endpoint.url" not in config and "s3.path.style.access" not in config
    assert all(isinstance(value, str) for value in config.values())
    local = connector_config(S3SinkSettings((TOPIC,), "bronze", "us-east-1", 60_000, endpoint_url="http://127.0.0.1:9"))
    assert local["s3.endpoint.url"] == "http://127.0.0.1:9" and local["s3.path.style.access"] == "true"


def test_a_sink_key_resolves_under_the_projection_template() -> None:
    template = f"s3://bronze/{layout.streaming_projection_template(TOPIC)}"
    resolved = resolve_key(f"s3://bronze/{KEY}", template, PROJECTION)
    assert resolved.partition_values == {"dt": "2026-11-25", "hour": "07"}
    assert (resolved.topic, resolved.kafka_partition, resolved.start_offset) == (TOPIC, 2, 4711)
    assert resolved.object_id == OBJECT_ID
    assert KEY.endswith(layout.streaming_object_name(TOPIC, 2, 4711, OBJECT_ID))
    assert resolve_key(KEY, layout.streaming_projection_template(TOPIC)).partition_values["hour"] == "07"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        (KEY.replace("streaming/", "stream/"), "does not match"),
        (KEY.replace("hour=07/", "hour=07/extra/"), "directly under"),
        (KEY.replace("hour=07", "hour=24"), "not an integer in [0, 23]"),
        (KEY.replace("hour=07", "hour=7"), "does not have 2 digits"),
        (KEY.replace("dt=2026-11-25", "dt=25-11-2026"), "not a date"),
        (KEY.replace("dt=2026-11-25", "dt=2015-12-31"), "before the projection's first date"),
        (KEY.replace(".jsonl.gz", ".json"), "is not {topic}-{partition}"),
        # The key of an object of the sink before it named every object with an id of its own.
        (KEY.replace(f"-{OBJECT_ID}", ""), "is not {topic}-{partition}-{start_offset}-{object_id}"),
        (KEY.replace(OBJECT_ID, OBJECT_ID.upper()), "is not {topic}"),
    ],
)
def test_keys_outside_the_layout_are_refused(key: str, problem: str) -> None:
    with pytest.raises(KeyOutsideLayout, match=re.escape(problem)):
        resolve_key(key, layout.streaming_projection_template(TOPIC), PROJECTION)


@pytest.mark.slow
def test_connector_lands_the_produced_events_under_the_projection_template(
    local_engines: LocalEngines, local_s3, olist_sample_dir: Path
) -> None:
    suffix = f".sink-{uuid.uuid4().hex[:8]}"
    topics = [f"{table.topic}{suffix}" for table in STREAMED_TABLES]
    bucket = f"bronze-{uuid.uuid4().hex[:8]}"
    connection = KafkaConnection(local_engines.bootstrap_servers)
    ensure_topics(connection.client_config(), olist_topics(3, 1, topic_suffix=suffix))
    connect = local_engines.connect
    assert connect is not None
    name = f"s3-sink{suffix}"
    try:
        local_engines.start_s3_sink(name, tuple(topics), bucket, max_records_per_object=2_000, rotate_interval_ms=1_000)
        report = replay(olist_sample_dir, connection, topic_suffix=suffix)
        assert report.exit_code == 0, report.render()
        produced = [event for event in report.load.events]
        objects = _wait_for_lines(local_s3, bucket, len(produced))
    finally:
        connect.delete_connector(name)

    lines: list[bytes] = []
    for key, body in objects.items():
        topic = key.split("/")[1]
        assert topic in topics, key
        resolved = resolve_key(
            f"s3://{bucket}/{key}", f"s3://{bucket}/{layout.streaming_projection_template(topic)}", PROJECTION
        )
        assert resolved.topic == topic
        records = gzip.decompress(body).split(b"\n")
        assert records[-1] == b"", f"{key} does not end with a line break"
        assert all(orjson.loads(line)["payload"]["order_id"] for line in records[:-1])
        lines.extend(records[:-1])
    # Byte for byte what the producer sent, each event exactly once.
    assert sorted(lines) == sorted(event.value for event in produced)


@pytest.mark.slow
def test_the_sink_writes_an_object_per_partition_per_rotation_interval_while_events_flow(
    local_engines: LocalEngines, local_s3
) -> None:
    """`make cost` prices the sink's PutObject requests as one object per topic partition per
    `file.rotate.interval.ms` while every partition receives events (costs/stream_requests.py), and freshness relies
    on an object being written at the latest that long after its first record. Here events flow into both partitions
    of a topic for about 6 s at a 1 s rotation: the objects must number about one per partition per second, never
    more than one per interval (and the one still open when the flow stops)."""
    suffix = f".rotation-{uuid.uuid4().hex[:8]}"
    topic = f"{TOPIC}{suffix}"
    bucket = f"bronze-{uuid.uuid4().hex[:8]}"
    connection = KafkaConnection(local_engines.bootstrap_servers)
    ensure_topics(connection.client_config(), [TopicSpec(topic, 2, 1, {})])
    connect = local_engines.connect
    assert connect is not None
    name = f"s3-sink{suffix}"
    rotate_s, flow_s, partitions = 1.0, 6.0, 2
    try:
        local_engines.start_s3_sink(name, (topic,), bucket, rotate_interval_ms=int(rotate_s * 1000))
        producer = Producer(connection.client_config())
        sent, started = 0, time.monotonic()
        while time.monotonic() - started < flow_s:
            for partition in range(partitions):
                producer.produce(
                    topic, orjson.dumps({"n": sent, "payload": {"order_id": str(sent)}}), partition=partition
                )
                sent += 1
            producer.poll(0)
            time.sleep(0.05)
        assert producer.flush(30) == 0
        objects = _wait_for_lines(local_s3, bucket, sent)
    finally:
        connect.delete_connector(name)

    per_partition = {p: sum(1 for key in objects if f"{topic}-{p}-" in key) for p in range(partitions)}
    intervals = flow_s / rotate_s
    assert all(intervals / 2 <= count <= intervals + 2 for count in per_partition.values()), (per_partition, sent)


def _wait_for_lines(s3, bucket: str, expected: int, timeout_s: float = 120.0) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    objects: dict[str, bytes] = {}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                if item["Key"] not in objects:
                    objects[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        lines = sum(gzip.decompress(body).count(b"\n") for body in objects.values())
        if lines >= expected:
            return objects
        time.sleep(1.0)
    raise AssertionError(f"the connector wrote {lines} of {expected} events to s3://{bucket} in {timeout_s:.0f} s")


def test_a_layout_changed_in_contracts_alone_reaches_the_connector_the_projection_and_dbt(
    local_engines: LocalEngines, local_s3, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Change the streaming partition layout in `contracts.layout` only (other names, one hourly key): the real
    connector writes under it, the Glue table built by the Catalog's construct projects exactly those keys, and the
    dbt sources name them."""
    from aws_cdk import App, Stack
    from aws_cdk.assertions import Template

    from dbt_project.scripts.generate_sources import layout_document, sources_document
    from stacks.constructs.bronze_tables import BronzeTables, events_table_name

    hourly = layout.PartitionKey(
        "arrived",
        "yyyyMMddHH",
        "UTC hour written",
        {"type": "date", "format": "yyyyMMddHH", "interval": "1", "interval.unit": "HOURS", "range": "NOW-1DAYS,NOW"},
    )
    monkeypatch.setattr(layout, "STREAMING_PARTITIONS", (hourly,))
    table = STREAMED_TABLES[0]
    suffix = f".layout-{uuid.uuid4().hex[:8]}"
    topic = f"{table.topic}{suffix}"
    bucket = f"bronze-{uuid.uuid4().hex[:8]}"
    connection = KafkaConnection(local_engines.bootstrap_servers)
    ensure_topics(connection.client_config(), olist_topics(1, 1, topic_suffix=suffix))
    producer = Producer(connection.client_config())
    for number in range(5):
        producer.produce(topic, orjson.dumps({"n": number, "payload": {"order_id": str(number)}}))
    assert producer.flush(30) == 0
    name = f"s3-sink{suffix}"
    connect = local_engines.connect
    assert connect is not None
    try:
        local_engines.start_s3_sink(name, (topic,), bucket, rotate_interval_ms=1_000)
        objects = _wait_for_lines(local_s3, bucket, 5)
    finally:
        connect.delete_connector(name)

    stack = Stack(App(), "LayoutProbe")
    BronzeTables(stack, "Bronze", catalog_id="123456789012", database_name="bronze", bucket_name=bucket)
    glue_tables = Template.from_stack(stack).find_resources("AWS::Glue::Table").values()
    events = next(t for t in glue_tables if t["Properties"]["TableInput"]["Name"] == events_table_name(table))
    table_input = events["Properties"]["TableInput"]
    assert [key["Name"] for key in table_input["PartitionKeys"]] == ["arrived"]
    parameters = table_input["Parameters"]
    template = parameters["storage.location.template"].replace(str(table.topic), topic)
    partitions = [resolve_key(f"s3://{bucket}/{key}", template, parameters).partition_values for key in objects]
    assert all(values.keys() == {"arrived"} for values in partitions), partitions

    sources = {source["name"]: source for source in sources_document()["sources"][0]["tables"]}
    assert sources[events_table_name(table)]["config"]["meta"]["partition_keys"] == ["arrived"]
    # dbt reads an event's arrival time from its partition values with this format (macros/bronze.sql).
    (arrived,) = layout_document()["streaming_partitions"]
    for values in partitions:
        value = values["arrived"]
        assert datetime.strptime(value, arrived["strftime"]).strftime(arrived["strftime"]) == value


@pytest.mark.slow
def test_a_later_lifetime_of_a_topic_never_overwrites_what_an_earlier_one_wrote(
    local_engines: LocalEngines, local_s3
) -> None:
    """`make resume` (or a destroy and deploy that kept the bucket) brings a new cluster whose topics start at offset 0
    again, while Bronze keeps what the earlier cluster's sink wrote, possibly within the same hour. Here: a connector
    drains a topic, goes, the topic is created anew, a second connector drains other events from it. Bronze (the
    latest version of every object, what readers see) must hold the events of both lifetimes."""
    suffix = f".lifetimes-{uuid.uuid4().hex[:8]}"
    topic = f"{TOPIC}{suffix}"
    bucket = f"bronze-{uuid.uuid4().hex[:8]}"
    client_config = KafkaConnection(local_engines.bootstrap_servers).client_config()
    admin = AdminClient(client_config)
    connect = local_engines.connect
    assert connect is not None
    lifetimes = {lifetime: [f"{lifetime}-{number}" for number in range(5)] for lifetime in ("paused", "resumed")}
    for lifetime, event_ids in lifetimes.items():
        assert ensure_topics(client_config, [TopicSpec(topic, 1, 1)]) == {topic: "created"}
        producer = Producer(client_config)
        for event_id in event_ids:
            producer.produce(topic, orjson.dumps({"event_id": event_id, "payload": {"order_id": event_id}}))
        assert producer.flush(30) == 0
        name = f"s3-sink{suffix}.{lifetime}"
        try:
            local_engines.start_s3_sink(name, (topic,), bucket, rotate_interval_ms=1_000)
            _wait_for_event_ids(local_s3, bucket, set(event_ids))
        finally:
            connect.delete_connector(name)
        admin.delete_topics([topic], operation_timeout=30)[topic].result()

    written = _event_ids(local_s3, bucket)
    expected = {event_id for event_ids in lifetimes.values() for event_id in event_ids}
    assert written == expected, f"Bronze lost {sorted(expected - written)}"


def _event_ids(s3, bucket: str) -> set[str]:  # type: ignore[no-untyped-def]
    """The event ids in the latest version of every object of `bucket`: what a reader of Bronze sees."""
    event_ids: set[str] = set()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = gzip.decompress(s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read())
            event_ids.update(orjson.loads(line)["event_id"] for line in body.splitlines())
    return event_ids


def _wait_for_event_ids(s3, bucket: str, event_ids: set[str], timeout_s: float = 120.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout_s
    while not event_ids <= (seen := _event_ids(s3, bucket)):
        if time.monotonic() > deadline:
            raise AssertionError(
                f"the connector wrote {sorted(seen & event_ids)} of {sorted(event_ids)} in {timeout_s} s"
            )
        time.sleep(1.0)


@pytest.mark.slow
def test_the_plugin_refuses_a_key_template_that_could_write_a_key_twice(local_engines: LocalEngines) -> None:
    connect = local_engines.connect
    assert connect is not None
    settings = S3SinkSettings((TOPIC,), "bronze", "us-east-1", 60_000, endpoint_url=local_engines.s3_endpoint)
    config = connector_config(settings)
    config["s3.key.template"] = key_template().replace("-{object_id}", "")
    name = f"s3-sink-no-object-id-{uuid.uuid4().hex[:8]}"
    try:
        with pytest.raises(ConnectError, match=r"must contain \{object_id\} so that keys never collide"):
            connect.put_connector(name, config)
    finally:
        connect.delete_connector(name)
