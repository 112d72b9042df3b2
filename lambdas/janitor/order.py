"""Deletion order: a stack goes only after every stack that imports one of its exports is gone."""

from __future__ import annotations

from collections.abc import Collection, Mapping


class DependencyCycle(RuntimeError):
    """Stacks import each other's exports in a cycle, which CloudFormation itself never allows."""


def deletion_waves(stacks: Collection[str], depends_on: Mapping[str, Collection[str]]) -> list[list[str]]:
    """`stacks` in waves: wave 0 holds the stacks nothing depends on; each later wave waits for the earlier ones.

    `depends_on[a]` holds the stacks `a` imports from; dependencies outside `stacks` are ignored
    (already deleted).
    """
    remaining = set(stacks)
    waves: list[list[str]] = []
    while remaining:
        needed = {dep for stack in remaining for dep in depends_on.get(stack, ()) if dep in remaining and dep != stack}
        wave = sorted(remaining - needed)
        if not wave:
            raise DependencyCycle(f"stacks {sorted(remaining)} import each other's exports; delete one by hand")
        waves.append(wave)
        remaining -= set(wave)
    return waves
