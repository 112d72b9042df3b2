"""Where a run's Silver and Gold are queried, one shape on both engines: DuckDB's file (schemas `silver`, `gold`)
or Trino on the Glue catalog (the Catalog stack's databases), each through its DB-API connection."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from localtwin.engines.trino import TrinoServer


@dataclass
class Warehouse:
    engine: str
    connection: Any
    schemas: Mapping[str, str]  # layer (silver, gold) -> schema or Glue database
    where: str  # for the report: how a reader reaches it

    @classmethod
    def duckdb(cls, path: Path) -> Warehouse:
        where = f"{path} (DuckDB; query the Gold marts as gold.<name>)"
        return cls("duckdb", duckdb.connect(str(path), read_only=True), {"silver": "silver", "gold": "gold"}, where)

    @classmethod
    def trino(cls, server: TrinoServer, databases: Mapping[str, str]) -> Warehouse:
        where = f"Trino (Gold marts as awsdatacatalog.{databases['gold']}.<name>; it stops with the run)"
        return cls("trino", server.connect(), databases, where)

    def table(self, layer: str, model: str) -> str:
        return f'"{self.schemas[layer]}"."{model}"'

    def rows(self, sql: str, parameters: list[object] | None = None) -> list[tuple]:
        cursor = self.connection.cursor()
        try:
            cursor.execute(sql, parameters) if parameters else cursor.execute(sql)
            return [tuple(row) for row in cursor.fetchall()]
        finally:
            cursor.close()

    def scalar(self, sql: str) -> Any:
        (row,) = self.rows(sql)
        return row[0]

    def close(self) -> None:
        self.connection.close()
