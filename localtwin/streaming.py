"""The stream stage of the local run: topics, the S3 sink, the producer replay, and the wait for Bronze."""

from __future__ import annotations

import gzip
import json
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contracts import TABLES, layout
from producers.delivery import Speed
from producers.kafka_config import KafkaConnection
from producers.replay import ProduceReport, replay
from producers.topics import DEFAULT_PARTITIONS, ensure_topics, olist_topics

SINK_NAME = "bronze-sink"


class StreamNotLanded(RuntimeError):
    """Events were acknowledged by Kafka but did not all reach Bronze in time."""


@dataclass
class LandedEvents:
    """What the sink has written to Bronze so far, read incrementally.

    After a crash the sink may write an object again under the same key (same start offset) holding more
    records than before, so an object is read again whenever its ETag changes.
    """

    seen: dict[str, str] = field(default_factory=dict)  # key -> ETag
    event_ids: dict[str, dict[str, set[str]]] = field(default_factory=lambda: defaultdict(dict))
    line_counts: dict[str, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))

    @property
    def seen_keys(self) -> set[str]:
        return set(self.seen)

    def refresh(self, s3: Any, bucket: str) -> None:
        paginator = s3.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=bucket, Prefix=f"{layout.STREAMING_PREFIX}/"):
            for item in page.get("Contents", []):
                key, etag = item["Key"], item["ETag"]
                if self.seen.get(key) == etag:
                    continue
                topic = key.split("/")[1]
                body = gzip.decompress(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
                lines = body.splitlines()
                self.event_ids[topic][key] = {json.loads(line)["event_id"] for line in lines}
                self.line_counts[topic][key] = len(lines)
                self.seen[key] = etag

    def lines(self, topic: str) -> int:
        """Records in the topic's objects as they are now, duplicates included."""
        return sum(self.line_counts[topic].values())

    def distinct(self, topic: str) -> int:
        return len(set().union(*self.event_ids[topic].values())) if self.event_ids[topic] else 0


def start_stream(
    engines: Any, bronze_bucket: str, tables: list[str], partitions: int = DEFAULT_PARTITIONS, topic_suffix: str = ""
) -> list[str]:
    """Create the topics of `tables` and run the S3 sink on them into `bronze_bucket`.

    `topic_suffix` gives tests their own topics (and sink) on a shared broker.
    """
    wanted = {f"{TABLES[name].topic}{topic_suffix}" for name in tables}
    specs = [spec for spec in olist_topics(partitions, 1, topic_suffix=topic_suffix) if spec.name in wanted]
    ensure_topics(KafkaConnection(engines.bootstrap_servers).client_config(), specs)
    topics = tuple(spec.name for spec in specs)
    engines.start_s3_sink(SINK_NAME + topic_suffix, topics, bronze_bucket)
    return list(topics)


def replay_into_kafka(
    engines: Any, source_dir: Path, tables: list[str], speed: Speed, topic_suffix: str = "", progress: bool = True
) -> ProduceReport:
    connection = KafkaConnection(engines.bootstrap_servers, client_id="localtwin")
    return replay(source_dir, connection, speed=speed, tables=tables, progress=progress, topic_suffix=topic_suffix)


def wait_for_bronze(s3: Any, bucket: str, delivered_by_topic: dict[str, int], timeout_s: float = 180.0) -> LandedEvents:
    """Block until every acknowledged event is in Bronze (distinct event ids per topic), or fail naming the gap."""
    landed = LandedEvents()
    deadline = time.monotonic() + timeout_s
    while True:
        landed.refresh(s3, bucket)
        gaps_by_topic = {topic: expected - landed.distinct(topic) for topic, expected in delivered_by_topic.items()}
        missing = {topic: gap for topic, gap in gaps_by_topic.items() if gap > 0}
        if not missing:
            return landed
        if time.monotonic() > deadline:
            gaps = ", ".join(f"{topic}: {count} events" for topic, count in sorted(missing.items()))
            raise StreamNotLanded(
                f"after {timeout_s:.0f} s the S3 sink has not written every acknowledged event to s3://{bucket}: "
                f"missing {gaps}; see the Connect worker log in the run folder"
            )
        time.sleep(1.0)
