"""The CDK apps' common start: context that lets `python app.py` synthesize offline exactly as `cdk synth` would.

The CDK CLI feeds an app the `context` of cdk.json (feature flags) and the cached lookups of
cdk.context.json (the AZs of the offline account); a direct `python app.py` gets neither by itself.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk

REPO_ROOT = Path(__file__).resolve().parent.parent


def offline_context() -> dict:
    flags = json.loads((REPO_ROOT / "cdk.json").read_text())["context"]
    lookups = json.loads((REPO_ROOT / "cdk.context.json").read_text())
    return flags | lookups


def offline_app(context: dict | None, outdir: str | None) -> cdk.App:
    """An app with the offline context and `context` on top of it.

    CDK's built-in CloudFormation validation is off: cfn-lint, pinned, checks every template in `make test` and
    fails on what it finds, where the built-in engine (a second copy of the same schema rules) only warns unless
    @aws-cdk/core:validateAgainstDefaultRules is set, and adds about 3 s to each synth.
    """
    return cdk.App(context=offline_context() | (context or {}), outdir=outdir, builtin_cloud_formation_validation=False)
