"""`make destroy`: the environment's stacks through the CDK CLI, the network stack last, once Lambda lets go of it.

Lambda releases a VPC function's network interfaces up to about 20 minutes after the function is deleted; until
then they hold the network stack's subnets and security groups and its deletion fails (DELETE_FAILED). So the
other stacks go first (`cdk destroy` orders them by dependency), then this waits, bounded and saying for what,
until no Lambda interface is left in the network stack, and deletes it, retrying if CloudFormation still fails.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from datetime import timedelta

from deployment.aws import environment_stacks, reader_session
from deployment.branch import describe_environment, environment_or_exit
from environments import Environment
from lambdas.janitor.inventory import physical_resources
from lambdas.janitor.leftovers import describe_enis, lambda_enis

POLL_SECONDS = 30.0
ENI_WAIT_LIMIT = timedelta(minutes=40)  # twice the ~20 minutes Lambda takes
NETWORK_ATTEMPTS = 3


class DestroyFailed(RuntimeError):
    """A stack could not be deleted; what remains is named in the message."""


def destroy(
    environment: Environment,
    cloudformation,
    ec2,
    run_cdk: Callable[[Sequence[str]], int],
    *,
    sleep: Callable[[float], None] = time.sleep,
    monotonic: Callable[[], float] = time.monotonic,
    say: Callable[[str], None] = print,
    poll_seconds: float = POLL_SECONDS,
    eni_limit: timedelta = ENI_WAIT_LIMIT,
    components: Collection[str] | None = None,
) -> None:
    """Delete the environment's live stacks, or only those of `components` (`make pause`)."""
    network = environment.stack_name("Network")
    wanted = None if components is None else {environment.stack_name(component) for component in components}
    live = {
        stack.name: stack
        for stack in environment_stacks(cloudformation, environment.slug)
        if wanted is None or stack.name in wanted
    }
    others = sorted(name for name in live if name != network)
    if others and run_cdk(["destroy", "--force", *others]) != 0:
        raise DestroyFailed(f"cdk destroy of {', '.join(others)} failed (see above); {network} was left alone")
    if network not in live:
        say(f"{network} is already gone")
        return
    resources = physical_resources(cloudformation, live[network].stack_id)
    for attempt in range(1, NETWORK_ATTEMPTS + 1):
        _wait_for_lambda_enis(network, resources, ec2, sleep, monotonic, say, poll_seconds, eni_limit)
        if run_cdk(["destroy", "--force", "--exclusively", network]) == 0:
            return
        say(f"deleting {network} failed (attempt {attempt} of {NETWORK_ATTEMPTS}); waiting and trying again")
        sleep(poll_seconds)
    raise DestroyFailed(f"{network} could not be deleted after {NETWORK_ATTEMPTS} attempts (see the errors above)")


def _wait_for_lambda_enis(network, resources, ec2, sleep, monotonic, say, poll_seconds, limit) -> None:
    started = monotonic()
    while held := lambda_enis(
        ec2,
        security_group_ids=resources.get("AWS::EC2::SecurityGroup", []),
        subnet_ids=resources.get("AWS::EC2::Subnet", []),
    ):
        waited = timedelta(seconds=monotonic() - started)
        if waited >= limit:
            raise DestroyFailed(
                f"{network} not deleted: Lambda network interfaces {describe_enis(held)} still hold its subnets or "
                f"security groups after {waited.total_seconds() / 60:.0f} min; a function outside this environment "
                "may use them (`aws ec2 describe-network-interfaces --network-interface-ids <id>`)"
            )
        say(
            f"waiting for Lambda to release {describe_enis(held)} in {network} (it takes up to ~20 min after its "
            f"functions are deleted): {waited.total_seconds() / 60:.0f} of {limit.total_seconds() / 60:.0f} min"
        )
        sleep(poll_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cdk", required=True, help="the CDK CLI to delete stacks with")
    cdk = parser.parse_args().cdk
    environment = environment_or_exit()  # an unusable branch stops before anything is deleted
    print(describe_environment(environment))
    session = reader_session()
    try:
        destroy(
            environment,
            session.client("cloudformation"),
            session.client("ec2"),
            lambda arguments: subprocess.run([cdk, *arguments], check=False).returncode,
        )
    except DestroyFailed as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
