"""`make pause`: drain the S3 sink into Bronze, then delete the environment's compute stacks and keep its data.

The compute stacks (`stacks.lakehouse.COMPUTE_COMPONENTS`: MSK, MSK Connect, MWAA, the VPC Lambdas, the NAT) go
through `deployment.destroy` (dependency order, the network stack once Lambda releases its interfaces). Storage,
Catalog and Ingestion stay exactly as deployed: none of them imports from a compute stack (tests/test_pause.py).
`make resume` is `make deploy`: it recreates the compute stacks, and dbt goes on from what Bronze holds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

from confluent_kafka.admin import AdminClient

from contracts import STREAMED_TABLES
from deployment.aws import reader_session
from deployment.branch import describe_environment, environment_or_exit
from deployment.destroy import DestroyFailed, destroy
from deployment.drain import DrainTimeout, sink_group, wait_for_drain
from producers.kafka_config import KafkaConnection
from stacks.lakehouse import COMPUTE_COMPONENTS
from stacks.names import sink_connector


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cdk", required=True, help="the CDK CLI to delete stacks with")
    parser.add_argument(
        "--bootstrap-servers",
        default=os.environ.get("KAFKA_BOOTSTRAP", ""),
        help="the MSK cluster's IAM bootstrap brokers (`aws kafka get-bootstrap-brokers`), reachable from here "
        "(default: $KAFKA_BOOTSTRAP)",
    )
    arguments = parser.parse_args()
    if not arguments.bootstrap_servers:
        parser.error("KAFKA_BOOTSTRAP=<brokers> (or --bootstrap-servers): the drain reads the sink's consumer lag")
    environment = environment_or_exit()  # an unusable branch stops before anything is drained or deleted
    print(describe_environment(environment))
    if not environment.profile.destroy_on_teardown:
        # Its MSK cluster and log groups are retained on deletion and would collide with the resumed stack's.
        parser.error(f"{environment.slug} is a persistent environment: `make pause` is for ephemeral ones")
    session = reader_session()
    connection = KafkaConnection(arguments.bootstrap_servers, auth="iam", region=session.region_name)
    topics = tuple(table.topic for table in STREAMED_TABLES if table.topic is not None)
    try:
        wait_for_drain(AdminClient(connection.client_config()), sink_group(sink_connector(environment)), topics)
        destroy(
            environment,
            session.client("cloudformation"),
            session.client("ec2"),
            lambda cdk_arguments: subprocess.run([arguments.cdk, *cdk_arguments], check=False).returncode,
            components=COMPUTE_COMPONENTS,
        )
    except (DrainTimeout, DestroyFailed) as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
