"""One lakehouse environment: every stack of one branch, wired together."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from environments import Environment
from stacks.catalog import CatalogStack
from stacks.ingestion import IngestionStack
from stacks.monitoring import MonitoringStack
from stacks.network import NetworkStack
from stacks.orchestration import UPSTREAM_REASON, OrchestrationStack
from stacks.storage import StorageStack
from stacks.streaming import StreamingStack
from stacks.teardown import apply_teardown


@dataclass
class Lakehouse:
    network: NetworkStack
    storage: StorageStack
    catalog: CatalogStack
    streaming: StreamingStack
    ingestion: IngestionStack
    orchestration: OrchestrationStack
    monitoring: MonitoringStack

    @property
    def stacks(self) -> list[cdk.Stack]:
        return [
            self.network,
            self.storage,
            self.catalog,
            self.streaming,
            self.ingestion,
            self.orchestration,
            self.monitoring,
        ]


def build_lakehouse(scope: Construct, env: Environment) -> Lakehouse:
    network = NetworkStack(scope, env)
    storage = StorageStack(scope, env)
    catalog = CatalogStack(scope, env, storage=storage)
    streaming = StreamingStack(scope, env, network=network, storage=storage)
    ingestion = IngestionStack(scope, env, storage=storage)
    orchestration = OrchestrationStack(scope, env, network=network, storage=storage)
    # The DAGs use the tables, the producer and the ingestion function by name, so only the deploy order says so.
    for upstream in (catalog, streaming, ingestion):
        orchestration.add_stack_dependency(upstream, UPSTREAM_REASON)
    monitoring = MonitoringStack(scope, env, storage=storage, streaming=streaming)
    lakehouse = Lakehouse(
        network=network,
        storage=storage,
        catalog=catalog,
        streaming=streaming,
        ingestion=ingestion,
        orchestration=orchestration,
        monitoring=monitoring,
    )
    for stack in lakehouse.stacks:
        for key, value in env.tags.items():
            cdk.Tags.of(stack).add(key, value)
        apply_teardown(stack, destroy_on_teardown=env.profile.destroy_on_teardown)
    return lakehouse
