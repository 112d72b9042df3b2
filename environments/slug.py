"""Branch name -> environment slug.

A slug is lowercase `[a-z0-9-]`, starts with a letter and has at most 20 characters, so it fits in
every physical name we build from it (bucket, MSK cluster, MWAA environment, Glue database).

A branch that already is a valid slug is used as it is. Any other branch is normalized, cut, and
given a `--<hash>` suffix computed from the original name. Normalization collapses repeated hyphens,
so an unchanged slug never contains `--`: the two kinds of slug can never collide, and two changed
branches only collide if their 40-bit hashes do.
"""

from __future__ import annotations

import base64
import hashlib
import re

MAX_SLUG_LENGTH = 20
HASH_LENGTH = 8
_HASH_SEPARATOR = "--"
_VALID_SLUG = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


class InvalidBranchName(ValueError):
    """The branch name cannot be turned into an environment slug."""


def _branch_hash(branch: str) -> str:
    digest = hashlib.sha256(branch.encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:HASH_LENGTH]


def _normalize(branch: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", branch.lower()).strip("-")


def is_valid_slug(slug: str) -> bool:
    return len(slug) <= MAX_SLUG_LENGTH and _VALID_SLUG.fullmatch(slug) is not None


def slug_for_branch(branch: str) -> str:
    """The environment slug of a git branch: stable, unique per branch, valid in every name we build."""
    if is_valid_slug(branch):
        return branch
    normalized = _normalize(branch)
    if not normalized:
        raise InvalidBranchName(
            f"branch {branch!r} has no letters or digits, so it cannot name an environment; "
            "rename the branch or pass -c branch=<name>"
        )
    if not normalized[0].isalpha():
        normalized = f"b-{normalized}"
    room = MAX_SLUG_LENGTH - len(_HASH_SEPARATOR) - HASH_LENGTH
    stem = normalized[:room].rstrip("-")
    return f"{stem}{_HASH_SEPARATOR}{_branch_hash(branch)}"
