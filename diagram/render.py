"""Draw the architecture model with Graphviz: one box per stack, data flowing left to right."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

_SHAPES = {
    "bucket": ("cylinder", "#e8f3e8"),
    "msk": ("box3d", "#fdebd3"),
    "connector": ("component", "#fdebd3"),
    "function": ("box", "#fff6cc"),
    "mwaa": ("box3d", "#e3e8f8"),
    "glue": ("folder", "#ede3f5"),
    "athena": ("hexagon", "#ede3f5"),
    "queue": ("box", "#f5e3e3"),
    "topic": ("note", "#f5e3e3"),
    "alarms": ("note", "#f5e3e3"),
    "dashboard": ("tab", "#f5e3e3"),
    "kms": ("octagon", "#eeeeee"),
    "vpc": ("box", "#eeeeee"),
    "external": ("ellipse", "#ffffff"),
}
# Stacks from sources to sinks, so the drawing reads left to right.
_STACK_ORDER = ["Streaming", "Ingestion", "Storage", "Catalog", "Orchestration", "Monitoring", "Network"]


class GraphvizMissing(RuntimeError):
    """The `dot` program is not installed."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_dot(model: dict) -> str:
    lines = [
        "digraph keystone {",
        '  graph [rankdir=LR, fontname="Helvetica", fontsize=12, nodesep=0.35, ranksep=0.8, '
        'label="Keystone Nexus: one environment (generated from the synthesized app by make diagram)", labelloc=t];',
        '  node [fontname="Helvetica", fontsize=11, style=filled];',
        '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
    ]
    order = {name: index for index, name in enumerate(_STACK_ORDER)}
    for stack in sorted(model["stacks"], key=lambda s: (order.get(s["name"], len(order)), s["name"])):
        lines.append(f"  subgraph {_quote('cluster_' + stack['name'])} {{")
        lines.append(f'    label={_quote(stack["name"] + " stack")}; style="rounded,dashed"; color="#888888";')
        for node in stack["nodes"]:
            shape, color = _SHAPES.get(node["kind"], ("box", "#ffffff"))
            lines.append(
                f"    {_quote(node['id'])} [label={_quote(node['label'])}, shape={shape}, fillcolor={_quote(color)}];"
            )
        lines.append("  }")
    for node in model["external"]:
        shape, color = _SHAPES["external"]
        lines.append(
            f"  {_quote(node['id'])} [label={_quote(node['label'])}, shape={shape}, fillcolor={_quote(color)}];"
        )
    for edge in model["edges"]:
        lines.append(f"  {_quote(edge['from'])} -> {_quote(edge['to'])} [label={_quote(edge['label'])}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_source: str, output: Path) -> None:
    """Write `output` (.svg or .png) with Graphviz's `dot`."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissing(
            "Graphviz is not installed: `apt-get install graphviz` (Debian), then `make diagram` again"
        )
    result = subprocess.run(
        [dot, f"-T{output.suffix.lstrip('.')}", "-Gdpi=110", "-o", str(output)],
        input=dot_source,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"dot failed writing {output}: {result.stderr.strip()}")
