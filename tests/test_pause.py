"""The paused environment (`-c paused=true`, `make pause`): the retained stacks, unchanged, with no dangling import."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from stacks.application import create_app
from stacks.lakehouse import COMPUTE_COMPONENTS
from tests.fixtures.synth import FEATURE_BRANCH, SYNTH_TIME, Synthesized


@pytest.fixture(scope="module")
def paused_templates(tmp_path_factory) -> dict[str, dict]:
    outdir = tmp_path_factory.mktemp("cdk.out.paused")
    app, _environment, _lakehouse = create_app(
        {"branch": FEATURE_BRANCH, "paused": "true"}, outdir=str(outdir), now=SYNTH_TIME
    )
    app.synth()
    return _templates(outdir)


def _templates(outdir: Path) -> dict[str, dict]:
    return {
        path.name.removesuffix(".template.json"): json.loads(path.read_text())
        for path in outdir.glob("*.template.json")
    }


def _values(node: object, key: str) -> Iterator[object]:
    if isinstance(node, dict):
        for name, value in node.items():
            if name == key:
                yield value
            yield from _values(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _values(value, key)


def test_paused_keeps_the_data_catalog_and_ingestion_only(feature_env: Synthesized, paused_templates) -> None:
    environment = feature_env.environment
    running = set(_templates(feature_env.outdir))
    assert set(paused_templates) == running - {environment.stack_name(c) for c in COMPUTE_COMPONENTS}
    assert set(paused_templates) == {environment.stack_name(c) for c in ("Storage", "Catalog", "Ingestion")}


def test_every_import_of_the_paused_app_resolves_to_one_of_its_exports(paused_templates) -> None:
    exports = {
        output["Export"]["Name"]
        for template in paused_templates.values()
        for output in template.get("Outputs", {}).values()
        if "Export" in output
    }
    imports = {value for template in paused_templates.values() for value in _values(template, "Fn::ImportValue")}
    assert imports, "the paused stacks import nothing: the check below would prove nothing"
    assert imports <= exports


def test_the_retained_stacks_import_nothing_from_a_compute_stack(feature_env: Synthesized) -> None:
    # So deleting the compute stacks of a running environment never blocks on an export still in use.
    environment = feature_env.environment
    compute = tuple(environment.stack_name(c) for c in COMPUTE_COMPONENTS)
    for name, template in _templates(feature_env.outdir).items():
        if name in compute:
            continue
        for imported in _values(template, "Fn::ImportValue"):
            assert not str(imported).startswith(compute), f"{name} imports {imported}"


def test_the_retained_resources_are_the_same_in_running_and_paused(feature_env: Synthesized, paused_templates) -> None:
    running = _templates(feature_env.outdir)
    for name, template in paused_templates.items():
        # Same logical ids and the same properties: a pause replaces no bucket, table or key.
        assert template["Resources"] == running[name]["Resources"], name


def test_a_paused_value_other_than_true_or_false_is_refused() -> None:
    with pytest.raises(ValueError, match="context paused='yes': expected true or false"):
        create_app({"branch": FEATURE_BRANCH, "paused": "yes"}, now=SYNTH_TIME)
