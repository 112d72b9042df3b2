"""Read Keystone stacks, their dependencies and their physical resources from CloudFormation."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from lambdas.janitor.records import DELETE_COMPLETE, STACK_PREFIX, StackRecord


def keystone_stacks(cloudformation: Any, *, deleted_since: datetime) -> list[StackRecord]:
    """Every `Keystone-*` stack that exists, plus those deleted since `deleted_since` (their leftovers may remain)."""
    records = []
    for summary in _pages(cloudformation, "list_stacks", "StackSummaries"):
        if not summary["StackName"].startswith(STACK_PREFIX):
            continue
        deleted_at = summary.get("DeletionTime")
        if summary["StackStatus"] == DELETE_COMPLETE and deleted_at is not None and deleted_at < deleted_since:
            continue
        # Deleted stacks are only found by their unique id; live ones by either.
        stack = cloudformation.describe_stacks(StackName=summary["StackId"])["Stacks"][0]
        tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
        outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
        records.append(
            StackRecord(stack["StackName"], stack["StackId"], stack["StackStatus"], tags, deleted_at, outputs)
        )
    return records


def stack_dependencies(cloudformation: Any, stacks: Sequence[StackRecord]) -> dict[str, set[str]]:
    """stack id -> ids of the stacks whose exports it imports (from `Fn::ImportValue` in its template)."""
    exporters = {
        export["Name"]: export["ExportingStackId"] for export in _pages(cloudformation, "list_exports", "Exports")
    }
    depends_on: dict[str, set[str]] = {}
    for stack in stacks:
        body = cloudformation.get_template(StackName=stack.stack_id, TemplateStage="Original")["TemplateBody"]
        template = body if isinstance(body, dict) else _parse_template(stack, body)
        depends_on[stack.stack_id] = {
            exporters[name]
            for name in _imported_names(template)
            if exporters.get(name, stack.stack_id) != stack.stack_id
        }
    return depends_on


def physical_resources(cloudformation: Any, stack_id: str) -> dict[str, list[str]]:
    """resource type -> physical ids of a stack's resources (works for deleted stacks too, by id)."""
    resources: dict[str, list[str]] = defaultdict(list)
    for summary in _pages(cloudformation, "list_stack_resources", "StackResourceSummaries", StackName=stack_id):
        if summary.get("PhysicalResourceId"):
            resources[summary["ResourceType"]].append(summary["PhysicalResourceId"])
    return dict(resources)


def _parse_template(stack: StackRecord, body: str) -> dict:
    try:
        return json.loads(body)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"stack {stack.name} has a template that is not JSON ({error}); the janitor only reads CDK's JSON "
            "templates: delete this stack by hand"
        ) from error


def _imported_names(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Fn::ImportValue" and isinstance(value, str):
                yield value
            else:
                yield from _imported_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _imported_names(item)


def _pages(client: Any, operation: str, key: str, **arguments: object) -> Iterator[dict]:
    for page in client.get_paginator(operation).paginate(**arguments):
        yield from page.get(key, [])
