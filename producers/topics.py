"""Create the Olist topics idempotently (locally, and from the cloud custom resource inside the VPC)."""

from __future__ import annotations

from dataclasses import dataclass, field

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

from contracts import STREAMED_TABLES

# What `python -m producers ... --create-topics` asks for unless told otherwise; the local twin creates its topics
# with as many, so the replay DAG's producer finds them as it would create them.
DEFAULT_PARTITIONS = 3


class TopicError(RuntimeError):
    """A topic could not be created, or exists with a different partition count."""


@dataclass(frozen=True)
class TopicSpec:
    name: str
    partitions: int
    replication_factor: int
    config: dict[str, str] = field(default_factory=dict)


def olist_topics(
    partitions: int, replication_factor: int, config: dict[str, str] | None = None, topic_suffix: str = ""
) -> list[TopicSpec]:
    """One topic per streamed Olist table, named by its contract (plus `topic_suffix`, as in `replay`)."""
    return [
        TopicSpec(table.topic + topic_suffix, partitions, replication_factor, dict(config or {}))
        for table in STREAMED_TABLES
        if table.topic is not None
    ]


def ensure_topics(client_config: dict[str, object], specs: list[TopicSpec], timeout_s: float = 30.0) -> dict[str, str]:
    """Create missing topics; `{topic: "created" | "exists"}`. An existing topic must have the partitions asked for."""
    admin = AdminClient(client_config)
    # With OAUTHBEARER the first token is fetched on poll.
    admin.poll(0)
    futures = admin.create_topics(
        [NewTopic(spec.name, spec.partitions, spec.replication_factor, config=spec.config) for spec in specs],
        operation_timeout=timeout_s,
        request_timeout=timeout_s,
    )
    outcome: dict[str, str] = {}
    for spec in specs:
        try:
            futures[spec.name].result()
            outcome[spec.name] = "created"
        except KafkaException as error:
            kafka_error: KafkaError = error.args[0]
            if kafka_error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicError(f"could not create topic {spec.name!r}: {kafka_error.str()}") from error
            outcome[spec.name] = "exists"
    existing = admin.list_topics(timeout=timeout_s).topics
    for spec in specs:
        if outcome[spec.name] == "exists" and len(existing[spec.name].partitions) != spec.partitions:
            raise TopicError(
                f"topic {spec.name!r} exists with {len(existing[spec.name].partitions)} partitions, not "
                f"{spec.partitions}; keys would map to other partitions: delete it or ask for its partition count"
            )
    return outcome
