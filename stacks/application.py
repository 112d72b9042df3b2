"""Build the CDK app of one environment; shared by app.py, the tests and the tools."""

from __future__ import annotations

import os
from datetime import datetime

import aws_cdk as cdk

from environments import Environment, resolve_environment
from stacks.compliance import add_compliance_checks
from stacks.lakehouse import Lakehouse, build_lakehouse
from stacks.synth_context import offline_app


def create_app(
    context: dict | None = None, *, outdir: str | None = None, now: datetime | None = None
) -> tuple[cdk.App, Environment, Lakehouse]:
    """The app for the branch in `context` (or `-c branch=`, or git), with cdk-nag in its synth path.

    Optional context: `account`, `region` (else CDK_DEFAULT_ACCOUNT/REGION), `alert_email` (app.py passes
    KEYSTONE_ALERT_EMAIL as it; `-c alert_email=` wins), `on_expiry` ("pause": the janitor pauses the environment at
    its expiry and removes the rest later; app.py passes KEYSTONE_ON_EXPIRY as it), `paused` ("true": the paused
    environment, `make pause`).
    """
    app = offline_app(context, outdir)
    environment = resolve_environment(
        app.node.try_get_context("branch"),
        account=app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT"),
        region=app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION"),
        now=now,
        alert_email=app.node.try_get_context("alert_email") or None,
        on_expiry=app.node.try_get_context("on_expiry") or None,
    )
    paused = str(app.node.try_get_context("paused") or "false").lower()
    if paused not in ("true", "false"):
        raise ValueError(f"context paused={paused!r}: expected true or false")
    lakehouse = build_lakehouse(app, environment, paused=paused == "true")
    add_compliance_checks(app)
    return app, environment, lakehouse
