"""The Athena target without AWS: `dbt parse` offline, `dbt compile` against moto's Glue/Athena APIs (which answer
the relation lookups but run no SQL), and every compiled model parsed as Trino SQL, first-run and incremental.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import boto3
import pytest
import sqlglot

from dbt_project.scripts.named_queries import athena_named_queries
from tests.fixtures.dbt_cli import DbtProject
from tests.fixtures.moto import MOTO_ENVIRONMENT, moto_server

pytestmark = pytest.mark.slow

SLUG = "feature-x"
DATABASE_PREFIX = "feature_x"
ATHENA_ENVIRONMENT = {
    "KEYSTONE_DBT_TARGET": "athena",
    "KEYSTONE_SLUG": SLUG,
    **{f"KEYSTONE_{layer.upper()}_DATABASE": f"{DATABASE_PREFIX}_{layer}" for layer in ("bronze", "silver", "gold")},
    "KEYSTONE_AWS_REGION": MOTO_ENVIRONMENT["AWS_REGION"],
    "KEYSTONE_ATHENA_WORKGROUP": "keystone-feature-x-analytics",
    "KEYSTONE_ATHENA_S3_STAGING_DIR": "s3://keystone-feature-x-query-results/dbt/",
    "KEYSTONE_ATHENA_SILVER_DATA_DIR": "s3://keystone-feature-x-silver/dbt/",
    "KEYSTONE_ATHENA_GOLD_DATA_DIR": "s3://keystone-feature-x-gold/dbt/",
}
SINCE = "2026-11-20 07:00:00"


@dataclass
class Compiled:
    manifest: dict
    first_run: dict[str, str]  # model name -> compiled SQL, tables absent (full build)
    incremental: dict[str, str]  # incremental models with their tables present (later runs)
    analyses: dict[str, str]
    tests: dict[str, str]  # singular data tests


def _compiled_sql(work_dir: Path, manifest: dict, resource_type: str) -> dict[str, str]:
    """name -> compiled SQL of the project's nodes of one type that this compile wrote."""
    compiled = {}
    for node in manifest["nodes"].values():
        path = work_dir / "target" / "compiled" / "keystone" / node["original_file_path"]
        if node["resource_type"] == resource_type and path.suffix == ".sql" and path.exists():
            compiled[node["name"]] = path.read_text(encoding="utf-8")
    return compiled


def _register_tables(endpoint: str, manifest: dict) -> None:
    """Glue tables for the incremental models, as a first dbt run would leave them (Iceberg)."""
    glue = boto3.client(
        "glue",
        endpoint_url=endpoint,
        region_name=MOTO_ENVIRONMENT["AWS_REGION"],
        aws_access_key_id=MOTO_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=MOTO_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
    )
    models = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"]["materialized"] == "incremental"
    ]
    for schema in sorted({node["schema"] for node in models}):
        glue.create_database(DatabaseInput={"Name": schema})
    for node in models:
        glue.create_table(
            DatabaseName=node["schema"],
            TableInput={
                "Name": node["alias"],
                "TableType": "EXTERNAL_TABLE",
                "Parameters": {"table_type": "ICEBERG"},
                "StorageDescriptor": {"Columns": [], "Location": f"s3://keystone-feature-x-silver/{node['alias']}/"},
            },
        )


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    parsed = DbtProject(tmp_path_factory.mktemp("dbt_athena_parse"), {**MOTO_ENVIRONMENT, **ATHENA_ENVIRONMENT})
    # No endpoint at all: parsing needs no AWS API.
    parsed.run("parse", "--target", "athena")
    manifest = json.loads((parsed.work_dir / "target" / "manifest.json").read_text(encoding="utf-8"))
    with moto_server() as endpoint:
        env = {**MOTO_ENVIRONMENT, **ATHENA_ENVIRONMENT, "AWS_ENDPOINT_URL": endpoint}
        first = DbtProject(tmp_path_factory.mktemp("dbt_athena_first"), env)
        first.run("compile", "--target", "athena")
        _register_tables(endpoint, manifest)
        later = DbtProject(tmp_path_factory.mktemp("dbt_athena_incremental"), env)
        later.run(
            "compile",
            "--target",
            "athena",
            "--select",
            "config.materialized:incremental",
            "--vars",
            json.dumps({"bronze_since": SINCE}),
        )
    return Compiled(
        manifest=manifest,
        first_run=_compiled_sql(first.work_dir, manifest, "model"),
        incremental=_compiled_sql(later.work_dir, manifest, "model"),
        analyses=_compiled_sql(first.work_dir, manifest, "analysis"),
        tests=_compiled_sql(first.work_dir, manifest, "test"),
    )


