"""The topic custom resource's handler, against the real local broker."""

import uuid

import pytest
from confluent_kafka.admin import AdminClient

from lambdas.kafka_admin.handler import PHYSICAL_ID, handler

pytestmark = pytest.mark.slow


def _event(request_type, bootstrap_servers, topics, partitions=2):
    return {
        "RequestType": request_type,
        "PhysicalResourceId": PHYSICAL_ID,
        "ResourceProperties": {
            "BootstrapServers": bootstrap_servers,
            "Region": "us-east-1",
            "Topics": [{"Name": t, "Partitions": partitions, "ReplicationFactor": 1, "Config": {}} for t in topics],
        },
    }


def test_create_update_and_delete_are_idempotent_and_keep_the_topics(local_engines, monkeypatch):
    monkeypatch.setenv("KAFKA_AUTH", "plaintext")
    topics = [f"admin-test-{uuid.uuid4().hex[:8]}.v1", f"admin-test-{uuid.uuid4().hex[:8]}.v1"]
    servers = local_engines.bootstrap_servers
    assert handler(_event("Create", servers, topics), None) == {
        "PhysicalResourceId": PHYSICAL_ID,
        "Data": {"Topics": ",".join(sorted(topics))},
    }
    assert handler(_event("Update", servers, topics), None)["PhysicalResourceId"] == PHYSICAL_ID
    assert handler(_event("Delete", servers, topics), None) == {"PhysicalResourceId": PHYSICAL_ID}
    existing = AdminClient({"bootstrap.servers": servers}).list_topics(timeout=10).topics
    assert all(len(existing[topic].partitions) == 2 for topic in topics)


def test_a_topic_with_other_partitions_fails_the_update(local_engines, monkeypatch):
    monkeypatch.setenv("KAFKA_AUTH", "plaintext")
    topic = f"admin-test-{uuid.uuid4().hex[:8]}.v1"
    handler(_event("Create", local_engines.bootstrap_servers, [topic], partitions=2), None)
    with pytest.raises(RuntimeError, match="exists with 2 partitions"):
        handler(_event("Update", local_engines.bootstrap_servers, [topic], partitions=3), None)
