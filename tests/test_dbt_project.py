"""The dbt project's Python side, without running dbt: files generated from the contracts, named queries."""

from __future__ import annotations

import pytest
import sqlglot
import yaml

from contracts import STREAMED_TABLES, TABLES
from dbt_project.scripts import generate_sources, named_queries
from dbt_project.scripts.local_target import EXTENSION_FILE, LocalTarget, prepare_extension_directory


def test_generated_files_are_in_sync_with_the_contracts() -> None:
    for path, expected in generate_sources.generated_files().items():
        assert path.read_text(encoding="utf-8") == expected, (
            f"{path} is stale: run `{generate_sources.REGENERATE}` and commit the result"
        )


def test_sources_have_a_batch_table_per_contract_and_an_events_table_per_topic() -> None:
    document = yaml.safe_load(generate_sources.render_sources_yaml())
    (source,) = document["sources"]
    tables = {table["name"]: table for table in source["tables"]}
    assert set(tables) == set(TABLES) | {f"{table.name}_events" for table in STREAMED_TABLES}
    orders = tables["orders"]
    assert [column["name"] for column in orders["columns"]] == [
        *TABLES["orders"].column_names,
        "_source_key",
        "_source_row",
        "_ingested_at",
        "ingest_date",
    ]
    assert orders["config"]["meta"]["location"] == "batch/orders/"
    events = tables["orders_events"]
    assert events["config"]["meta"]["location"] == "streaming/olist.orders.v1/"
    assert events["config"]["meta"]["partition_keys"] == ["dt", "hour"]
    checked = {name for name, table in tables.items() if table["config"]["freshness"]}
    assert checked == {f"{t.name}_events" for t in STREAMED_TABLES} | {n for n, t in TABLES.items() if not t.topic}


def test_contracts_macro_carries_types_constraints_and_batch_event_times() -> None:
    document = generate_sources.contracts_document()
    assert document["orders"]["constraints"]["order_status"]["allowed_values"][0] == "created"
    assert document["order_reviews"]["constraints"]["review_score"] == {"min_value": 1, "max_value": 5}
    assert document["order_items"]["columns"][5] == {"name": "price", "type": "decimal(12,2)"}
    assert document["orders"]["batch_event_time_columns"][-1] == "order_delivered_customer_date"
    assert document["order_payments"]["batch_event_time_columns"] == []
    assert document["order_reviews"]["batch_event_time_columns"] == ["review_answer_timestamp"]


def test_named_queries_read_the_environment_gold_database_and_parse_as_trino() -> None:
    queries = named_queries.athena_named_queries("feature_x_gold")
    assert [query.name for query in queries] == [
        "late_deliveries_by_state",
        "revenue_by_category_and_month",
        "top_sellers_by_revenue_and_rating",
    ]
    for query in queries:
        assert query.database == "feature_x_gold"
        assert query.description
        assert "{{" not in query.query_string
        tables = {
            table.sql(dialect="trino")
            for table in sqlglot.parse_one(query.query_string, read="trino").find_all(sqlglot.exp.Table)
        }
        assert tables and all(table.startswith('"feature_x_gold".') for table in tables), tables


def test_named_queries_refuse_refs_outside_gold(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "_analyses.yml").write_text("analyses: [{name: bad, description: reads silver}]\n")
    (tmp_path / "bad.sql").write_text("select * from {{ ref('stg_olist__orders') }}\n")
    monkeypatch.setattr(named_queries, "ANALYSES_DIR", tmp_path)
    with pytest.raises(ValueError, match="'stg_olist__orders', which is not a Gold model"):
        named_queries.athena_named_queries("x_gold")


def test_extension_directory_links_the_wheel_httpfs_in_duckdb_layout(tmp_path) -> None:  # type: ignore[no-untyped-def]
    directory = prepare_extension_directory(tmp_path / "ext")
    (linked,) = directory.glob(f"v*/*/{EXTENSION_FILE}")
    assert linked.is_symlink() and linked.resolve().is_file()
    assert prepare_extension_directory(tmp_path / "ext") == directory  # idempotent
    env = LocalTarget("s3://bronze", tmp_path / "lake.duckdb", tmp_path / "ext", "http://127.0.0.1:1").environment()
    assert env["KEYSTONE_DUCKDB_EXTENSION_DIR"] == str(directory)
    assert env["KEYSTONE_S3_ENDPOINT"] == "http://127.0.0.1:1"
