"""The GitHub Actions workflows: actionlint clean, the gate runs what .ci/run runs, deploys are safe by construction."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from deployment.branch import ALERT_EMAIL_VARIABLE

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
# `make test` installs it here (Makefile: the actionlint target, `go install` through the Go module proxy).
ACTIONLINT_CACHED = REPO / ".cache" / "bin" / "actionlint"


def _workflow(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / name).read_text())
    workflow["on"] = workflow.pop(True)  # YAML 1.1 reads the key `on` as a boolean
    return workflow


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def _actionlint() -> str:
    found = str(ACTIONLINT_CACHED) if ACTIONLINT_CACHED.is_file() else shutil.which("actionlint")
    if found:
        return found
    message = "actionlint is not installed: `make test` installs it into .cache/bin (needs Go)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _lint(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    # shellcheck and pyflakes integrations off: the result must not depend on what else a machine has installed.
    command = [_actionlint(), "-no-color", "-oneline", "-shellcheck=", "-pyflakes=", *arguments]
    return subprocess.run(command, cwd=REPO, input=stdin, capture_output=True, text=True, timeout=120)


def test_actionlint_finds_nothing():
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_really_reports_a_broken_workflow():
    broken = "on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n"
    result = _lint("-", stdin=broken)
    assert result.returncode == 1 and "nope" in result.stdout


def test_the_gate_runs_the_make_targets_of_ci_run():
    ci_run_targets = set(re.findall(r"^\s*make\s+([a-z-]+)", (REPO / ".ci" / "run").read_text(), re.MULTILINE))
    assert "test" in ci_run_targets
    gate = _runs(_workflow("ci.yml")["jobs"]["gate"])
    for target in ci_run_targets | {"synth", "cost"}:
        assert re.search(rf"^make {target}\b", gate, re.MULTILINE), f"the gate does not run `make {target}`"
    assert 'make synth BRANCH="$BRANCH"' in gate and 'make cost BRANCH="$BRANCH"' in gate


def test_the_gate_runs_on_every_push_and_pull_request_and_keeps_its_outputs():
    workflow = _workflow("ci.yml")
    assert workflow["on"]["push"]["branches"] == ["**"]
    assert "pull_request" in workflow["on"]
    upload = next(
        s for s in workflow["jobs"]["gate"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact")
    )
    assert {"cdk.out/", "cost.txt", "diff.txt"} <= set(upload["with"]["path"].split())


def _aws_jobs() -> list[tuple[str, dict]]:
    jobs = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for name, job in _workflow(path.name)["jobs"].items():
            if any("configure-aws-credentials" in step.get("uses", "") for step in job.get("steps", [])):
                jobs.append((f"{path.name}:{name}", job))
    return jobs


def test_aws_access_only_through_oidc():
    jobs = _aws_jobs()
    assert len(jobs) >= 3
    for name, job in jobs:
        assert job["permissions"]["id-token"] == "write", name
        for step in job["steps"]:
            if "configure-aws-credentials" in step.get("uses", ""):
                assert "role-to-assume" in step["with"], name
                assert not {"aws-access-key-id", "aws-secret-access-key"} & set(step["with"]), name
    for path in WORKFLOWS.glob("*.yml"):
        assert "secrets.AWS_" not in path.read_text(), path.name


def test_one_deployment_at_a_time_per_branch():
    deploy = _workflow("deploy.yml")["jobs"]["deploy"]
    destroy = _workflow("teardown.yml")["jobs"]["destroy"]
    assert deploy["concurrency"]["group"] == "environment-${{ inputs.branch }}"
    assert destroy["concurrency"]["group"].startswith("environment-")
    assert deploy["concurrency"]["cancel-in-progress"] is False
    assert destroy["concurrency"]["cancel-in-progress"] is False
    assert 'make deploy BRANCH="$BRANCH"' in _runs(deploy)
    assert 'make destroy BRANCH="$BRANCH"' in _runs(destroy)


def test_deploys_take_the_alert_email_from_the_github_environment():
    # deployment/branch.py reads it; the job's `environment` picks production's or ephemeral's value.
    deploy = _workflow("deploy.yml")["jobs"]["deploy"]
    assert deploy["env"][ALERT_EMAIL_VARIABLE] == "${{ vars." + ALERT_EMAIL_VARIABLE + " }}"


def test_branches_deploy_ephemeral_and_main_waits_for_approval():
    jobs = _workflow("ci.yml")["jobs"]
    branch, main = jobs["deploy-branch"], jobs["deploy-main"]
    assert branch["needs"] == main["needs"] == "gate"
    assert "github.ref_name != 'main'" in branch["if"] and "github.event_name == 'push'" in branch["if"]
    assert "github.ref_name == 'main'" in main["if"]
    assert branch["with"]["github-environment"] == "ephemeral"
    assert main["with"]["github-environment"] == "production"


def test_deleting_a_branch_or_closing_its_pull_request_destroys_it_but_never_main():
    workflow = _workflow("teardown.yml")
    assert "delete" in workflow["on"]
    assert workflow["on"]["pull_request"]["types"] == ["closed"]
    condition = workflow["jobs"]["destroy"]["if"]
    assert "github.event.ref != 'main'" in condition and "github.head_ref != 'main'" in condition
    assert "head.repo.full_name == github.repository" in condition


def test_untrusted_branch_names_never_reach_a_shell_inline():
    for path in WORKFLOWS.glob("*.yml"):
        for job in _workflow(path.name)["jobs"].values():
            assert "${{" not in _runs(job), f"{path.name}: pass values to run steps through env, not inline"


# Upper estimates of the longest path through stacks/lakehouse.py's dependency graph, in minutes
# (docs/deploying.md, "How long a deploy takes"): Network, then Streaming (MSK cluster, then its connector),
# then Orchestration (MWAA); teardown the other way round plus the wait for Lambda's network interfaces.
DEPLOY_CRITICAL_PATH_MINUTES = 5 + 60 + 20 + 30 + 5
RESUME_WAIT_MINUTES = 60  # deployment/resume.py WAIT_LIMIT
TEARDOWN_CRITICAL_PATH_MINUTES = 30 + 20 + 30 + 40 + 5


def _credentials_step(job: dict) -> dict:
    return next(step for step in job["steps"] if "configure-aws-credentials" in step.get("uses", ""))


@pytest.mark.parametrize(
    ("workflow", "job", "estimate"),
    [
        ("deploy.yml", "deploy", DEPLOY_CRITICAL_PATH_MINUTES + RESUME_WAIT_MINUTES),
        ("teardown.yml", "destroy", TEARDOWN_CRITICAL_PATH_MINUTES),
    ],
)
def test_a_first_deploy_and_a_teardown_fit_in_the_job_and_its_aws_session(workflow, job, estimate):
    definition = _workflow(workflow)["jobs"][job]
    assert definition["timeout-minutes"] >= estimate
    # configure-aws-credentials defaults to a one-hour session; it must outlast the job.
    session = int(_credentials_step(definition)["with"]["role-duration-seconds"])
    assert session >= definition["timeout-minutes"] * 60
    assert session <= 12 * 3600, "IAM's largest MaxSessionDuration is 12 hours"


def test_independent_stacks_deploy_side_by_side():
    result = subprocess.run(
        ["make", "-n", "--no-print-directory", "deploy", "BRANCH=main"], cwd=REPO, capture_output=True, text=True
    )
    deploy = next(line for line in result.stdout.splitlines() if " deploy --all" in line)
    # Network and Storage, then Catalog, Streaming, Ingestion and Monitoring at once (stacks/lakehouse.py).
    assert re.search(r"--concurrency 4\b", deploy), deploy


def test_the_toolchain_sets_up_the_node_lts_make_runs():
    action = yaml.safe_load((REPO / ".github" / "actions" / "toolchain" / "action.yml").read_text())
    node = next(step for step in action["runs"]["steps"] if step["uses"].startswith("actions/setup-node"))
    assert str(node["with"]["node-version"]) == "22"
    for path in [*WORKFLOWS.glob("*.yml"), REPO / ".github" / "actions" / "toolchain" / "action.yml"]:
        assert "JSII_SILENCE_WARNING" not in path.read_text(), path.name


# Fields of the triggering event that whoever pushes a branch or opens a pull request chooses.
ATTACKER_CONTROLLED = re.compile(
    r"\$\{\{[^}]*\b(github\.head_ref|github\.ref_name|github\.event\.(ref|pull_request\.(title|body|head\.(ref|label))"
    r"|head_commit\.message|commits|comment\.body|issue\.(title|body))|inputs\.branch)\b"
)


def test_attacker_controlled_event_fields_reach_scripts_only_through_env():
    for path in WORKFLOWS.glob("*.yml"):
        for name, job in _workflow(path.name)["jobs"].items():
            for step in job.get("steps", []):
                for script in (step.get("run", ""), step.get("with", {}).get("script", "")):
                    assert not ATTACKER_CONTROLLED.search(script), f"{path.name}:{name}: {script[:80]}"
                    assert "${{" not in script, f"{path.name}:{name}: pass values to scripts through env"
