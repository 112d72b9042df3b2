#!/usr/bin/env python3
"""The CDK app: one lakehouse environment for the branch given by `-c branch=<name>`, else by git."""

from stacks.application import create_app

app, _environment, _lakehouse = create_app()
app.synth()
