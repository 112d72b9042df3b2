"""Counts per entity from source to Gold, and the checks that they reconcile.

Bronze is counted straight from the objects on the S3 server (independently of dbt's own views), Silver
and Gold from the DuckDB warehouse dbt built.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from contracts import TABLES, layout
from dbt_project.scripts.local_target import prepare_extension_directory
from localtwin.transform import EXTENSION_DIR
from localtwin.warehouse import Warehouse

SILVER_MODELS = {name: f"stg_olist__{name}" for name in TABLES} | {
    "product_category_name_translation": "stg_olist__product_category_translation"
}
# The Gold model that carries an entity one row per key, where there is one.
GOLD_MODELS = {
    "orders": "fct_orders",
    "order_items": "fct_order_items",
    "products": "dim_products",
    "sellers": "dim_sellers",
}


@dataclass
class EntityCounts:
    entity: str
    path: str  # "stream" or "batch"
    source_rows: int
    bronze_rows: int  # rows loaded (batch) or rows accepted and sent as events (stream)
    quarantined: int
    bronze_keys: int  # distinct primary keys in Bronze
    silver_rows: int
    gold_model: str | None = None
    gold_rows: int | None = None


@dataclass(frozen=True)
class Check:
    name: str
    expected: object
    actual: object

    @property
    def ok(self) -> bool:
        return self.expected == self.actual


def bronze_connection(aws_environment: dict[str, str]) -> duckdb.DuckDBPyConnection:
    """DuckDB reading the local S3 server with the httpfs extension from its wheel (no download)."""
    connection = duckdb.connect(config={"extension_directory": str(prepare_extension_directory(EXTENSION_DIR))})
    connection.execute("load httpfs")
    endpoint = aws_environment["AWS_ENDPOINT_URL_S3"].removeprefix("http://")
    connection.execute(
        "create secret local_s3 (type s3, key_id ?, secret ?, region ?, endpoint ?, url_style 'path', use_ssl false)",
        [
            aws_environment["AWS_ACCESS_KEY_ID"],
            aws_environment["AWS_SECRET_ACCESS_KEY"],
            aws_environment["AWS_REGION"],
            endpoint,
        ],
    )
    return connection


def bronze_distinct_keys(connection: duckdb.DuckDBPyConnection, bucket: str, entity: str, path: str) -> int:
    table = TABLES[entity]
    # A table without a key (geolocation) is deduplicated on all of its contract columns.
    key = table.primary_key or table.column_names
    key_expression = ", ".join(f"payload.{column}" if path == "stream" else column for column in key)
    if path == "stream":
        relation = (
            f"read_json('s3://{bucket}/{layout.streaming_table_prefix(table.topic)}*/*/*.jsonl.gz', "
            "format='newline_delimited', hive_partitioning=false)"
        )
    else:
        relation = f"read_parquet('s3://{bucket}/{layout.batch_table_prefix(entity)}*/*.parquet')"
    query = f"select count(*) from (select distinct {key_expression} from {relation})"
    return int(connection.execute(query).fetchone()[0])  # type: ignore[index]


def warehouse_count(warehouse: Warehouse, layer: str, model: str) -> int:
    return int(warehouse.scalar(f"select count(*) from {warehouse.table(layer, model)}"))


def gold_checks(warehouse: Warehouse, entities: dict[str, EntityCounts]) -> list[Check]:
    checks = []
    for entity, counts in entities.items():
        if counts.gold_rows is not None:
            checks.append(
                Check(f"gold.{counts.gold_model} rows = silver {entity} rows", counts.silver_rows, counts.gold_rows)
            )
    if "order_items" in entities:
        silver = warehouse.scalar(
            f"select coalesce(sum(price), 0) from {warehouse.table('silver', 'stg_olist__order_items')}"
        )
        gold = warehouse.scalar(f"select coalesce(sum(price), 0) from {warehouse.table('gold', 'fct_order_items')}")
        checks.append(Check("gold item revenue = silver item prices", silver, gold))
    if "customers" in entities:
        people = warehouse.scalar(
            f"select count(distinct customer_unique_id) from {warehouse.table('silver', 'stg_olist__customers')}"
        )
        checks.append(
            Check(
                "gold.dim_customers rows = distinct silver customer_unique_id",
                people,
                warehouse_count(warehouse, "gold", "dim_customers"),
            )
        )
    return checks


def row_checks(entities: dict[str, EntityCounts]) -> list[Check]:
    checks = []
    for entity, counts in entities.items():
        checks.append(
            Check(
                f"{entity}: source rows = Bronze + quarantined",
                counts.source_rows,
                counts.bronze_rows + counts.quarantined,
            )
        )
        checks.append(Check(f"{entity}: silver rows = distinct Bronze keys", counts.bronze_keys, counts.silver_rows))
    return checks
