"""The Catalog stack's Glue databases and tables, taken from its synthesized template, in the twin's Glue (moto).

Nothing is restated: each `AWS::Glue::Database` and `AWS::Glue::Table` goes to Glue with its template input
verbatim (columns, SerDe, partition keys, partition projection parameters), but for one substitution: bucket names.
The template names the environment's buckets; a twin run writes Bronze to a bucket of its own (one per run on a
shared server), so `relocate` maps each template bucket to the twin's, in every `s3://` location and template.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

GLUE_DATABASE = "AWS::Glue::Database"
GLUE_TABLE = "AWS::Glue::Table"


class TemplateNotLiteral(ValueError):
    """A Glue resource in the template holds a CloudFormation function the twin cannot resolve."""


def register_catalog(glue: Any, template: Mapping[str, Any], relocate: Mapping[str, str]) -> list[str]:
    """Create (or update) every Glue database and table of `template`; the database names, in template order."""
    resources = template["Resources"]
    databases = [_literal(name, resource["Properties"], relocate) for name, resource in resources.items()
                 if resource["Type"] == GLUE_DATABASE]  # fmt: skip
    for database in databases:
        database_input = database["DatabaseInput"]
        try:
            glue.create_database(DatabaseInput=database_input)
        except glue.exceptions.AlreadyExistsException:
            glue.update_database(Name=database_input["Name"], DatabaseInput=database_input)
    for name, resource in resources.items():
        if resource["Type"] != GLUE_TABLE:
            continue
        table = _literal(name, resource["Properties"], relocate)
        try:
            glue.create_table(DatabaseName=table["DatabaseName"], TableInput=table["TableInput"])
        except glue.exceptions.AlreadyExistsException:
            glue.update_table(DatabaseName=table["DatabaseName"], TableInput=table["TableInput"])
    return [database["DatabaseInput"]["Name"] for database in databases]


def _literal(name: str, properties: Mapping[str, Any], relocate: Mapping[str, str]) -> dict[str, Any]:
    text = json.dumps(properties)
    if '"Fn::' in text or '"Ref"' in text:
        raise TemplateNotLiteral(f"{name}: the twin registers literal Glue inputs only, this one holds {text[:200]}")
    for template_bucket, twin_bucket in relocate.items():
        text = text.replace(f'"s3://{template_bucket}/', f'"s3://{twin_bucket}/')
    properties = json.loads(text)
    properties.pop("CatalogId", None)
    return properties
