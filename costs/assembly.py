"""Read a synthesized cloud assembly (`cdk.out/`): its stacks, their templates, region and tags."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from environments.model import PROJECT

ENV_TAG = f"{PROJECT}:env"
PROFILE_TAG = f"{PROJECT}:profile"


class AssemblyError(RuntimeError):
    """The cloud assembly is missing or not what `make synth` writes."""


@dataclass(frozen=True)
class SynthesizedStack:
    name: str
    region: str
    tags: dict[str, str]
    template: dict

    def resources(self, resource_type: str) -> list[dict]:
        return [
            r.get("Properties", {}) for r in self.template.get("Resources", {}).values() if r["Type"] == resource_type
        ]

    @property
    def component(self) -> str:
        """`Keystone-<slug>-<Component>` -> `<Component>`."""
        return self.name.rsplit("-", 1)[-1]


def read_assembly(outdir: Path) -> list[SynthesizedStack]:
    manifest_file = outdir / "manifest.json"
    if not manifest_file.is_file():
        raise AssemblyError(f"{manifest_file} not found: run `make synth BRANCH=<name>` first")
    manifest = json.loads(manifest_file.read_text())
    stacks = []
    for artifact_id, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") != "aws:cloudformation:stack":
            continue
        properties = artifact["properties"]
        region = artifact["environment"].rsplit("/", 1)[-1]
        if region.startswith("unknown"):
            raise AssemblyError(f"stack {artifact_id} has no region ({artifact['environment']}); synthesize with one")
        template = json.loads((outdir / properties["templateFile"]).read_text())
        stacks.append(
            SynthesizedStack(properties.get("stackName", artifact_id), region, properties.get("tags", {}), template)
        )
    if not stacks:
        raise AssemblyError(f"{outdir} holds no CloudFormation stacks")
    return stacks


def environment_of(stacks: list[SynthesizedStack]) -> str:
    """The slug of the one environment `stacks` belong to (their `keystone:env` tag)."""
    slugs = sorted({stack.tags[ENV_TAG] for stack in stacks if stack.tags.get(ENV_TAG)})
    if len(slugs) != 1:
        raise ValueError(f"expected the stacks of exactly one environment, found {slugs or 'none'}")
    return slugs[0]


def purpose(physical_name: str, slug: str) -> str:
    """`keystone-<slug>-<purpose>` (`environments.model.Environment.resource_name`) -> `<purpose>`."""
    return physical_name.removeprefix(f"{PROJECT}-{slug}-")
