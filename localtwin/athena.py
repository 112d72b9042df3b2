"""Athena's half of the data path on the twin (`make run ENGINE=trino`): on Trino, Athena's engine, over the twin's
Glue catalog holding the Catalog stack's databases and Bronze tables from its synthesized template, dbt builds
Silver and Gold, and the named queries the stack ships run against that Gold.

What this proves and what it cannot: docs/local-twin.md, "Athena's engine".
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from environments import Environment
from localtwin.engines import LocalEngines
from localtwin.engines.trino import TrinoServer
from localtwin.glue_catalog import register_catalog
from localtwin.transform import TrinoTarget
from localtwin.warehouse import Warehouse

NAMED_QUERY = "AWS::Athena::NamedQuery"
LAYERS = ("bronze", "silver", "gold")


class NamedQueryFailed(RuntimeError):
    """A named query of the Catalog stack did not run on Trino; the message names it and quotes Trino's error."""


@dataclass(frozen=True)
class QueryResult:
    name: str
    description: str
    columns: list[str]
    rows: list[tuple]

    def markdown(self, limit: int = 10) -> list[str]:
        lines = [f"**{self.name}**: {self.description} ({len(self.rows)} rows, first {min(limit, len(self.rows))})", ""]
        lines += ["| " + " | ".join(self.columns) + " |", "|" + " --- |" * len(self.columns)]
        lines += [
            "| " + " | ".join("" if value is None else str(value) for value in row) + " |" for row in self.rows[:limit]
        ]
        return [*lines, ""]


@dataclass(frozen=True)
class CatalogStack:
    environment: Environment
    template: Mapping[str, Any]


def synthesize_catalog(branch: str) -> CatalogStack:
    """The branch's Catalog stack as `cdk synth` writes it (the whole app is synthesized, as CI does)."""
    from stacks.application import create_app

    with tempfile.TemporaryDirectory(prefix="nexus-synth-") as outdir:
        app, environment, _ = create_app({"branch": branch}, outdir=outdir)
        app.synth()
        path = Path(outdir) / f"{environment.stack_name('Catalog')}.template.json"
        return CatalogStack(environment, json.loads(path.read_text()))


def prepare_catalog(glue: Any, s3: Any, trino: TrinoServer, catalog: CatalogStack, bronze_bucket: str) -> TrinoTarget:
    """Register the template's Glue databases and tables, with the environment's Bronze bucket mapped to the run's
    `bronze_bucket`; create the Silver and Gold buckets their databases point at. The dbt target on that catalog."""
    environment = catalog.environment
    existing = {entry["Name"] for entry in s3.list_buckets().get("Buckets", [])}
    for bucket in {environment.bucket_name(layer) for layer in ("silver", "gold")} - existing:
        s3.create_bucket(Bucket=bucket)
    register_catalog(glue, catalog.template, {environment.bucket_name("bronze"): bronze_bucket})
    return TrinoTarget(trino.port, {layer: environment.glue_database(layer) for layer in LAYERS})


def run_named_queries(trino: TrinoServer, catalog: CatalogStack) -> list[QueryResult]:
    """Every `AWS::Athena::NamedQuery` of the template, its QueryString verbatim, in its database."""
    from trino.exceptions import TrinoQueryError

    results = []
    for resource in catalog.template["Resources"].values():
        if resource["Type"] != NAMED_QUERY:
            continue
        query = resource["Properties"]
        connection = trino.connect(schema=query["Database"])
        try:
            cursor = connection.cursor()
            cursor.execute(query["QueryString"].rstrip().rstrip(";"))
            rows = [tuple(row) for row in cursor.fetchall()]
            columns = [column[0] for column in cursor.description]
        except TrinoQueryError as error:
            raise NamedQueryFailed(f"named query {query['Name']} failed on Trino: {error}") from error
        finally:
            connection.close()
        results.append(QueryResult(query["Name"], query.get("Description", ""), columns, rows))
    return results


@dataclass(frozen=True)
class AthenaTwin:
    """A run's Athena half: Trino on the engines' Glue and S3, the branch's Catalog stack registered for `bronze`."""

    trino: TrinoServer
    catalog: CatalogStack
    target: TrinoTarget

    @classmethod
    def prepare(cls, engines: LocalEngines, branch: str, bronze_bucket: str) -> AthenaTwin:
        catalog = synthesize_catalog(branch)
        trino = engines.start_trino()
        target = prepare_catalog(engines.client("glue"), engines.s3_client(), trino, catalog, bronze_bucket)
        return cls(trino, catalog, target)

    def warehouse(self) -> Warehouse:
        return Warehouse.trino(self.trino, self.target.databases)

    def named_queries(self) -> list[QueryResult]:
        return run_named_queries(self.trino, self.catalog)
