"""Write what the dbt project knows about Bronze from the data contracts, so nothing restates a schema by hand.

- `models/staging/olist/_olist__sources.yml`: the `olist_bronze` sources. Every Olist table has a batch source
  (typed Parquet, named like the table), every streamed table an events source (`<table>_events`, the sink's JSON
  lines), with locations, freshness and documented columns.
- `macros/olist_contracts.sql`: `olist_contracts()`, the contracts as a Jinja dict (columns and types, value
  constraints, keys, event time columns) for the macros that cast Bronze records and for the `valid_rows` test's
  `matches_contract` rules. A macro rather than the graph, because unit tests and hooks cannot always see
  `graph.sources`.

A test fails when a checked-in file is out of date.

    python -m dbt_project.scripts.generate_sources          # rewrite the files
    python -m dbt_project.scripts.generate_sources --check  # exit 1 when a file is stale
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from pathlib import Path

import yaml

from contracts import TABLES, Column, TableContract, envelope, layout

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1]
SOURCES_PATH = DBT_PROJECT_DIR / "models" / "staging" / "olist" / "_olist__sources.yml"
CONTRACTS_MACRO_PATH = DBT_PROJECT_DIR / "macros" / "olist_contracts.sql"
SOURCE_NAME = "olist_bronze"

# Bronze is the `bronze` schema of the DuckDB file locally (views the on-run-start hook creates over the files),
# and on Athena the Bronze Glue database the orchestration stack names (keystone.bronze_database).
SCHEMA_EXPRESSION = "{{ env_var('KEYSTONE_BRONZE_DATABASE') if target.type in ('athena', 'trino') else 'bronze' }}"

# Freshness is measured on arrival in Bronze, never on Olist's own (historic) timestamps.
STREAM_LOADED_AT = "cast(concat(dt, ' ', hour, ':00:00') as timestamp)"
BATCH_LOADED_AT = "_ingested_at"
STREAM_FRESHNESS = {"warn_after": {"count": 2, "period": "hour"}, "error_after": {"count": 12, "period": "hour"}}
BATCH_FRESHNESS = {"warn_after": {"count": 26, "period": "hour"}, "error_after": {"count": 74, "period": "hour"}}

# When a streamed table also arrives as a file, a batch row needs an event time comparable with the stream's.
# An order row is known as of its latest lifecycle timestamp (the stream's last event for that order carries the
# same row at that time); other tables use their contract's event time column, or the ingestion time if none.
BATCH_EVENT_TIME_COLUMNS = {
    "orders": (
        "order_purchase_timestamp",
        "order_approved_at",
        "order_delivered_carrier_date",
        "order_delivered_customer_date",
    ),
}

_LINEAGE_DESCRIPTIONS = {
    "_source_key": "Landing object key of the CSV file the row came from.",
    "_source_row": "1-based record number of the row in that file (header excluded).",
    "_ingested_at": "When the batch ingestion wrote the row (UTC).",
}
_LINEAGE_TYPES = {"_source_key": "string", "_source_row": "bigint", "_ingested_at": "timestamp"}


def batch_event_time_columns(table: TableContract) -> list[str]:
    names = BATCH_EVENT_TIME_COLUMNS.get(table.name)
    if names is None:
        names = (table.event_time_column,) if table.event_time_column else ()
    for name in names:
        table.column(name)  # raises KeyError naming the table when the contract lost the column
    return list(names)


def _batch_source(table: TableContract) -> dict[str, object]:
    columns: list[dict[str, object]] = [
        {"name": column.name, "data_type": column.type.glue_type, "description": column.description}
        for column in table.columns
    ]
    columns += [
        {"name": name, "data_type": _LINEAGE_TYPES[name], "description": _LINEAGE_DESCRIPTIONS[name]}
        for name in layout.LINEAGE_COLUMNS
    ]
    columns += _partition_columns(layout.BATCH_PARTITIONS)
    return {
        "name": table.name,
        "description": f"{table.description} Batch files ({table.file_name}), typed Parquet by the contract.",
        "config": {
            "loaded_at_field": BATCH_LOADED_AT,
            # Files of a streamed table are occasional backfills: their absence is no staleness.
            "freshness": None if table.topic else copy.deepcopy(BATCH_FRESHNESS),
            "meta": {
                "kind": "batch",
                "contract_table": table.name,
                "file_name": table.file_name,
                "location": layout.batch_table_prefix(table.name),
                "partition_keys": [key.name for key in layout.BATCH_PARTITIONS],
                "lineage_columns": list(layout.LINEAGE_COLUMNS),
                "primary_key": list(table.primary_key),
            },
        },
        "columns": columns,
    }


def _events_source(table: TableContract) -> dict[str, object]:
    return {
        "name": f"{table.name}_events",
        "description": f"{table.description} Events from topic {table.topic}, gzip JSON lines from the S3 sink.",
        "config": {
            "loaded_at_field": STREAM_LOADED_AT,
            "freshness": copy.deepcopy(STREAM_FRESHNESS),
            "meta": {
                "kind": "stream",
                "contract_table": table.name,
                "topic": table.topic,
                "location": layout.streaming_table_prefix(str(table.topic)),
                "partition_keys": [key.name for key in layout.STREAMING_PARTITIONS],
                "primary_key": list(table.primary_key),
            },
        },
        "columns": [
            *({"name": f.name, "data_type": f.glue_type, "description": f.description} for f in envelope.fields(table)),
            *_partition_columns(layout.STREAMING_PARTITIONS),
        ],
    }


def _partition_columns(partitions: tuple[layout.PartitionKey, ...]) -> list[dict[str, object]]:
    return [
        {"name": key.name, "data_type": "string", "description": f"Partition: {key.description}."} for key in partitions
    ]


def sources_document() -> dict[str, object]:
    tables: list[dict[str, object]] = []
    for table in TABLES.values():
        tables.append(_batch_source(table))
        if table.topic:
            tables.append(_events_source(table))
    return {
        "version": 2,
        "sources": [
            {
                "name": SOURCE_NAME,
                "description": (
                    "Bronze layer of the Olist lakehouse: raw stream events and typed batch files, "
                    "exactly as they landed."
                ),
                "schema": SCHEMA_EXPRESSION,
                "tables": tables,
            }
        ],
    }


def _constraints(column: Column) -> dict[str, object]:
    constraints: dict[str, object] = {}
    if column.allowed_values is not None:
        constraints["allowed_values"] = list(column.allowed_values)
    if column.min_value is not None:
        constraints["min_value"] = column.min_value
    if column.max_value is not None:
        constraints["max_value"] = column.max_value
    return constraints


def contracts_document() -> dict[str, object]:
    return {
        table.name: {
            "columns": [{"name": column.name, "type": column.type.glue_type} for column in table.columns],
            "constraints": {column.name: _constraints(column) for column in table.columns if _constraints(column)},
            "primary_key": list(table.primary_key),
            "batch_event_time_columns": batch_event_time_columns(table),
            "streamed": table.topic is not None,
        }
        for table in TABLES.values()
    }


def layout_document() -> dict[str, object]:
    """The Bronze partition keys (contracts.layout) with the strftime format of their values."""

    def keys(partitions: tuple[layout.PartitionKey, ...]) -> list[dict[str, str]]:
        return [{"name": key.name, "strftime": key.strftime} for key in partitions]

    return {
        "streaming_partitions": keys(layout.STREAMING_PARTITIONS),
        "batch_partitions": keys(layout.BATCH_PARTITIONS),
    }


REGENERATE = "python -m dbt_project.scripts.generate_sources"
_GENERATED = f"Generated from contracts/ by `{REGENERATE}`; do not edit by hand."


def render_sources_yaml() -> str:
    body = yaml.safe_dump(sources_document(), sort_keys=False, allow_unicode=True, width=120)
    return f"# {_GENERATED}\n{body}"


def render_contracts_macro() -> str:
    # JSON is a valid Jinja literal here: the document holds only strings, numbers, booleans, lists and dicts.
    tables = ",\n".join(
        f"    {json.dumps(name)}: {json.dumps(table, ensure_ascii=False)}"
        for name, table in contracts_document().items()
    )
    return (
        f"{{#- {_GENERATED} -#}}\n"
        "{% macro olist_contracts() -%}\n"
        f"{{{{ return({{\n{tables}\n}}) }}}}\n"
        "{%- endmacro %}\n"
        "\n"
        "{#- The Bronze partition keys of contracts/layout.py, each with the strftime format of its values. -#}\n"
        "{% macro olist_layout() -%}\n"
        f"{{{{ return({json.dumps(layout_document())}) }}}}\n"
        "{%- endmacro %}\n"
    )


def generated_files() -> dict[Path, str]:
    return {SOURCES_PATH: render_sources_yaml(), CONTRACTS_MACRO_PATH: render_contracts_macro()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when a checked-in file differs")
    args = parser.parse_args(argv)
    stale = []
    for path, expected in generated_files().items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != expected:
                stale.append(path)
        else:
            path.write_text(expected, encoding="utf-8")
            print(f"wrote {path}")
    for path in stale:
        print(f"{path} is out of date with contracts/; run `{REGENERATE}`", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
