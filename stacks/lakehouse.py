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

# What a paused environment drops (`make pause`, docs/deploying.md): the stacks that cost by the hour. Only these
# import from Network, and none of the retained stacks imports from them, so they can go without touching the rest.
COMPUTE_COMPONENTS = ("Monitoring", "Orchestration", "Streaming", "Network")


@dataclass
class Lakehouse:
    storage: StorageStack
    catalog: CatalogStack
    ingestion: IngestionStack
    network: NetworkStack | None = None
    streaming: StreamingStack | None = None
    orchestration: OrchestrationStack | None = None
    monitoring: MonitoringStack | None = None

    @property
    def stacks(self) -> list[cdk.Stack]:
        every = (
            self.network,
            self.storage,
            self.catalog,
            self.streaming,
            self.ingestion,
            self.orchestration,
            self.monitoring,
        )
        return [stack for stack in every if stack is not None]


def build_lakehouse(scope: Construct, env: Environment, *, paused: bool = False) -> Lakehouse:
    """Every stack of `env`; `paused`: only the data, catalog and ingestion (no COMPUTE_COMPONENTS)."""
    storage = StorageStack(scope, env)
    catalog = CatalogStack(scope, env, storage=storage)
    ingestion = IngestionStack(scope, env, storage=storage)
    lakehouse = Lakehouse(storage=storage, catalog=catalog, ingestion=ingestion)
    if not paused:
        network = NetworkStack(scope, env)
        streaming = StreamingStack(scope, env, network=network, storage=storage)
        orchestration = OrchestrationStack(scope, env, network=network, storage=storage)
        # The DAGs use the tables, the producer and the ingestion function by name, so only the deploy order says so.
        for upstream in (catalog, streaming, ingestion):
            orchestration.add_stack_dependency(upstream, UPSTREAM_REASON)
        lakehouse.network = network
        lakehouse.streaming = streaming
        lakehouse.orchestration = orchestration
        lakehouse.monitoring = MonitoringStack(scope, env, storage=storage, streaming=streaming)
    for stack in lakehouse.stacks:
        for key, value in env.tags.items():
            cdk.Tags.of(stack).add(key, value)
        apply_teardown(stack, destroy_on_teardown=env.profile.destroy_on_teardown)
    return lakehouse
