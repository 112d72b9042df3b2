"""Catalog: the Glue databases of each layer, the Bronze tables, and the Athena workgroup."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_kms as kms
from constructs import Construct

from dbt_project.scripts.named_queries import NamedQuery
from stacks.constructs.bronze_tables import BronzeTables

LAYERS = ("bronze", "silver", "gold")


class CatalogStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        database_names: dict[str, str],
        layer_bucket_names: dict[str, str],
        query_results_bucket_name: str,
        key: kms.IKey,
        workgroup_name: str,
        bytes_scanned_cutoff: int,
        destroy_on_teardown: bool,
        named_queries: Sequence[NamedQuery],
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.databases: dict[str, glue.CfnDatabase] = {}
        for layer in LAYERS:
            self.databases[layer] = glue.CfnDatabase(
                self,
                f"{layer.title()}Database",
                catalog_id=self.account,
                database_input=glue.CfnDatabase.DatabaseInputProperty(
                    name=database_names[layer],
                    description=f"{layer.title()} layer of the Olist lakehouse",
                    location_uri=f"s3://{layer_bucket_names[layer]}/",
                ),
            )

        self.bronze_tables = BronzeTables(
            self,
            "BronzeTables",
            catalog_id=self.account,
            database_name=database_names["bronze"],
            bucket_name=layer_bucket_names["bronze"],
        )
        for table in self.bronze_tables.tables.values():
            table.node.add_dependency(self.databases["bronze"])

        self.workgroup = athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=workgroup_name,
            description="Queries over this environment's lakehouse",
            state="ENABLED",
            # Not a removal policy: the workgroup goes with its queries and query history (stacks/teardown.py).
            recursive_delete_option=destroy_on_teardown,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=bytes_scanned_cutoff,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version="Athena engine version 3"
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{query_results_bucket_name}/athena/",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_KMS", kms_key=key.key_arn
                    ),
                ),
            ),
        )
        # The dbt analyses, ready to run in this workgroup: the cloud demo ends in Athena with one click.
        for query in named_queries:
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
