"""Before a pause: wait until the S3 sink's consumer group has committed every offset of its topics (lag 0).

Kafka Connect commits a sink task's offsets only after the task's `preCommit` reports them flushed, and our sink
reports an offset flushed once its object is written to Bronze, so committed == end offset on every partition means
every event produced so far is in Bronze. The lag is read with the Kafka admin API (the committed offsets of the
group against each partition's latest offset), the same reading as CloudWatch's `SumOffsetLag` for MSK Connect,
without its one-minute delay.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
from confluent_kafka.admin import AdminClient, OffsetSpec

POLL_SECONDS = 5.0
DRAIN_LIMIT = timedelta(minutes=15)
_REQUEST_TIMEOUT_S = 30.0


class DrainTimeout(RuntimeError):
    """The sink did not catch up in time; the message names the partitions still behind."""


def sink_group(connector_name: str) -> str:
    """The consumer group Kafka Connect gives a sink connector."""
    return f"connect-{connector_name}"


def consumer_lag(admin: AdminClient, group: str, topics: tuple[str, ...]) -> dict[str, int]:
    """`{"<topic>-<partition>": events not yet committed by group}` for every partition of `topics` that lags."""
    metadata = admin.list_topics(timeout=_REQUEST_TIMEOUT_S)
    partitions = []
    for topic in topics:
        if topic not in metadata.topics or metadata.topics[topic].error is not None:
            raise ValueError(f"topic {topic!r} not found on the cluster")
        partitions.extend(TopicPartition(topic, partition) for partition in metadata.topics[topic].partitions)
    request = [ConsumerGroupTopicPartitions(group, partitions)]
    committed = admin.list_consumer_group_offsets(request)[group].result(timeout=_REQUEST_TIMEOUT_S)
    committed_at = {(p.topic, p.partition): p.offset for p in committed.topic_partitions}
    ends = admin.list_offsets({p: OffsetSpec.latest() for p in partitions}, request_timeout=_REQUEST_TIMEOUT_S)
    lag = {}
    for partition, future in ends.items():
        end = future.result().offset
        # A group that never committed on a partition reports a negative offset: everything in it is lag.
        done = max(committed_at.get((partition.topic, partition.partition), 0), 0)
        if end > done:
            lag[f"{partition.topic}-{partition.partition}"] = end - done
    return lag


def wait_for_drain(
    admin: AdminClient,
    group: str,
    topics: tuple[str, ...],
    *,
    limit: timedelta = DRAIN_LIMIT,
    poll_seconds: float = POLL_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] = print,
) -> None:
    """Return once `group` lags on no partition of `topics`; raise DrainTimeout after `limit`."""
    started = monotonic()
    while lag := consumer_lag(admin, group, topics):
        waited = timedelta(seconds=monotonic() - started)
        behind = ", ".join(f"{partition}: {count}" for partition, count in sorted(lag.items()))
        if waited >= limit:
            raise DrainTimeout(
                f"consumer group {group} still lags after {waited.total_seconds() / 60:.0f} min ({behind}); "
                "is the connector running? (`aws kafkaconnect describe-connector`); nothing was paused"
            )
        say(f"draining {group}: {sum(lag.values())} events not yet in Bronze ({behind})")
        sleep(poll_seconds)
