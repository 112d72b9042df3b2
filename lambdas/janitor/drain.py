"""Before the janitor pauses an environment: is every event the sink has consumed in Bronze? Read from CloudWatch.

The janitor cannot reach the brokers (private subnets), so it reads MSK's consumer-lag metric `SumOffsetLag`
(namespace AWS/Kafka, dimensions Cluster Name, Consumer Group, Topic; DEFAULT monitoring level, one datapoint a
minute: https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html). MSK publishes it only while the
group is STABLE or EMPTY (https://docs.aws.amazon.com/msk/latest/developerguide/consumer-lag.html), so no recent
datapoint means "not known", never "drained". The sink commits an offset only once its object is in Bronze, so a
latest lag of 0 on every topic means every event produced before it is there (`deployment/drain.py`, for
`make pause`, reads the same number from Kafka itself).

The Streaming stack names what to read in its outputs (`stacks/streaming.py`), so the janitor derives nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

OUTPUT_CLUSTER = "SinkKafkaCluster"
OUTPUT_CONSUMER_GROUP = "SinkConsumerGroup"
OUTPUT_TOPICS = "SinkTopics"
TOPIC_SEPARATOR = ","
NAMESPACE = "AWS/Kafka"
METRIC = "SumOffsetLag"
_PERIOD_SECONDS = 60


class SinkOutputsIncomplete(ValueError):
    """A stack names some but not all of what the drain check reads."""


@dataclass(frozen=True)
class SinkLag:
    """Where MSK publishes the sink's consumer lag."""

    cluster: str
    consumer_group: str
    topics: tuple[str, ...]

    @classmethod
    def from_outputs(cls, stack_name: str, outputs: Mapping[str, str]) -> SinkLag | None:
        """The sink a stack's outputs name; None for a stack that runs no sink."""
        names = (OUTPUT_CLUSTER, OUTPUT_CONSUMER_GROUP, OUTPUT_TOPICS)
        given = [name for name in names if outputs.get(name)]
        if not given:
            return None
        if len(given) < len(names):
            missing = sorted(set(names) - set(given))
            raise SinkOutputsIncomplete(f"{stack_name} has the sink outputs {given} but not {missing}")
        topics = tuple(topic for topic in outputs[OUTPUT_TOPICS].split(TOPIC_SEPARATOR) if topic)
        return cls(outputs[OUTPUT_CLUSTER], outputs[OUTPUT_CONSUMER_GROUP], topics)


def undrained(cloudwatch: Any, sink: SinkLag, now: datetime, freshness: timedelta) -> list[str]:
    """Why the sink is not known to be drained, one reason per topic; empty when the latest `SumOffsetLag` of
    every topic within `freshness` before `now` is 0."""
    queries = [
        {
            "Id": f"topic{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": NAMESPACE,
                    "MetricName": METRIC,
                    "Dimensions": [
                        {"Name": "Cluster Name", "Value": sink.cluster},
                        {"Name": "Consumer Group", "Value": sink.consumer_group},
                        {"Name": "Topic", "Value": topic},
                    ],
                },
                "Period": _PERIOD_SECONDS,
                "Stat": "Maximum",
            },
            "ReturnData": True,
        }
        for index, topic in enumerate(sink.topics)
    ]
    points: dict[str, list[tuple[datetime, float]]] = {query["Id"]: [] for query in queries}
    for page in cloudwatch.get_paginator("get_metric_data").paginate(
        MetricDataQueries=queries, StartTime=now - freshness, EndTime=now
    ):
        for result in page["MetricDataResults"]:
            points[result["Id"]].extend(zip(result["Timestamps"], result["Values"], strict=True))
    reasons = []
    for index, topic in enumerate(sink.topics):
        if not (datapoints := points[f"topic{index}"]):
            reasons.append(
                f"{topic}: no {METRIC} datapoint for {sink.consumer_group} in the last {_minutes(freshness)} "
                "(MSK publishes it only while the group is stable or empty)"
            )
            continue
        at, lag = max(datapoints)
        if lag > 0:
            reasons.append(f"{topic}: {lag:.0f} events of {sink.consumer_group} not yet in Bronze at {at:%H:%M} UTC")
    return reasons


def _minutes(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 60:.0f} min"
