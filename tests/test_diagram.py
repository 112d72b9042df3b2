"""The architecture diagram: derived from the synthesized app, committed, and current."""

from __future__ import annotations

import html
import json

import pytest

from costs.assembly import read_assembly
from diagram.__main__ import model_text
from diagram.model import derive
from diagram.render import to_dot
from stacks.synth_context import REPO_ROOT

DOCS = REPO_ROOT / "docs"
OUT_OF_DATE = "docs/architecture.* is out of date with the stacks: run `make diagram` and commit docs/architecture.*"


@pytest.fixture(scope="module")
def model(main_env) -> dict:
    return derive(read_assembly(main_env.outdir)).to_json()


def _edges(model: dict) -> set[tuple[str, str]]:
    return {(edge["from"], edge["to"]) for edge in model["edges"]}


def test_the_committed_model_is_current(model):
    assert (DOCS / "architecture.json").read_text() == model_text(model), OUT_OF_DATE


def test_the_committed_drawing_is_of_the_current_model(model):
    assert (DOCS / "architecture.dot").read_text() == to_dot(model), OUT_OF_DATE
    svg = html.unescape((DOCS / "architecture.svg").read_text())
    labels = [node["label"] for stack in model["stacks"] for node in stack["nodes"]] + [
        node["label"] for node in model["external"]
    ]
    assert all(label in svg for label in labels), OUT_OF_DATE
    assert (DOCS / "architecture.png").stat().st_size > 10_000


def test_every_branch_draws_the_same_architecture(model, feature_env):
    assert derive(read_assembly(feature_env.outdir)).to_json() == model


def test_it_reads_like_the_architecture(model):
    edges = _edges(model)
    bronze, landing = "Storage:bucket:bronze", "Storage:bucket:landing"
    msk = next(n["id"] for s in model["stacks"] for n in s["nodes"] if n["kind"] == "msk")
    connector = next(n["id"] for s in model["stacks"] for n in s["nodes"] if n["kind"] == "connector")
    ingestion = next(n["id"] for s in model["stacks"] for n in s["nodes"] if n["id"].endswith("function:ingestion"))
    mwaa = next(n["id"] for s in model["stacks"] for n in s["nodes"] if n["kind"] == "mwaa")
    athena = next(n["id"] for s in model["stacks"] for n in s["nodes"] if n["kind"] == "athena")
    assert {("external:kafka-producers", msk), (msk, connector), (connector, bronze)} <= edges
    assert {("external:csv-drops", landing), (landing, ingestion), (ingestion, bronze)} <= edges
    assert (ingestion, landing) not in edges  # the trigger is not drawn as a write back
    assert {(mwaa, "external:dbt"), ("external:dbt", athena)} <= edges
    assert {(athena, "Catalog:glue:silver"), (athena, "Catalog:glue:gold")} <= edges
    assert {("Catalog:glue:silver", "Storage:bucket:silver"), ("Catalog:glue:gold", "Storage:bucket:gold")} <= edges
    assert ("Storage:bucket:artifacts", mwaa) in edges


def test_nodes_are_grouped_by_stack_and_carry_no_environment_slug(model, feature_env):
    stacks = {stack["name"] for stack in model["stacks"]}
    assert {"Network", "Storage", "Catalog", "Streaming", "Ingestion", "Orchestration"} <= stacks
    text = json.dumps(model)
    assert "keystone-" not in text
    assert feature_env.environment.slug not in text
