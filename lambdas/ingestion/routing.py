"""Which table a landing key belongs to: the first path segment, `contracts.layout.landing_prefix(table)`."""

from __future__ import annotations

from contracts.layout import landing_prefix
from contracts.olist import TABLES, TableContract


class UnknownTable(ValueError):
    """A landing key outside every table prefix: nothing can say how to read it."""


def table_for_key(key: str) -> TableContract:
    for table in TABLES.values():
        if key.startswith(landing_prefix(table.name)) and len(key) > len(landing_prefix(table.name)):
            return table
    prefixes = ", ".join(sorted(landing_prefix(name) for name in TABLES))
    raise UnknownTable(
        f"landing key {key!r} is not under a table prefix, so its table is unknown; "
        f"drop Olist CSVs under one of: {prefixes}"
    )
