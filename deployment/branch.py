"""The branch a make target works on: read from the environment, resolved once, with one clear error.

make hands `BRANCH` to recipes through the environment without expanding it (see the Makefile), so the name
arrives here byte for byte, whatever quotes, `$`, backticks or non-ASCII characters it holds.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from environments import Environment, resolve_environment
from environments.model import EnvironmentError as UnusableEnvironment

BRANCH_VARIABLE = "BRANCH"
# Who the alert topic e-mails: `make deploy KEYSTONE_ALERT_EMAIL=<address>`, in CI the GitHub environment's variable.
ALERT_EMAIL_VARIABLE = "KEYSTONE_ALERT_EMAIL"
# What the janitor does at expiry: `make deploy BRANCH=<name> KEYSTONE_ON_EXPIRY=pause` (default destroy).
ON_EXPIRY_VARIABLE = "KEYSTONE_ON_EXPIRY"
USAGE_ERROR = 2


def branch_from_environment(environ: Mapping[str, str] = os.environ) -> str | None:
    """The branch given as `make <target> BRANCH=<name>` (or exported); None means the current git branch."""
    return environ.get(BRANCH_VARIABLE) or None


def alert_email_from_environment(environ: Mapping[str, str] = os.environ) -> str | None:
    return environ.get(ALERT_EMAIL_VARIABLE) or None


def deploy_context(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """The CDK context the environment variables give: `branch`, `alert_email`, `on_expiry`, each only where set."""
    given = {
        "branch": branch_from_environment(environ),
        "alert_email": alert_email_from_environment(environ),
        "on_expiry": environ.get(ON_EXPIRY_VARIABLE) or None,
    }
    return {key: value for key, value in given.items() if value}


def environment_or_exit(*, account: str | None = None, region: str | None = None) -> Environment:
    """The environment of the branch, or exit with status 2 and the model's message: before anything is touched."""
    try:
        return resolve_environment(
            branch_from_environment(), account=account, region=region, alert_email=alert_email_from_environment()
        )
    except UnusableEnvironment as error:
        print(f"error: {error}", file=sys.stderr)
        raise SystemExit(USAGE_ERROR) from None


def describe_environment(environment: Environment) -> str:
    return f"branch {environment.branch!r} -> environment {environment.slug!r} ({environment.profile.name})"


def main() -> None:
    print(describe_environment(environment_or_exit()))


if __name__ == "__main__":
    main()
