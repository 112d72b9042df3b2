"""Shared fixtures: each fixture module owns one kind of resource (data, engines, synthesized app)."""

from tests.fixtures.engines import *  # noqa: F403
from tests.fixtures.olist_data import *  # noqa: F403
from tests.fixtures.synth import *  # noqa: F403