def _assert_trino(name: str, sql: str) -> None:
    """Parses as Trino, and none of the DuckDB syntax sqlglot's lenient Trino parser would let through."""
    try:
        trees = sqlglot.parse(sql, read="trino", error_level=sqlglot.ErrorLevel.RAISE)
    except sqlglot.errors.ParseError as error:
        raise AssertionError(f"{name} does not parse as Trino SQL: {error}\n{sql}") from error
    assert "::" not in sql, f"{name} uses a DuckDB `::` cast"
    for tree in filter(None, trees):
        unknown = sorted({node.name for node in tree.find_all(sqlglot.exp.Anonymous)})
        assert not unknown, f"{name} calls functions sqlglot does not know as Trino functions: {unknown}"
        assert not list(tree.find_all(sqlglot.exp.Struct)), f"{name} uses a struct literal"
        stars = [star for star in tree.find_all(sqlglot.exp.Star) if any(star.args.values())]
        assert not stars, f"{name} uses * EXCLUDE/REPLACE"


def test_every_model_compiles_to_trino_sql(compiled: Compiled) -> None:
    models = {node["name"]: node for node in compiled.manifest["nodes"].values() if node["resource_type"] == "model"}
    assert len(models) == 22 and compiled.first_run.keys() == models.keys()
    incremental = {name for name, node in models.items() if node["config"]["materialized"] == "incremental"}
    assert compiled.incremental.keys() == incremental and len(incremental) == 10
    for phase in (compiled.first_run, compiled.incremental):
        for name, sql in phase.items():
            _assert_trino(name, sql)


def test_singular_tests_and_analyses_compile_to_trino_sql(compiled: Compiled) -> None:
    assert len(compiled.tests) >= 3 and len(compiled.analyses) == 3
    for name, sql in {**compiled.tests, **compiled.analyses}.items():
        _assert_trino(name, sql)


def test_models_read_the_environment_databases_with_iceberg_timestamps(compiled: Compiled) -> None:
    orders = compiled.first_run["stg_olist__orders"]
    assert f'"awsdatacatalog"."{DATABASE_PREFIX}_bronze"."orders_events"' in orders
    assert f'"awsdatacatalog"."{DATABASE_PREFIX}_bronze"."orders"' in orders
    assert "timestamp(6)" in orders and not re.search(r"as timestamp\)", orders)
    fct = compiled.first_run["fct_orders"]
    assert f'"awsdatacatalog"."{DATABASE_PREFIX}_silver"."int_orders_enriched"' in fct
    schemas = {node["schema"] for node in compiled.manifest["nodes"].values() if node["resource_type"] == "model"}
    assert schemas == {f"{DATABASE_PREFIX}_silver", f"{DATABASE_PREFIX}_gold"}


def test_incremental_runs_read_only_the_arrival_window_and_compete_with_stored_rows(compiled: Compiled) -> None:
    orders = compiled.incremental["stg_olist__orders"]
    # The hours since the watermark, not its whole day: literals on the partition keys alone, which partition
    # projection prunes (https://docs.aws.amazon.com/athena/latest/ug/partition-projection.html).
    assert "where dt >= '2026-11-20' and (dt > '2026-11-20' or (dt = '2026-11-20' and (hour >= '07')))" in orders
    assert "where ingest_date >= '2026-11-20'" in orders
    assert f"cast('{SINCE}' as timestamp(6))" in orders
    assert f'from "awsdatacatalog"."{DATABASE_PREFIX}_silver"."stg_olist__orders" as current_version' in orders
    assert "dt >=" not in compiled.first_run["stg_olist__orders"]
    fct = compiled.incremental["fct_orders"]
    assert "except" in fct and f'"{DATABASE_PREFIX}_gold"."fct_orders"' in fct


def test_named_queries_match_the_compiled_analyses(compiled: Compiled) -> None:
    queries = {query.name: query for query in athena_named_queries(f"{DATABASE_PREFIX}_gold")}
    assert queries.keys() == compiled.analyses.keys()
    for name, sql in compiled.analyses.items():
        compiled_sql = sql.replace('"awsdatacatalog".', "").strip()
        assert queries[name].query_string.strip() == compiled_sql, name
