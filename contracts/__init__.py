"""The Olist data contracts: the one typed definition every layer derives its schemas from."""

from contracts.olist import (
    STREAMED_TABLES,
    TABLES,
    Column,
    ColumnType,
    TableContract,
    contract_for_file,
)

__all__ = ["STREAMED_TABLES", "TABLES", "Column", "ColumnType", "TableContract", "contract_for_file"]
