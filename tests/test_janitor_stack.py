"""The janitor stack: its own app, least-privilege IAM, the schedule, cdk-nag and cfn-lint clean."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from aws_cdk.assertions import Match, Template

from stacks.janitor import STACK_NAME, create_janitor_app
from stacks.lakehouse import COMPUTE_COMPONENTS

CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")


@pytest.fixture(scope="module")
def janitor(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("janitor.out")
    app = create_janitor_app(outdir=str(outdir))
    app.synth()  # raises on any unacknowledged cdk-nag finding
    stack = app.node.find_child(STACK_NAME)
    return outdir, Template.from_stack(stack)


def _statements(template: Template) -> dict[str, dict]:
    policies = template.find_resources("AWS::IAM::Policy")
    assert len(policies) == 1
    (policy,) = policies.values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    # Ours carry a Sid; the grant CDK adds for the failure queue (sqs:SendMessage on that queue) carries none.
    return {statement.get("Sid") or json.dumps(statement["Action"]): statement for statement in statements}


def test_a_scheduled_function_that_never_runs_twice_at_once(janitor):
    _, template = janitor
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": "keystone-janitor",
            "Handler": "lambdas.janitor.handler.handler",
            "Runtime": "python3.14",
            "Timeout": 900,
            "ReservedConcurrentExecutions": 1,
            "Environment": {
                "Variables": {
                    "CLOUDFORMATION_ROLE_ARN": Match.string_like_regexp("cfn-exec-role"),
                    "COMPUTE_COMPONENTS": ",".join(COMPUTE_COMPONENTS),
                }
            },
        },
    )
    template.has_resource_properties("AWS::Events::Rule", {"ScheduleExpression": "rate(1 hour)", "State": "ENABLED"})
    template.has_resource_properties("AWS::Logs::LogGroup", {"RetentionInDays": 30})


def test_only_ephemeral_keystone_stacks_can_be_deleted(janitor):
    statements = _statements(janitor[1])
    delete = statements["DeleteEphemeralKeystoneStacks"]
    assert delete["Action"] == "cloudformation:DeleteStack"
    assert delete["Resource"].endswith(":stack/Keystone-*/*")
    assert delete["Condition"] == {"StringEquals": {"aws:ResourceTag/keystone:profile": "ephemeral"}}


def test_wildcard_resources_only_for_calls_without_resource_level_permissions(janitor):
    statements = _statements(janitor[1])
    unscoped = {sid for sid, statement in statements.items() if statement["Resource"] == "*"}
    assert unscoped == {"FindStacks", "FindLambdaEnis", "ReadSinkLag"}
    read_only = {
        "cloudformation:ListStacks",
        "cloudformation:ListExports",
        "ec2:DescribeNetworkInterfaces",
        "cloudwatch:GetMetricData",
    }
    for sid in unscoped:
        actions = statements[sid]["Action"]
        assert set(actions if isinstance(actions, list) else [actions]) <= read_only


def test_writes_are_scoped_to_keystone_names(janitor):
    statements = _statements(janitor[1])
    assert statements["EmptyAndDeleteKeystoneBuckets"]["Resource"] == "arn:aws:s3:::keystone-*"
    assert statements["DeleteKeystoneObjects"]["Resource"] == "arn:aws:s3:::keystone-*/*"
    log_groups = [arn.split(":log-group:")[1] for arn in statements["DeleteLeftoverLogGroups"]["Resource"]]
    assert sorted(log_groups) == ["/aws/lambda/Keystone-*", "/aws/lambda/keystone-*", "airflow-keystone-*"]
    pass_role = statements["DeleteThroughTheDeployRole"]
    assert pass_role["Resource"].endswith(":role/cdk-hnb659fds-cfn-exec-role-111111111111-us-east-1")
    assert pass_role["Condition"] == {"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}}


def test_no_managed_policies(janitor):
    for role in janitor[1].find_resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]


def test_cdk_nag_clean_with_specific_acknowledgments(janitor):
    report = json.loads((janitor[0] / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        assert plugin["violations"] == []
        for acknowledged in plugin.get("suppressedViolations", []):
            assert acknowledged["acknowledgedId"].startswith("AwsSolutions-IAM5[Resource::")
            assert len(acknowledged["reason"]) >= 80


def test_cfn_lint_finds_no_errors(janitor):
    template = janitor[0] / f"{STACK_NAME}.template.json"
    result = subprocess.run(
        [CFN_LINT, "--format", "parseable", "--ignore-checks", "W3005", "--", str(template)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_function_asset_holds_only_the_janitor_and_its_logs_and_the_layer_the_logger(janitor):
    outdir, _ = janitor
    manifest = json.loads((outdir / f"{STACK_NAME}.assets.json").read_text())
    assets = [outdir / f["source"]["path"] for f in manifest["files"].values() if f["source"].get("packaging")]
    (code,) = [asset for asset in assets if (asset / "lambdas").is_dir()]
    files = {str(path.relative_to(code)) for path in code.rglob("*") if path.is_file()}
    assert {"lambdas/janitor/handler.py", "lambdas/logs/__init__.py"} <= files
    assert all(name.startswith(("lambdas/janitor/", "lambdas/logs/")) and name.endswith(".py") for name in files), files
    (layer,) = [asset for asset in assets if asset.suffix == ".zip"]
    with zipfile.ZipFile(layer) as archive:
        assert "python/aws_lambda_powertools/logging/logger.py" in archive.namelist()


def test_the_environment_app_never_deploys_the_janitor(feature_env):
    assert not (feature_env.outdir / f"{STACK_NAME}.template.json").exists()
    assert all(stack.stack_name != STACK_NAME for stack in feature_env.lakehouse.stacks)
