"""The gate every environment passes: cdk-nag AwsSolutions, cfn-lint, names and tags."""

import json
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from stacks.compliance import add_compliance_checks
from tests.fixtures.synth import FEATURE_BRANCH

# W3005: redundant DependsOn that CDK emits on generated roles. W3010: the AZs come from the
# committed context lookup, which is how CDK pins AZs; both are expected for CDK output.
CFN_LINT_IGNORED = ("W3005", "W3010")
ENVIRONMENTS = ["main_env", "feature_env"]
# Resources whose names are unique only within their parent (an Athena named query within its workgroup).
NAMES_SCOPED_BY_PARENT = {"AWS::Athena::NamedQuery", "AWS::MSK::Topic"}
# Properties ending in "Name" that name no resource: an inline policy (scoped to its role), a label, a metric.
NOT_PHYSICAL_NAMES = {"PolicyName", "DisplayName", "MetricName"}
CFN_LINT = str(Path(sys.executable).parent / "cfn-lint")


def _nag_report(synthesized) -> dict:
    report = synthesized.outdir / "validation-report.json"
    return json.loads(report.read_text()) if report.exists() else {"pluginReports": []}


@pytest.mark.parametrize("which", ENVIRONMENTS)
def test_cdk_nag_has_no_unacknowledged_findings(which, request):
    synthesized = request.getfixturevalue(which)  # synth raises ValidationFailed on any finding
    violations = [v for p in _nag_report(synthesized)["pluginReports"] for v in p["violations"]]
    assert violations == []


@pytest.mark.parametrize("which", ENVIRONMENTS)
def test_every_acknowledgment_names_one_rule_and_a_real_reason(which, request):
    synthesized = request.getfixturevalue(which)
    acknowledged = {}
    for stack in synthesized.lakehouse.stacks:
        for construct in stack.node.find_all():
            for entry in construct.node.metadata:
                if entry.type == cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                    acknowledged.update({f"{construct.node.path}: {rule}": why for rule, why in entry.data.items()})
    ours = {where: why for where, why in acknowledged.items() if "AwsSolutions" in where}
    assert ours, "the streaming stack is expected to acknowledge scoped findings"
    for where, why in ours.items():
        assert "AwsSolutions-IAM5]" not in where and not where.endswith("AwsSolutions-IAM5"), f"{where}: unscoped"
        assert len(why) >= 50, f"{where}: reason too thin: {why!r}"


def test_cdk_nag_gate_really_fails_on_a_finding(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    s3.Bucket(cdk.Stack(app, "Unsafe"), "NoLogsNoTls")
    add_compliance_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for p in report["pluginReports"] for v in p["violations"]}
    assert {"AwsSolutions-S1", "AwsSolutions-S10"} <= rules


@pytest.mark.parametrize("which", ENVIRONMENTS)
def test_cfn_lint_finds_no_errors(which, request):
    files = [str(path) for path in request.getfixturevalue(which).template_files]
    assert files
    result = subprocess.run(
        [CFN_LINT, "--format", "parseable", "--ignore-checks", *CFN_LINT_IGNORED, "--", *files],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_two_branches_share_no_stack_or_physical_name(main_env, feature_env):
    def physical_names(synthesized) -> set[str]:
        names = set(synthesized.templates)
        for template in synthesized.templates.values():
            for resource in template.to_json()["Resources"].values():
                if resource["Type"] in NAMES_SCOPED_BY_PARENT:
                    continue
                for key, value in resource.get("Properties", {}).items():
                    if key.endswith("Name") and key not in NOT_PHYSICAL_NAMES and isinstance(value, str):
                        names.add(value)
        return names

    main_names, feature_names = physical_names(main_env), physical_names(feature_env)
    assert len(main_names) > 10 and len(feature_names) > 10
    assert not main_names & feature_names


@pytest.mark.parametrize("which", ENVIRONMENTS)
def test_every_stack_is_named_and_tagged_for_its_environment(which, request):
    synthesized = request.getfixturevalue(which)
    environment = synthesized.environment
    for stack in synthesized.lakehouse.stacks:
        assert stack.stack_name.startswith(f"Keystone-{environment.slug}-")
        assert cdk.Stack.of(stack).tags.tag_values() == environment.tags


def test_feature_branch_is_ephemeral_and_main_persistent(main_env, feature_env):
    assert feature_env.environment.branch == FEATURE_BRANCH
    assert feature_env.environment.profile.name == "ephemeral"
    assert main_env.environment.profile.name == "persistent"
