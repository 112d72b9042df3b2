"""`python -m diagram`: synthesize the app, derive its architecture and write docs/architecture.{json,dot,svg,png}."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from costs.assembly import read_assembly
from diagram.model import derive
from diagram.render import GraphvizMissing, render, to_dot
from stacks.application import create_app
from stacks.synth_context import REPO_ROOT

# Any branch gives the same model (labels carry no slug); main is the environment people picture.
DIAGRAM_BRANCH = "main"
DOCS = REPO_ROOT / "docs"


def current_model(branch: str = DIAGRAM_BRANCH) -> dict:
    with tempfile.TemporaryDirectory() as outdir:
        app, _, _ = create_app({"branch": branch}, outdir=outdir)
        app.synth()
        return derive(read_assembly(Path(outdir))).to_json()


def model_text(model: dict) -> str:
    return json.dumps(model, indent=2) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m diagram", description=__doc__)
    parser.add_argument("--out", type=Path, default=DOCS, help="directory to write into (default: docs/)")
    arguments = parser.parse_args(argv)
    model = current_model()
    dot_source = to_dot(model)
    (arguments.out / "architecture.json").write_text(model_text(model))
    (arguments.out / "architecture.dot").write_text(dot_source)
    try:
        for suffix in (".svg", ".png"):
            render(dot_source, arguments.out / f"architecture{suffix}")
    except GraphvizMissing as error:
        print(f"diagram: {error}", file=sys.stderr)
        return 2
    print(f"wrote {', '.join(f'{arguments.out}/architecture.{s}' for s in ('json', 'dot', 'svg', 'png'))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
