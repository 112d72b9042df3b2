"""Print what one `cdk deploy --all` of a branch's environment would create."""

from __future__ import annotations

import argparse
import tempfile
from collections import Counter

from deployment.branch import USAGE_ERROR, branch_from_environment
from environments import EnvironmentError as UnusableEnvironment
from stacks.application import create_app


def describe(branch: str | None) -> str:
    with tempfile.TemporaryDirectory() as outdir:
        app, environment, lakehouse = create_app({"branch": branch} if branch else None, outdir=outdir)
        assembly = app.synth()
        lines = [
            f"branch {environment.branch!r} -> environment {environment.slug!r} ({environment.profile.name})",
            f"account {environment.account}, region {environment.region}"
            + (f", expires {environment.expires_at:%Y-%m-%d %H:%M} UTC" if environment.expires_at else ""),
            "cdk-nag AwsSolutions: no unacknowledged findings",
        ]
        for stack in lakehouse.stacks:
            resources = assembly.get_stack_by_name(stack.stack_name).template["Resources"].values()
            counts = Counter(resource["Type"] for resource in resources)
            lines.append(f"\n{stack.stack_name}: {sum(counts.values())} resources")
            lines += [f"  {count:3d}  {kind}" for kind, count in sorted(counts.items())]
        return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--branch", help="git branch (default: $BRANCH, else the current one)")
    try:
        print(describe(parser.parse_args().branch or branch_from_environment()))
    except UnusableEnvironment as error:
        parser.exit(USAGE_ERROR, f"error: {error}\n")


if __name__ == "__main__":
    main()
