"""Catalog: Glue databases, Bronze tables from the contracts with projection, the Athena workgroup."""

from datetime import UTC, datetime, timedelta

import pytest

from contracts import TABLES, layout
from tests.fixtures.projection import projected_partitions

# The day of this repository's first commit: no environment of it can have written Bronze before (partitions are
# by arrival, the hour the sink or the batch ingestion wrote, not by the orders' own dates).
FIRST_POSSIBLE_ARRIVAL = datetime(2026, 11, 25, tzinfo=UTC)


def _tables(synthesized):
    resources = synthesized.template("Catalog").find_resources("AWS::Glue::Table")
    return {r["Properties"]["TableInput"]["Name"]: r["Properties"] for r in resources.values()}


def test_one_database_per_layer_named_with_the_slug(feature_env):
    databases = feature_env.template("Catalog").find_resources("AWS::Glue::Database")
    names = {d["Properties"]["DatabaseInput"]["Name"] for d in databases.values()}
    slug = feature_env.environment.slug.replace("-", "_")
    assert names == {f"{slug}_bronze", f"{slug}_silver", f"{slug}_gold"}


def test_a_batch_table_per_contract_and_an_events_table_per_topic(feature_env):
    tables = _tables(feature_env)
    expected = set(TABLES) | {f"{t.name}_events" for t in TABLES.values() if t.topic}
    assert set(tables) == expected
    assert len(tables) == 13


def test_batch_table_columns_come_from_the_contract(feature_env):
    items = _tables(feature_env)["order_items"]["TableInput"]
    columns = [(c["Name"], c["Type"]) for c in items["StorageDescriptor"]["Columns"]]
    contract = [(c.name, c.type.glue_type) for c in TABLES["order_items"].columns]
    assert columns[: len(contract)] == contract
    assert [name for name, _ in columns[len(contract) :]] == list(layout.LINEAGE_COLUMNS)
    assert ("price", "decimal(12,2)") in columns


def test_every_table_uses_partition_projection_on_its_layout(feature_env):
    bucket = feature_env.environment.bucket_name("bronze")
    tables = _tables(feature_env)
    for contract in TABLES.values():
        params = tables[contract.name]["TableInput"]["Parameters"]
        assert params["projection.enabled"] == "true"
        assert params["storage.location.template"] == f"s3://{bucket}/" + layout.batch_projection_template(
            contract.name
        )
        if contract.topic:
            events = tables[f"{contract.name}_events"]["TableInput"]
            template = events["Parameters"]["storage.location.template"]
            assert template == f"s3://{bucket}/" + layout.streaming_projection_template(contract.topic)
            assert [k["Name"] for k in events["PartitionKeys"]] == ["dt", "hour"]
            assert events["Parameters"]["projection.hour.range"] == "0,23"


def test_workgroup_enforces_engine_v3_kms_results_and_cutoff(main_env, feature_env):
    for synthesized, cutoff in ((feature_env, 10 * 1024**3), (main_env, 100 * 1024**3)):
        workgroup = next(iter(synthesized.template("Catalog").find_resources("AWS::Athena::WorkGroup").values()))
        config = workgroup["Properties"]["WorkGroupConfiguration"]
        assert workgroup["Properties"]["Name"] == synthesized.environment.resource_name("lakehouse")
        assert config["EnforceWorkGroupConfiguration"] is True
        assert config["EngineVersion"]["SelectedEngineVersion"] == "Athena engine version 3"
        assert config["BytesScannedCutoffPerQuery"] == cutoff
        encryption = config["ResultConfiguration"]["EncryptionConfiguration"]
        assert encryption["EncryptionOption"] == "SSE_KMS"
        assert synthesized.environment.bucket_name("query-results") in str(config["ResultConfiguration"])


def test_demo_analyses_are_named_queries_in_the_workgroup(feature_env):
    from dbt_project.scripts.named_queries import ANALYSES_DIR

    queries = feature_env.template("Catalog").find_resources("AWS::Athena::NamedQuery")
    names = {q["Properties"]["Name"] for q in queries.values()}
    assert names == {path.stem for path in ANALYSES_DIR.glob("*.sql")}
    assert len(names) >= 3
    gold = feature_env.environment.glue_database("gold")
    for query in queries.values():
        props = query["Properties"]
        assert props["WorkGroup"] == feature_env.environment.resource_name("lakehouse")
        assert props["Database"] == gold
        assert f'"{gold}".' in props["QueryString"] and "{{" not in props["QueryString"]


@pytest.mark.parametrize("age", [timedelta(hours=1), timedelta(days=7), timedelta(days=365)])
def test_an_unfiltered_query_projects_only_partitions_since_data_could_arrive(main_env, feature_env, age):
    """An unfiltered Bronze query enumerates the partitions of the hours since the project began, up to now, and
    no more (from 2016 it was ~95,000 hourly prefixes per table, each one an S3 listing)."""
    now = FIRST_POSSIBLE_ARRIVAL + age
    days = age.days + 1
    for synthesized in (main_env, feature_env):
        for name, table in _tables(synthesized).items():
            keys = [key["Name"] for key in table["TableInput"]["PartitionKeys"]]
            partitions = projected_partitions(table["TableInput"]["Parameters"], keys, now)
            if keys == ["dt", "hour"]:
                assert len(partitions) == days * 24, (name, len(partitions))
                assert (now.strftime("%Y-%m-%d"), now.strftime("%H")) in partitions, name
            else:
                assert keys == ["ingest_date"]
                assert len(partitions) == days, (name, len(partitions))
                assert (now.strftime("%Y-%m-%d"),) in partitions, name
