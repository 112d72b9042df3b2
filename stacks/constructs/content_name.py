"""Physical names that change with the content CloudFormation can only set at creation."""

from __future__ import annotations

import hashlib

DIGEST_LENGTH = 12


def named_by_content(prefix: str, *content: str) -> str:
    """`<prefix>-<digest of content>`.

    A change of a create-only property replaces the resource, and CloudFormation creates the replacement
    before it deletes the original: under a fixed name the two collide and the update rolls back.
    """
    digest = hashlib.sha256("\0".join(content).encode()).hexdigest()[:DIGEST_LENGTH]
    return f"{prefix}-{digest}"
