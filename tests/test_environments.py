"""The environment model: branch -> slug -> profile -> names and tags."""

import random
import re
import string
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from environments import EPHEMERAL, PERSISTENT, EnvironmentError, resolve_environment, slug_for_branch
from environments.slug import MAX_SLUG_LENGTH

NOW = datetime(2026, 11, 25, 12, 34, tzinfo=UTC)
STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
GLUE_DATABASE = re.compile(r"^[a-z0-9_]{1,255}$")
COMPONENTS = ("Network", "Storage", "Catalog", "Streaming", "Ingestion", "Orchestration", "Monitoring")
BUCKET_PURPOSES = ("landing", "bronze", "silver", "gold", "query-results", "artifacts", "access-logs")

branch_names = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=120
).filter(lambda name: re.search(r"[A-Za-z0-9]", name))


def assert_valid_bucket_name(name: str) -> None:
    assert BUCKET_NAME.match(name), name
    assert ".." not in name and not name.startswith("xn--"), name
    assert not name.endswith(("-s3alias", "--ol-s3", "--x-s3", "--table-s3")), name


@pytest.mark.parametrize(
    ("branch", "slug"),
    [
        ("main", "main"),
        ("dev", "dev"),
        ("feature-x", "feature-x"),
        ("feature/Add_Thing-123", "feature-ad--ker4hkic"),
        ("FEATURE-X", "feature-x--cwa6bn6v"),
        ("1-fix", "b-1-fix--f5vppqlp"),
    ],
)
def test_known_branches_map_to_known_slugs(branch, slug):
    assert slug_for_branch(branch) == slug


def test_a_trailing_newline_is_not_a_valid_slug():
    assert slug_for_branch("a\n") != "a\n"


def test_a_valid_slug_is_kept_and_a_changed_one_carries_a_hash():
    assert slug_for_branch("a-short-one") == "a-short-one"
    changed = slug_for_branch("Feature/UPPER")
    assert "--" in changed and changed.startswith("feature-up")


def test_branches_that_reduce_to_nothing_are_a_clear_error():
    for branch in ("///", "---", "_", "ñ"):
        with pytest.raises(EnvironmentError, match="has no letters or digits"):
            resolve_environment(branch, now=NOW)


def test_no_branch_at_all_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # not a git checkout
    with pytest.raises(EnvironmentError, match="-c branch=<name>"):
        resolve_environment(None, now=NOW)


@settings(max_examples=3000, deadline=None)
@given(branch=branch_names)
def test_every_branch_gets_a_slug_valid_in_every_name(branch):
    slug = slug_for_branch(branch)
    assert len(slug) <= MAX_SLUG_LENGTH
    assert re.fullmatch(r"[a-z][a-z0-9-]*", slug), slug
    assert slug == slug_for_branch(branch), "slug must be deterministic"
    environment = resolve_environment(branch, now=NOW)
    for component in COMPONENTS:
        assert STACK_NAME.match(environment.stack_name(component))
    for purpose in BUCKET_PURPOSES:
        assert_valid_bucket_name(environment.bucket_name(purpose))
    assert GLUE_DATABASE.match(environment.glue_database("bronze"))
    assert len(environment.resource_name("connect-exec")) <= 64  # IAM role name limit


@settings(max_examples=3000, deadline=None)
@given(first=branch_names, second=branch_names)
def test_two_different_branches_never_share_a_slug(first, second):
    if first != second:
        assert slug_for_branch(first) != slug_for_branch(second)


def test_twenty_thousand_random_branch_names_have_twenty_thousand_slugs():
    rng = random.Random(20261125)
    alphabet = string.ascii_letters + string.digits + "/-_.#@ "
    branches = {"".join(rng.choices(alphabet, k=rng.randint(1, 60))) for _ in range(20_000)}
    branches = {branch for branch in branches if re.search(r"[A-Za-z0-9]", branch)}
    assert len({slug_for_branch(branch) for branch in branches}) == len(branches)


def test_near_identical_long_branches_get_different_slugs():
    stem = "feature/a-very-long-branch-name-about-"
    slugs = {slug_for_branch(f"{stem}{i}") for i in range(5000)}
    assert len(slugs) == 5000


def test_main_is_persistent_and_retains_data():
    environment = resolve_environment("main", now=NOW)
    assert environment.profile is PERSISTENT
    assert not environment.profile.destroy_on_teardown
    assert environment.expires_at is None
    assert "keystone:expires-at" not in environment.tags


def test_other_branches_are_ephemeral_with_an_expiry_tag():
    environment = resolve_environment("feature/x", now=NOW)
    assert environment.profile is EPHEMERAL
    assert environment.profile.destroy_on_teardown
    assert environment.profile.nat_gateways == 1
    assert environment.expires_at == datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    assert environment.tags == {
        "keystone:env": environment.slug,
        "keystone:branch": "feature/x",
        "keystone:profile": "ephemeral",
        "keystone:expires-at": "2026-11-28T12:00:00Z",
    }


def test_branch_tag_keeps_only_characters_aws_allows():
    environment = resolve_environment("feat/#42 ümlaut", now=NOW)
    assert re.fullmatch(r"[\w .:/=+\-@]*", environment.tags["keystone:branch"], flags=re.ASCII)


def test_ephemeral_profile_is_smaller_than_persistent():
    assert EPHEMERAL.nat_gateways < PERSISTENT.nat_gateways
    assert EPHEMERAL.athena_bytes_scanned_cutoff < PERSISTENT.athena_bytes_scanned_cutoff
    assert EPHEMERAL.log_retention_days < PERSISTENT.log_retention_days
    assert EPHEMERAL.mwaa.max_workers <= PERSISTENT.mwaa.max_workers


def test_names_of_two_environments_are_disjoint():
    main, feature = (resolve_environment(b, now=NOW) for b in ("main", "feature/Add_Thing-123"))
    for make_name in (
        lambda e: e.stack_name("Storage"),
        lambda e: e.bucket_name("bronze"),
        lambda e: e.glue_database("gold"),
    ):
        assert make_name(main) != make_name(feature)


@pytest.mark.parametrize("address", ["oncall", "on call@example.com", "oncall@example", "a@b@example.com"])
def test_a_malformed_alert_email_is_refused_before_synth(address):
    with pytest.raises(EnvironmentError, match=f"alert_email '{address}' is not an e-mail address"):
        resolve_environment("main", alert_email=address)


def test_a_branch_that_asks_for_a_pause_on_expiry_says_so_and_when_the_rest_goes():
    environment = resolve_environment("feature/x", now=NOW, on_expiry="pause")
    assert environment.on_expiry == "pause"
    assert environment.destroy_at == environment.expires_at + EPHEMERAL.paused_time_to_live
    assert environment.tags["keystone:on-expiry"] == "pause"
    assert environment.tags["keystone:destroy-at"] == "2026-12-05T12:00:00Z"
    assert resolve_environment("feature/x", now=NOW).destroy_at == environment.expires_at
    assert "keystone:on-expiry" not in resolve_environment("feature/x", now=NOW, on_expiry="destroy").tags


@pytest.mark.parametrize(
    ("branch", "on_expiry", "message"),
    [
        ("feature/x", "hibernate", "on_expiry 'hibernate': expected one of destroy, pause"),
        ("main", "pause", "on_expiry 'pause': branch 'main' gets the persistent profile, which never expires"),
    ],
)
def test_an_on_expiry_that_cannot_be_is_refused_before_synth(branch, on_expiry, message):
    with pytest.raises(EnvironmentError, match=re.escape(message)):
        resolve_environment(branch, now=NOW, on_expiry=on_expiry)
