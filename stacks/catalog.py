"""Catalog: the Glue databases of each layer, the Bronze tables, and the Athena workgroup."""

from __future__ import annotations

from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from constructs import Construct

from dbt_project.scripts.named_queries import athena_named_queries
from environments import Environment
from stacks import names
from stacks.constructs.bronze_tables import BronzeTables
from stacks.environment_stack import EnvironmentStack
from stacks.storage import StorageStack

LAYERS = ("bronze", "silver", "gold")


class CatalogStack(EnvironmentStack):
    COMPONENT = "Catalog"
    DESCRIPTION = "Glue databases, Bronze tables and Athena workgroup"

    def __init__(self, scope: Construct, environment: Environment, *, storage: StorageStack) -> None:
        super().__init__(scope, environment)
        self.add_stack_dependency(storage, "tables and workgroup point into the storage stack's buckets")
        profile = environment.profile
        self.databases: dict[str, glue.CfnDatabase] = {}
        for layer in LAYERS:
            self.databases[layer] = glue.CfnDatabase(
                self,
                f"{layer.title()}Database",
                catalog_id=self.account,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=environment.glue_database(layer),
                    description=f"{layer.title()} layer of the Olist lakehouse",
                    location_uri=f"s3://{environment.bucket_name(layer)}/",
                ),
            )

        self.bronze_tables = BronzeTables(
            self,
            "BronzeTables",
            catalog_id=self.account,
            database_name=environment.glue_database("bronze"),
            bucket_name=environment.bucket_name("bronze"),
        )
        for table in self.bronze_tables.tables.values():
            table.node.add_dependency(self.databases["bronze"])

        self.workgroup = athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=names.athena_workgroup(environment),
            description="Queries over this environment's lakehouse",
            state="ENABLED",
            # Not a removal policy: the workgroup goes with its queries and query history (stacks/teardown.py).
            recursive_delete_option=profile.destroy_on_teardown,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=profile.athena_bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{environment.bucket_name('query-results')}/athena/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=storage.key.key_arn
                    ),
                ),
            ),
        )
        # The dbt analyses, ready to run in this workgroup: the cloud demo ends in Athena with one click.
        for query in athena_named_queries(environment.glue_database("gold")):
            named = athena.CfnNamedQuery(
                self,
                f"Query{query.name.title().replace('_', '')}",
                name=query.name,
                description=query.description[:1024],
                database=query.database,
                query_string=query.query_string,
                work_group=self.workgroup.name,
            )
            named.node.add_dependency(self.workgroup)
