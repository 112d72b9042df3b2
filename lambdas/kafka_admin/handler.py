"""CloudFormation custom resource (CDK Provider framework): ensure the Olist topics exist on MSK.

Create and Update create missing topics and check existing ones; Delete leaves topics alone, because
they live and die with the cluster (and a retained persistent cluster must keep its data).
"""

from __future__ import annotations

import json
import logging
import os

from producers.kafka_config import KafkaConnection
from producers.topics import TopicSpec, ensure_topics

logger = logging.getLogger()
logger.setLevel(logging.INFO)

PHYSICAL_ID = "olist-topics"


def handler(event: dict, _context: object) -> dict:
    request = event["RequestType"]
    properties = event["ResourceProperties"]
    if request == "Delete":
        logger.info(json.dumps({"event": "topics_left_with_cluster", "request": request}))
        return {"PhysicalResourceId": event.get("PhysicalResourceId", PHYSICAL_ID)}
    # MSK takes IAM; KAFKA_AUTH=plaintext points the same code at the local twin's broker.
    connection = KafkaConnection(
        bootstrap_servers=properties["BootstrapServers"],
        auth=os.environ.get("KAFKA_AUTH", "iam"),  # type: ignore[arg-type]
        region=properties["Region"],
        client_id="topics",
    )
    specs = [
        TopicSpec(topic["Name"], int(topic["Partitions"]), int(topic["ReplicationFactor"]), dict(topic["Config"]))
        for topic in properties["Topics"]
    ]
    outcome = ensure_topics(connection.client_config(), specs)
    logger.info(json.dumps({"event": "topics_ensured", "request": request, "topics": outcome}))
    return {"PhysicalResourceId": PHYSICAL_ID, "Data": {"Topics": ",".join(sorted(outcome))}}
