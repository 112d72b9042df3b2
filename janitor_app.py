#!/usr/bin/env python3
"""The janitor's own CDK app (one per account): `cdk --app "python janitor_app.py" deploy`."""

from stacks.janitor import create_janitor_app

create_janitor_app().synth()
