"""The janitor's pure rules: which environment may go, and in which order its stacks are deleted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from moto import mock_aws

from environments.model import resolve_environment
from lambdas.janitor.handler import handler, settings_from_environment
from lambdas.janitor.order import DependencyCycle, deletion_waves
from lambdas.janitor.records import STACK_PREFIX, EnvironmentRecord, StackRecord, Verdict, group_environments
from tests.fixtures.lambda_context import LambdaContext

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def _stack(
    component: str, *, slug="feat", profile="ephemeral", expires="2026-11-24T00:00:00Z", status="CREATE_COMPLETE"
):
    tags = {"keystone:env": slug, "keystone:profile": profile}
    if expires is not None:
        tags["keystone:expires-at"] = expires
    return StackRecord(f"Keystone-{slug}-{component}", f"id-{slug}-{component}", status, tags)


def _env(*stacks: StackRecord) -> EnvironmentRecord:
    return EnvironmentRecord(stacks[0].env or "", stacks)


@pytest.mark.parametrize(
    ("stacks", "verdict"),
    [
        ((_stack("Network"), _stack("Storage")), Verdict.EXPIRED),
        ((_stack("Network", expires="2026-11-25T12:00:00Z"),), Verdict.EXPIRED),  # expiry is inclusive
        ((_stack("Network"), _stack("Storage", expires="2026-11-26T00:00:00Z")), Verdict.LIVE),  # latest expiry wins
        ((_stack("Network", profile="persistent", expires=None),), Verdict.PERSISTENT),
        ((_stack("Network", profile="persistent"),), Verdict.PERSISTENT),
        ((_stack("Network"), _stack("Storage", profile="persistent")), Verdict.PERSISTENT),
        ((_stack("Network", profile="unknown"),), Verdict.PERSISTENT),
        ((_stack("Network", expires=None),), Verdict.UNDATED),
        ((_stack("Network", expires="next tuesday"),), Verdict.UNDATED),
        ((_stack("Network", status="DELETE_COMPLETE"),), Verdict.GONE),
        ((_stack("Network", status="DELETE_FAILED"),), Verdict.EXPIRED),  # retried
    ],
)
def test_verdict(stacks, verdict):
    assert _env(*stacks).verdict(NOW) is verdict


def test_deleted_stacks_do_not_keep_an_environment_alive():
    stacks = (_stack("Network"), _stack("Storage", expires="2026-12-30T00:00:00Z", status="DELETE_COMPLETE"))
    assert _env(*stacks).verdict(NOW) is Verdict.EXPIRED


def test_stacks_group_by_environment_tag_and_untagged_ones_are_ignored():
    janitor = StackRecord("Keystone-Janitor", "id-janitor", "CREATE_COMPLETE", {"keystone:component": "janitor"})
    other = StackRecord("CDKToolkit", "id-toolkit", "CREATE_COMPLETE", {"keystone:env": "feat"})
    environments = group_environments([_stack("Network", slug="b"), _stack("Storage", slug="a"), janitor, other])
    assert [(e.slug, [s.name for s in e.stacks]) for e in environments] == [
        ("a", ["Keystone-a-Storage"]),
        ("b", ["Keystone-b-Network"]),
    ]


def test_deletion_waves_follow_imports_in_reverse():
    depends_on = {
        "Storage": set(),
        "Network": set(),
        "Catalog": {"Storage"},
        "Streaming": {"Network", "Storage"},
        "Ingestion": {"Network", "Storage", "Streaming"},
        "Orchestration": {"Network", "Storage", "Catalog"},
        "Monitoring": {"Streaming", "Ingestion", "Orchestration"},
    }
    assert deletion_waves(depends_on, depends_on) == [
        ["Monitoring"],
        ["Ingestion", "Orchestration"],
        ["Catalog", "Streaming"],
        ["Network", "Storage"],
    ]


def test_deletion_waves_ignore_stacks_already_gone():
    assert deletion_waves(["Catalog"], {"Catalog": {"Storage"}}) == [["Catalog"]]


def test_a_dependency_cycle_is_a_clear_error():
    with pytest.raises(DependencyCycle, match="delete one by hand"):
        deletion_waves(["A", "B"], {"A": {"B"}, "B": {"A"}})


def test_settings_come_from_the_function_environment():
    settings = settings_from_environment(
        {"CLOUDFORMATION_ROLE_ARN": "arn:aws:iam::1:role/r", "SWEEP_LOOKBACK_DAYS": "3", "POLL_SECONDS": "5"}
    )
    assert settings.cloudformation_role_arn == "arn:aws:iam::1:role/r"
    assert settings.sweep_lookback == timedelta(days=3)
    assert settings.poll_seconds == 5
    assert settings_from_environment({}).cloudformation_role_arn is None


def test_the_handler_runs_against_an_empty_account_and_logs_the_run_with_its_ids(monkeypatch, capsys):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    context = LambdaContext(function_name="keystone-janitor")
    # The scheduled event's `id` is the run's correlation id (Powertools' correlation_paths.EVENT_BRIDGE).
    # https://docs.aws.amazon.com/powertools/python/latest/api/logging/correlation_paths.html
    scheduled = {"id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa", "detail-type": "Scheduled Event", "detail": {}}

    with mock_aws():
        summary = handler(scheduled, context)
    assert summary["deletes_started"] == [] and summary["errors"] == []
    [finished] = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert finished["message"] == "janitor_run_finished" and finished["deletes_started"] == []
    assert finished["function_request_id"] == context.aws_request_id
    assert finished["correlation_id"] == scheduled["id"]


@pytest.mark.parametrize(("branch", "ephemeral"), [("feature/Add_Thing-123", True), ("main", False)])
def test_the_janitor_reads_the_tags_and_stack_names_the_app_writes(branch: str, ephemeral: bool) -> None:
    # The janitor's bundle holds only lambdas/janitor, so it restates the tag contract of environments/model.py.
    environment = resolve_environment(branch, now=NOW)
    stack = StackRecord(environment.stack_name("Network"), "id", "CREATE_COMPLETE", environment.tags)
    [record] = group_environments([stack])
    assert stack.name.startswith(STACK_PREFIX)
    assert (record.slug, stack.env) == (environment.slug, environment.slug)
    assert stack.is_ephemeral is ephemeral
    assert stack.expires_at == environment.expires_at


def test_a_malformed_setting_is_named_in_the_error() -> None:
    with pytest.raises(ValueError, match=r"SWEEP_LOOKBACK_DAYS='a week' is not a number \(int\)"):
        settings_from_environment({"SWEEP_LOOKBACK_DAYS": "a week"})
