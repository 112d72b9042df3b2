"""Bronze Glue tables derived from the data contracts, with partition projection (no crawlers)."""

from __future__ import annotations

from aws_cdk import aws_glue as glue
from constructs import Construct

from contracts import TABLES, TableContract, envelope, layout

_PARQUET = glue.CfnTable.StorageDescriptorProperty(
    input_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    output_format="org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    serde_info=glue.CfnTable.SerdeInfoProperty(
        serialization_library="org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe"
    ),
)
_JSON_LINES = glue.CfnTable.StorageDescriptorProperty(
    input_format="org.apache.hadoop.mapred.TextInputFormat",
    output_format="org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
    serde_info=glue.CfnTable.SerdeInfoProperty(
        serialization_library="org.openx.data.jsonserde.JsonSerDe",
        parameters={"ignore.malformed.json": "false"},
    ),
)
_LINEAGE_TYPES = {"_source_key": "string", "_source_row": "bigint", "_ingested_at": "timestamp"}


def events_table_name(table: TableContract) -> str:
    return f"{table.name}_events"


def _column(name: str, glue_type: str, comment: str = "") -> glue.CfnTable.ColumnProperty:
    return glue.CfnTable.ColumnProperty(name=name, type=glue_type, comment=comment or None)


def _partition_keys(partitions: tuple[layout.PartitionKey, ...]) -> list[glue.CfnTable.ColumnProperty]:
    return [_column(key.name, "string", key.description) for key in partitions]


def _projection(template: str, partitions: tuple[layout.PartitionKey, ...]) -> dict[str, str]:
    parameters = {"projection.enabled": "true", "storage.location.template": template}
    for key in partitions:
        parameters.update({f"projection.{key.name}.{name}": value for name, value in key.projection.items()})
    return parameters


class BronzeTables(Construct):
    """One Parquet table per Olist table (batch files) and one JSON table per topic (stream events)."""

    def __init__(self, scope: Construct, construct_id: str, *, catalog_id: str, database_name: str, bucket_name: str):
        super().__init__(scope, construct_id)
        self._catalog_id = catalog_id
        self._database_name = database_name
        self._root = f"s3://{bucket_name}/"
        self.tables: dict[str, glue.CfnTable] = {}
        for table in TABLES.values():
            self.tables[table.name] = self._batch_table(table)
            if table.topic:
                self.tables[events_table_name(table)] = self._events_table(table)

    def _batch_table(self, table: TableContract) -> glue.CfnTable:
        columns = [_column(c.name, c.type.glue_type, c.description) for c in table.columns]
        columns += [_column(name, _LINEAGE_TYPES[name], "lineage") for name in layout.LINEAGE_COLUMNS]
        return self._table(
            table.name,
            f"{table.description} Batch files, typed by the contract.",
            columns=columns,
            partition_keys=_partition_keys(layout.BATCH_PARTITIONS),
            storage=_PARQUET,
            prefix=layout.batch_table_prefix(table.name),
            parameters={"classification": "parquet"}
            | _projection(self._root + layout.batch_projection_template(table.name), layout.BATCH_PARTITIONS),
        )

    def _events_table(self, table: TableContract) -> glue.CfnTable:
        columns = [_column(field.name, field.glue_type, field.description) for field in envelope.fields(table)]
        return self._table(
            events_table_name(table),
            f"{table.description} Events from topic {table.topic}, as the S3 sink wrote them.",
            columns=columns,
            partition_keys=_partition_keys(layout.STREAMING_PARTITIONS),
            storage=_JSON_LINES,
            prefix=layout.streaming_table_prefix(table.topic),
            parameters={"classification": "json", "compressionType": "gzip"}
            | _projection(self._root + layout.streaming_projection_template(table.topic), layout.STREAMING_PARTITIONS),
        )

    def _table(
        self,
        name: str,
        description: str,
        *,
        columns: list[glue.CfnTable.ColumnProperty],
        partition_keys: list[glue.CfnTable.ColumnProperty],
        storage: glue.CfnTable.StorageDescriptorProperty,
        prefix: str,
        parameters: dict[str, str],
    ) -> glue.CfnTable:
        return glue.CfnTable(
            self,
            name,
            catalog_id=self._catalog_id,
            database_name=self._database_name,
            table_input=glue.CfnTable.TableInputProperty(
                name=name,
                description=description,
                table_type="EXTERNAL_TABLE",
                parameters=parameters,
                partition_keys=partition_keys,
                storage_descriptor=glue.CfnTable.StorageDescriptorProperty(
                    columns=columns,
                    location=self._root + prefix,
                    input_format=storage.input_format,
                    output_format=storage.output_format,
                    serde_info=storage.serde_info,
                ),
            ),
        )
