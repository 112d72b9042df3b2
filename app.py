#!/usr/bin/env python3
"""The CDK app: one lakehouse environment for the branch given by `-c branch=<name>`, else $BRANCH, else git."""

from deployment.branch import deploy_context
from stacks.application import create_app

app, _environment, _lakehouse = create_app(deploy_context() or None)
app.synth()
