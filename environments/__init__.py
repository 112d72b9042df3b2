"""The environment model: which branch, which slug, which profile. Everything else reads it."""

from environments.model import Environment, EnvironmentError, resolve_environment
from environments.profiles import EPHEMERAL, PERSISTENT, Profile
from environments.slug import slug_for_branch

__all__ = [
    "EPHEMERAL",
    "PERSISTENT",
    "Environment",
    "EnvironmentError",
    "Profile",
    "resolve_environment",
    "slug_for_branch",
]
