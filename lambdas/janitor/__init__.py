"""Time-to-live janitor: deletes expired ephemeral environments and what their services leave behind.

Deployed once per account by `stacks/janitor.py`; runs on a schedule. It keeps no state of its own:
CloudFormation (live stacks, and deleted ones with their tags and resources) is its memory, so every
run can pick up where an earlier one stopped.
"""
