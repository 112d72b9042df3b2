#!/usr/bin/env python3
"""The CDK app: one lakehouse environment for the branch given by `-c branch=<name>`, else $BRANCH, else git."""

from deployment.branch import branch_from_environment
from stacks.application import create_app

branch = branch_from_environment()
app, _environment, _lakehouse = create_app({"branch": branch} if branch else None)
app.synth()
