"""`summary.json`: a run's Gold in numbers, the same shape on every engine, so that two runs can be compared.

`{"engine": "duckdb", "gold": {"<table>": {"rows": N, "sums": {"<numeric column>": value, ...}}, ...}}` for every
table of the Gold schema and every numeric column of it. Integer sums stay integers; decimal and floating sums are
rounded to `DECIMALS` places, below the precision the marts publish, so that engines that add in another order
still agree.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from localtwin.warehouse import Warehouse

DECIMALS = 6
_INTEGER_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
_FRACTIONAL_TYPES = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")


def gold_summary(warehouse: Warehouse) -> dict[str, object]:
    schema = warehouse.schemas["gold"]
    columns = warehouse.rows(
        "select table_name, column_name, data_type from information_schema.columns "
        "where table_schema = ? order by table_name, ordinal_position",
        [schema],
    )
    numeric: dict[str, list[str]] = {}
    for table, column, data_type in columns:
        numeric.setdefault(table, [])
        if data_type.upper().startswith(_INTEGER_TYPES + _FRACTIONAL_TYPES):
            numeric[table].append(column)
    gold: dict[str, object] = {}
    for table, names in numeric.items():
        sums = ", ".join(f'sum("{name}")' for name in names)
        (row,) = warehouse.rows(f"select count(*){', ' + sums if sums else ''} from {warehouse.table('gold', table)}")
        gold[table] = {
            "rows": row[0],
            "sums": {name: _number(value) for name, value in zip(names, row[1:], strict=True)},
        }
    return {"engine": warehouse.engine, "gold": gold}


def _number(value: object) -> int | float | None:
    if value is None or isinstance(value, int):
        return value
    assert isinstance(value, Decimal | float), value
    return round(float(value), DECIMALS)


def write_summary(run_dir: Path, summary: dict[str, object]) -> Path:
    path = run_dir / "summary.json"
    path.write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    return path
