"""Context that lets `python app.py` synthesize offline exactly as `cdk synth` would.

The CDK CLI feeds an app the `context` of cdk.json (feature flags) and the cached lookups of
cdk.context.json (the AZs of the offline account); a direct `python app.py` gets neither by itself.
"""

from __future__ import annotations

import json
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def offline_context() -> dict:
    flags = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    lookups = json.loads((REPO_ROOT / "cdk.context.json").read_text())
    return flags | lookups
