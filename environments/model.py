"""The environment one synth or deploy targets, resolved from the branch."""

from __future__ import annotations

import hashlib
import re
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

from environments.profiles import Profile, profile_for_branch
from environments.slug import InvalidBranchName, slug_for_branch

PROJECT = "keystone"
DEFAULT_REGION = "us-east-1"
# Account used when none is given: lets synth and tests run offline (cdk.context.json holds its AZs).
OFFLINE_ACCOUNT = "111111111111"
# What SNS accepts as an e-mail endpoint, roughly: one @, no spaces, a dot in the domain.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# What the janitor does when an ephemeral environment expires: remove it, or first pause it (drop the compute stacks,
# keep data, catalog and ingestion) and remove the rest after the profile's `paused_time_to_live`.
OnExpiry = Literal["destroy", "pause"]
ON_EXPIRY_CHOICES: tuple[str, ...] = get_args(OnExpiry)
EXPIRY_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


class EnvironmentError(RuntimeError):
    """The environment cannot be resolved (no branch, invalid branch, bad context)."""


@dataclass(frozen=True)
class Environment:
    branch: str
    slug: str
    profile: Profile
    account: str
    region: str
    # When the janitor may delete this environment; None for persistent environments.
    expires_at: datetime | None
    # Who the alert topic e-mails (one subscription); None leaves the topic without subscribers.
    alert_email: str | None
    on_expiry: OnExpiry = "destroy"

    @property
    def destroy_at(self) -> datetime | None:
        """When the janitor removes what is left: at the expiry, or after the paused time to live."""
        if self.expires_at is None or self.on_expiry == "destroy":
            return self.expires_at
        assert self.profile.paused_time_to_live is not None  # resolve_environment refuses pause without one
        return self.expires_at + self.profile.paused_time_to_live

    def stack_name(self, component: str) -> str:
        return f"Keystone-{self.slug}-{component}"

    def resource_name(self, purpose: str) -> str:
        """A physical name for IAM roles, functions, clusters, workgroups: `keystone-<slug>-<purpose>`."""
        return f"{PROJECT}-{self.slug}-{purpose}"

    def bucket_name(self, purpose: str) -> str:
        """Bucket names are global: a short hash of account and region keeps them unique worldwide."""
        scope = hashlib.sha256(f"{self.account}:{self.region}".encode()).hexdigest()[:8]
        return f"{PROJECT}-{self.slug}-{purpose}-{scope}"

    def glue_database(self, layer: str) -> str:
        return f"{self.slug.replace('-', '_')}_{layer}"

    @property
    def tags(self) -> dict[str, str]:
        tags = {
            f"{PROJECT}:env": self.slug,
            f"{PROJECT}:branch": _tag_value(self.branch),
            f"{PROJECT}:profile": self.profile.name,
        }
        if self.expires_at is not None:
            tags[f"{PROJECT}:expires-at"] = self.expires_at.strftime(EXPIRY_FORMAT)
        if self.on_expiry == "pause" and self.destroy_at is not None:
            tags[f"{PROJECT}:on-expiry"] = self.on_expiry
            tags[f"{PROJECT}:destroy-at"] = self.destroy_at.strftime(EXPIRY_FORMAT)
        return tags


def _tag_value(text: str) -> str:
    """AWS tag values allow letters, digits, spaces and `_.:/=+-@`; branch names may hold more."""
    return re.sub(r"[^\w .:/=+\-@]", "_", text, flags=re.ASCII)[:256]


def current_git_branch() -> str | None:
    try:
        result = subprocess.run(
            ["git", "symbolic-ref", "--short", "-q", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.CalledProcessError, subprocess.TimeoutExpired):
        return None
    branch = result.stdout.strip()
    return branch or None


def resolve_environment(
    branch: str | None,
    *,
    account: str | None = None,
    region: str | None = None,
    now: datetime | None = None,
    alert_email: str | None = None,
    on_expiry: str | None = None,
) -> Environment:
    """The environment of `branch`, else of the current git branch.

    `now` fixes the expiry of ephemeral environments; it defaults to the current hour, so repeated
    synths within an hour give identical templates.
    """
    branch = branch or current_git_branch()
    if not branch:
        raise EnvironmentError(
            "no branch: pass one with `cdk synth -c branch=<name>` (or `make synth BRANCH=<name>`), "
            "or run inside a git checkout that is on a branch"
        )
    try:
        slug = slug_for_branch(branch)
    except InvalidBranchName as error:
        raise EnvironmentError(str(error)) from error
    if alert_email is not None and not _EMAIL.fullmatch(alert_email):
        raise EnvironmentError(f"alert_email {alert_email!r} is not an e-mail address (name@domain)")
    profile = profile_for_branch(branch)
    on_expiry = on_expiry or "destroy"
    if on_expiry not in ON_EXPIRY_CHOICES:
        raise EnvironmentError(f"on_expiry {on_expiry!r}: expected one of {', '.join(ON_EXPIRY_CHOICES)}")
    if on_expiry == "pause" and profile.paused_time_to_live is None:
        raise EnvironmentError(
            f"on_expiry 'pause': branch {branch!r} gets the {profile.name} profile, which never expires"
        )
    created = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    expires_at = created + profile.time_to_live if profile.time_to_live else None
    return Environment(
        branch=branch,
        slug=slug,
        profile=profile,
        account=account or OFFLINE_ACCOUNT,
        region=region or DEFAULT_REGION,
        expires_at=expires_at,
        alert_email=alert_email,
        on_expiry=on_expiry,  # type: ignore[arg-type]  # checked against ON_EXPIRY_CHOICES above
    )
