"""One lakehouse environment: every stack of one branch, wired together."""

from __future__ import annotations

from dataclasses import dataclass

import aws_cdk as cdk
from constructs import Construct

from contracts import STREAMED_TABLES
from environments import Environment
from stacks.catalog import LAYERS, CatalogStack
from stacks.ingestion import FUNCTION_TIMEOUT as INGESTION_FUNCTION_TIMEOUT
from stacks.ingestion import IngestionStack
from stacks.monitoring import AlarmThresholds, MonitoredResources, MonitoringStack
from stacks.network import NetworkStack
from stacks.orchestration import OrchestrationStack
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


def airflow_settings(env: Environment) -> dict[str, str]:
    """What the DAGs and dbt read to find this environment.

    MWAA exposes each option `keystone.<name>` as AIRFLOW__KEYSTONE__<NAME>; `dags/keystone_dags/settings.py`
    reads them, and hands them to dbt as KEYSTONE_<NAME> (dbt_project/profiles.yml, target `athena`).
    """
    alert_topic = f"arn:aws:sns:{env.region}:{env.account}:{env.resource_name('alerts')}"
    return {
        "keystone.runtime": "aws",
        "keystone.slug": env.slug,
        "keystone.region": env.region,
        "keystone.aws_region": env.region,
        "keystone.landing_bucket": env.bucket_name("landing"),
        "keystone.bronze_bucket": env.bucket_name("bronze"),
        "keystone.artifacts_bucket": env.bucket_name("artifacts"),
        "keystone.alert_topic_arn": alert_topic,
        "keystone.ingestion_function": env.resource_name("ingestion"),
        "keystone.ingestion_function_timeout_s": str(int(INGESTION_FUNCTION_TIMEOUT.to_seconds())),
        "keystone.producer_function": env.resource_name("producer"),
        "keystone.dbt_target": "athena",
        "keystone.athena_workgroup": env.resource_name("lakehouse"),
        "keystone.athena_s3_staging_dir": f"s3://{env.bucket_name('query-results')}/dbt/",
        "keystone.athena_silver_data_dir": f"s3://{env.bucket_name('silver')}/",
        "keystone.athena_gold_data_dir": f"s3://{env.bucket_name('gold')}/",
        # The Glue databases the Catalog stack creates: dbt's athena target builds Silver and Gold in them and reads
        # Bronze from there (dbt_project/profiles.yml, macros/generate_schema_name.sql).
        **{f"keystone.{layer}_database": env.glue_database(layer) for layer in LAYERS},
    }


def build_lakehouse(scope: Construct, env: Environment) -> Lakehouse:
    profile = env.profile
    common = {"env": cdk.Environment(account=env.account, region=env.region)}

    def stack_args(component: str, description: str) -> dict:
        return {"stack_name": env.stack_name(component), "description": f"{description} ({env.branch})", **common}

    network = NetworkStack(scope, env)
    storage = StorageStack(scope, env)
    catalog = CatalogStack(scope, env, storage=storage)
    streaming = StreamingStack(
        scope,
        env.stack_name("Streaming"),
        vpc=network.vpc,
        msk_security_group=network.msk_security_group,
        connect_security_group=network.connect_security_group,
        client_security_group=network.lambda_security_group,
        key=storage.key,
        bronze_bucket_name=env.bucket_name("bronze"),
        cluster_name=env.resource_name("kafka"),
        connector_name=env.resource_name("bronze-sink"),
        producer_function_name=env.resource_name("producer"),
        producer_failure_queue_name=env.resource_name("producer-failures"),
        replay_source_bucket_name=env.bucket_name("landing"),
        topics=[table.topic for table in STREAMED_TABLES],
        msk=profile.msk,
        connect=profile.connect,
        log_retention_days=profile.log_retention_days,
        **stack_args("Streaming", "MSK, topics and the MSK Connect sink into Bronze"),
    )
    streaming.add_stack_dependency(storage, "the sink writes into the storage stack's Bronze bucket")
    ingestion = IngestionStack(scope, env, storage=storage)
    orchestration = OrchestrationStack(
        scope,
        env.stack_name("Orchestration"),
        environment_name=env.resource_name("airflow"),
        settings=profile.mwaa,
        vpc=network.vpc,
        security_group=network.mwaa_security_group,
        artifacts_bucket_name=env.bucket_name("artifacts"),
        key=storage.key,
        bucket_names={p: env.bucket_name(p) for p in ("landing", *LAYERS, "query-results")},
        glue_databases={layer: env.glue_database(layer) for layer in LAYERS},
        workgroup_name=env.resource_name("lakehouse"),
        invokable_function_names=[env.resource_name("ingestion"), env.resource_name("producer")],
        alert_topic_name=env.resource_name("alerts"),
        airflow_settings=airflow_settings(env),
        destroy_on_teardown=profile.destroy_on_teardown,
        **stack_args("Orchestration", "MWAA environment, DAGs and dbt project"),
    )
    for upstream in (storage, catalog, streaming, ingestion):
        orchestration.add_stack_dependency(upstream, "DAGs use the buckets, catalog, producer and ingestion")
    monitoring = MonitoringStack(
        scope,
        env.stack_name("Monitoring"),
        dashboard_name=env.resource_name("lakehouse"),
        alert_topic_name=env.resource_name("alerts"),
        alert_email=env.alert_email,
        key=storage.key,
        resources=MonitoredResources(
            kafka_cluster=env.resource_name("kafka"),
            broker_count=profile.msk.broker_count,
            topics=[table.topic for table in STREAMED_TABLES],
            connector=env.resource_name("bronze-sink"),
            connector_consumer_group=streaming.connector.consumer_group,
            ingestion_function=env.resource_name("ingestion"),
            ingestion_dead_letter_queue=env.resource_name("ingestion-dlq"),
            producer_failure_queue=env.resource_name("producer-failures"),
            airflow_environment=env.resource_name("airflow"),
            athena_workgroup=env.resource_name("lakehouse"),
        ),
        thresholds=AlarmThresholds(athena_bytes_per_hour=profile.athena_bytes_scanned_cutoff * 5),
        **stack_args("Monitoring", "Dashboard, alarms and the alert topic"),
    )
    monitoring.add_stack_dependency(storage, "the alert topic is encrypted with the lake key")
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
        apply_teardown(stack, destroy_on_teardown=profile.destroy_on_teardown)
    return lakehouse
