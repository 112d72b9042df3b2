"""The pause's drain on the real twin: when it returns, every event produced before it is in Bronze."""

from __future__ import annotations

import gzip
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient

from contracts import STREAMED_TABLES
from deployment.drain import DrainTimeout, consumer_lag, sink_group, wait_for_drain
from localtwin.engines import LocalEngines
from producers.kafka_config import KafkaConnection
from producers.replay import replay
from producers.topics import TopicSpec, ensure_topics, olist_topics

pytestmark = pytest.mark.slow


def _bronze_lines(s3, bucket: str) -> list[bytes]:  # type: ignore[no-untyped-def]
    lines: list[bytes] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            lines.extend(gzip.decompress(body).split(b"\n")[:-1])
    return lines


def test_drain_returns_only_when_every_produced_event_is_in_bronze(
    local_engines: LocalEngines, local_s3, olist_sample_dir: Path
) -> None:
    suffix = f".drain-{uuid.uuid4().hex[:8]}"
    topics = tuple(f"{table.topic}{suffix}" for table in STREAMED_TABLES)
    bucket = f"bronze-{uuid.uuid4().hex[:8]}"
    connection = KafkaConnection(local_engines.bootstrap_servers)
    ensure_topics(connection.client_config(), olist_topics(3, 1, topic_suffix=suffix))
    admin = AdminClient(connection.client_config())
    name = f"s3-sink{suffix}"
    connect = local_engines.connect
    assert connect is not None
    try:
        # The last object of each partition closes on rotation only, after the replay returned: the drain waits for it.
        local_engines.start_s3_sink(name, topics, bucket, max_records_per_object=500, rotate_interval_ms=5_000)
        report = replay(olist_sample_dir, connection, topic_suffix=suffix)
        assert report.exit_code == 0, report.render()
        assert consumer_lag(admin, sink_group(name), topics), "the sink caught up before the drain was asked"
        wait_for_drain(admin, sink_group(name), topics, poll_seconds=1.0, limit=timedelta(minutes=3))
        lines = _bronze_lines(local_s3, bucket)
    finally:
        connect.delete_connector(name)
    assert sorted(lines) == sorted(event.value for event in report.load.events)


def test_a_group_that_never_consumes_times_out_naming_the_partitions(local_engines: LocalEngines) -> None:
    topic_name = f"drain-stuck-{uuid.uuid4().hex[:8]}"
    connection = KafkaConnection(local_engines.bootstrap_servers)
    ensure_topics(connection.client_config(), [TopicSpec(topic_name, 1, 1)])
    producer = Producer(connection.client_config())
    producer.produce(topic_name, b"event")
    producer.flush(10)
    admin = AdminClient(connection.client_config())
    with pytest.raises(DrainTimeout, match=rf"connect-nobody still lags .*{topic_name}-0: 1"):
        wait_for_drain(admin, sink_group("nobody"), (topic_name,), limit=timedelta(0), say=lambda _: None)


def test_an_unknown_topic_is_named(local_engines: LocalEngines) -> None:
    admin = AdminClient(KafkaConnection(local_engines.bootstrap_servers).client_config())
    with pytest.raises(ValueError, match="topic 'no-such-topic' not found"):
        consumer_lag(admin, sink_group("x"), ("no-such-topic",))
