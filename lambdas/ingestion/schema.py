"""The Arrow schema of a table's Bronze Parquet, derived from its contract plus the lineage columns."""

from __future__ import annotations

import pyarrow as pa

from contracts.arrow.types import ARROW_TYPES, TIMESTAMP_TYPE
from contracts.layout import LINEAGE_COLUMNS
from contracts.olist import TableContract

SOURCE_KEY, SOURCE_ROW, INGESTED_AT = LINEAGE_COLUMNS
LINEAGE_FIELDS = (
    pa.field(SOURCE_KEY, pa.string(), nullable=False),
    pa.field(SOURCE_ROW, pa.int64(), nullable=False),
    pa.field(INGESTED_AT, TIMESTAMP_TYPE, nullable=False),
)


def contract_schema(table: TableContract) -> pa.Schema:
    """The typed columns of `table`, in contract order."""
    return pa.schema([pa.field(c.name, ARROW_TYPES[c.type], nullable=c.nullable) for c in table.columns])


def bronze_schema(table: TableContract) -> pa.Schema:
    """The typed columns followed by the lineage columns (`contracts.layout.LINEAGE_COLUMNS`)."""
    return pa.schema([*contract_schema(table), *LINEAGE_FIELDS])
