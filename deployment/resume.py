"""Before `cdk deploy`: let stacks a cut-off earlier run left behind settle, and stop on those CDK cannot fix.

A cancelled or timed-out job stops the CDK CLI, not CloudFormation: the stack it was deploying stays
*_IN_PROGRESS until CloudFormation finishes or rolls back, and `cdk deploy` refuses to update such a stack
("... is in UPDATE_IN_PROGRESS state and can not be updated"). So this waits for every stack of the environment
to settle. What it then finds, `cdk deploy` handles itself, except a failed rollback (it asks a question CI
cannot answer) or a failed delete: those stop here with what to do.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import timedelta

from deployment.aws import LiveStack, environment_stacks, reader_session
from deployment.branch import describe_environment, environment_or_exit

POLL_SECONDS = 30.0
# An MSK cluster or an MWAA environment left creating can take ~30 min more, and its rollback as long again.
WAIT_LIMIT = timedelta(minutes=60)
# CDK's deploy deletes a stack whose creation failed and creates it again (toolkit-lib deploy-stack.ts,
# `isCreationFailure`: ROLLBACK_COMPLETE or ROLLBACK_FAILED).
RECREATED_BY_CDK = {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED"}
NEEDS_A_HAND = {
    "UPDATE_ROLLBACK_FAILED": "its rollback failed: run `node_modules/.bin/cdk rollback {name}` (add `--orphan "
    "<logical id>` for a resource that cannot roll back), then deploy again",
    "UPDATE_FAILED": "it is paused after a failed update: run `node_modules/.bin/cdk rollback {name}`, then deploy "
    "again",
    "CREATE_FAILED": "it is paused after a failed creation: run `node_modules/.bin/cdk rollback {name}`, then "
    "deploy again",
    "DELETE_FAILED": "its deletion failed: `make destroy` it (see docs/runbook.md), then deploy again",
}


class CannotResume(RuntimeError):
    """A stack of the environment is in a state `cdk deploy` cannot continue from."""


def in_progress(stack: LiveStack) -> bool:
    # REVIEW_IN_PROGRESS is a stack created for a change set never executed: CDK replaces the change set.
    return stack.status.endswith("_IN_PROGRESS") and stack.status != "REVIEW_IN_PROGRESS"


def settle(
    cloudformation,
    slug: str,
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] = print,
    poll_seconds: float = POLL_SECONDS,
    limit: timedelta = WAIT_LIMIT,
) -> list[LiveStack]:
    """Wait until no stack of `slug` is in progress (at most `limit`); raise if one needs a hand. Returns them."""
    started = monotonic()
    while True:
        stacks = environment_stacks(cloudformation, slug)
        busy = [stack for stack in stacks if in_progress(stack)]
        if not busy:
            break
        waited = timedelta(seconds=monotonic() - started)
        names = ", ".join(f"{stack.name} ({stack.status})" for stack in busy)
        if waited >= limit:
            raise CannotResume(
                f"{names} still in progress after {_minutes(waited)}: let CloudFormation finish, then deploy again"
            )
        say(f"waiting for {names} to finish (an earlier run was cut off): {_minutes(waited)} of {_minutes(limit)}")
        sleep(poll_seconds)
    for stack in stacks:
        if stack.status in RECREATED_BY_CDK:
            say(f"{stack.name} is {stack.status} (its creation failed): cdk deploy deletes and creates it again")
    stuck = [f"{s.name}: {NEEDS_A_HAND[s.status].format(name=s.name)}" for s in stacks if s.status in NEEDS_A_HAND]
    if stuck:
        raise CannotResume("; ".join(stuck))
    return stacks


def _minutes(duration: timedelta) -> str:
    return f"{duration.total_seconds() / 60:.0f} min"


def main() -> None:
    environment = environment_or_exit()  # an unusable branch stops before any AWS call
    print(describe_environment(environment))
    try:
        settle(reader_session().client("cloudformation"), environment.slug)
    except CannotResume as error:
        print(f"error: cannot deploy {environment.slug!r} yet: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
