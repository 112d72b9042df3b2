"""The dbt analyses (demo questions over Gold) as Athena named queries for one environment.

The CDK stack creates one `AWS::Athena::NamedQuery` per entry in the environment's workgroup, so the cloud demo
ends in Athena with one click. Analyses only use `{{ ref('<gold model>') }}`; each becomes the model's table in
the environment's Gold database, exactly what `dbt compile --target athena` produces (a test checks both agree).

    from dbt_project.scripts.named_queries import athena_named_queries
    for query in athena_named_queries(environment.glue_database("gold")): ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1]
ANALYSES_DIR = DBT_PROJECT_DIR / "analyses"
MARTS_DIR = DBT_PROJECT_DIR / "models" / "marts"

_REF = re.compile(r"\{\{\s*ref\(\s*'(?P<name>[a-z0-9_]+)'\s*\)\s*\}\}")
_JINJA = re.compile(r"\{\{|\{%|\{#")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    database: str
    query_string: str


def _descriptions() -> dict[str, str]:
    document = yaml.safe_load((ANALYSES_DIR / "_analyses.yml").read_text(encoding="utf-8"))
    return {entry["name"]: entry["description"] for entry in document["analyses"]}


def render_analysis(path: Path, gold_database: str) -> str:
    """The analysis SQL with each `ref` replaced by `"<gold_database>"."<model>"`."""

    def table(match: re.Match[str]) -> str:
        model = match.group("name")
        if not (MARTS_DIR / f"{model}.sql").is_file():
            raise ValueError(f"{path.name} refers to {model!r}, which is not a Gold model in {MARTS_DIR}")
        return f'"{gold_database}"."{model}"'

    sql = _REF.sub(table, path.read_text(encoding="utf-8"))
    if _JINJA.search(sql):
        raise ValueError(
            f"{path.name} uses Jinja other than {{{{ ref('<gold model>') }}}}; named queries cannot render it"
        )
    return sql.strip() + "\n"


def athena_named_queries(gold_database: str) -> list[NamedQuery]:
    """One named query per analysis, reading the tables of `gold_database` (e.g. `feature_x_gold`)."""
    descriptions = _descriptions()
    queries = []
    for path in sorted(ANALYSES_DIR.glob("*.sql")):
        name = path.stem
        if name not in descriptions:
            raise ValueError(f"analysis {name} has no description in {ANALYSES_DIR / '_analyses.yml'}")
        queries.append(NamedQuery(name, descriptions[name], gold_database, render_analysis(path, gold_database)))
    return queries
