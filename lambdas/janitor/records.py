"""What the janitor knows about a stack and an environment, and the rule that decides what may go."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum

TAG_ENV = "keystone:env"
TAG_PROFILE = "keystone:profile"
TAG_EXPIRES_AT = "keystone:expires-at"
# A branch deployed with `on_expiry=pause` (environments/model.py): at its expiry the janitor pauses it, and removes
# what is left at `keystone:destroy-at`.
TAG_ON_EXPIRY = "keystone:on-expiry"
TAG_DESTROY_AT = "keystone:destroy-at"
PAUSE = "pause"
EPHEMERAL = "ephemeral"
STACK_PREFIX = "Keystone-"
EXPIRES_AT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

DELETE_COMPLETE = "DELETE_COMPLETE"
DELETE_IN_PROGRESS = "DELETE_IN_PROGRESS"


def parse_expires_at(value: str | None) -> datetime | None:
    """The expiry tag as an aware UTC datetime; None when absent or not in the format the app writes."""
    if value is None:
        return None
    try:
        return datetime.strptime(value, EXPIRES_AT_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


@dataclass(frozen=True)
class StackRecord:
    name: str
    stack_id: str
    status: str
    tags: Mapping[str, str]
    deleted_at: datetime | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)

    @property
    def deleted(self) -> bool:
        return self.status == DELETE_COMPLETE

    @property
    def deleting(self) -> bool:
        return self.status == DELETE_IN_PROGRESS

    @property
    def env(self) -> str | None:
        return self.tags.get(TAG_ENV)

    @property
    def is_ephemeral(self) -> bool:
        return self.tags.get(TAG_PROFILE) == EPHEMERAL

    @property
    def expires_at(self) -> datetime | None:
        return parse_expires_at(self.tags.get(TAG_EXPIRES_AT))

    @property
    def pauses_on_expiry(self) -> bool:
        return self.tags.get(TAG_ON_EXPIRY) == PAUSE

    @property
    def destroy_at(self) -> datetime | None:
        return parse_expires_at(self.tags.get(TAG_DESTROY_AT))

    def is_component(self, slug: str, component: str) -> bool:
        """Whether this is the `component` stack of environment `slug` (`Keystone-<slug>-<Component>`)."""
        return self.name == f"{STACK_PREFIX}{slug}-{component}"


class Verdict(Enum):
    EXPIRED = "expired"  # every live stack is ephemeral and past its expiry: tear it down
    LIVE = "live"  # ephemeral and not yet expired
    PERSISTENT = "persistent"  # at least one live stack is not ephemeral: never touched
    UNDATED = "undated"  # ephemeral but an expiry tag is missing or malformed: left alone, logged
    PAUSE = "pause"  # expired, asked to be paused first, before its destroy-at: only its compute stacks go
    GONE = "gone"  # no live stack left: only leftovers of its deleted ephemeral stacks are swept


@dataclass(frozen=True)
class EnvironmentRecord:
    slug: str
    stacks: tuple[StackRecord, ...]

    @property
    def live_stacks(self) -> list[StackRecord]:
        return [stack for stack in self.stacks if not stack.deleted]

    @property
    def deleted_ephemeral_stacks(self) -> list[StackRecord]:
        return [stack for stack in self.stacks if stack.deleted and stack.is_ephemeral]

    def verdict(self, now: datetime) -> Verdict:
        live = self.live_stacks
        if not live:
            return Verdict.GONE
        if not all(stack.is_ephemeral for stack in live):
            return Verdict.PERSISTENT
        expiries = [stack.expires_at for stack in live]
        if any(expiry is None for expiry in expiries):
            return Verdict.UNDATED
        # A redeploy refreshes the tag on every stack it changes: the latest expiry wins.
        if max(e for e in expiries if e is not None) > now:
            return Verdict.LIVE
        # Any stack asking for a pause wins over those that do not: a pause keeps the data a destroy would lose.
        if not any(stack.pauses_on_expiry for stack in live):
            return Verdict.EXPIRED
        destroy_at = [stack.destroy_at for stack in live if stack.pauses_on_expiry]
        if any(when is None for when in destroy_at):
            return Verdict.UNDATED
        return Verdict.EXPIRED if max(w for w in destroy_at if w is not None) <= now else Verdict.PAUSE


def group_environments(stacks: Iterable[StackRecord]) -> list[EnvironmentRecord]:
    """Keystone stacks grouped by their `keystone:env` tag; stacks without it (the janitor's own) are no env."""
    by_slug: dict[str, list[StackRecord]] = defaultdict(list)
    for stack in stacks:
        if stack.name.startswith(STACK_PREFIX) and stack.env:
            by_slug[stack.env].append(stack)
    return [EnvironmentRecord(slug, tuple(by_slug[slug])) for slug in sorted(by_slug)]
