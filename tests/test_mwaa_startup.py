"""dags/startup.sh, run the way MWAA runs it, with the plugins.zip the stack ships.

MWAA's image sources the script with bash in every container it starts (bin/airflow-user/execute-user-startup-script
in github.com/aws/amazon-mwaa-docker-images, Airflow 3.0.6), with MWAA_AIRFLOW_COMPONENT set to the container's
command, one of AVAILABLE_COMMANDS in python/mwaa/entrypoint.py. `hybrid` runs the scheduler and a Celery worker
in one container (python/mwaa/execute_command.py): tasks run there. plugins.zip is unpacked into
$AIRFLOW_HOME/plugins (https://docs.aws.amazon.com/mwaa/latest/userguide/configuring-dag-import-plugins.html).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from stacks.constructs.mwaa_plugins import LOCK_FILE, TOOLS_DIR, WHEELS_DIR, plugins_bundle
from stacks.synth_context import REPO_ROOT

SCRIPT = REPO_ROOT / "dags" / "startup.sh"
TOOLS = {"dbt": REPO_ROOT / "dags" / "requirements-dbt.txt", "quality": REPO_ROOT / "dags" / "requirements-quality.txt"}
RUN_TASKS = ("worker", "hybrid")
RUN_NO_TASKS = ("webserver", "scheduler")
# The image's other commands (local runner and maintenance); the script must not leave their tasks without tools.
OTHER_COMMANDS = ("migrate-db", "shell", "resetdb", "spy", "test-requirements", "test-startup-script")
# An address nothing answers on: any attempt to reach a package index fails at once.
NO_INDEX = {
    "PIP_INDEX_URL": "http://127.0.0.1:9/simple",
    "https_proxy": "http://127.0.0.1:9",
    "http_proxy": "http://127.0.0.1:9",
}

# python3 -m venv DIR: a venv whose pip records its arguments (one line per call) and installs nothing.
STUB_PYTHON = """#!/bin/sh
[ "$1" = "-m" ] && [ "$2" = "venv" ] || { echo "stub python3: unexpected $*" >&2; exit 2; }
mkdir -p "$3/bin"
printf '#!/bin/sh\\necho "$0 $*" >> "$STUB_LOG"\\n' > "$3/bin/pip"
printf '#!/bin/sh\\nexit 0\\n' > "$3/bin/python"
chmod +x "$3/bin/pip" "$3/bin/python"
"""


@pytest.fixture(scope="module")
def plugins_dir(tmp_path_factory) -> Path:
    """plugins.zip as built for the stack, unpacked as MWAA unpacks it."""
    target = tmp_path_factory.mktemp("plugins")
    with zipfile.ZipFile(plugins_bundle(TOOLS).zip_file) as archive:
        archive.extractall(target)
    return target


def _airflow_home(tmp_path: Path, plugins_dir: Path) -> Path:
    home = tmp_path / "airflow"
    home.mkdir()
    (home / "plugins").symlink_to(plugins_dir)
    return home


def _source(home: Path, component: str | None, path: str, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Source the script in bash as MWAA does; the environment it leaves behind."""
    env = {"PATH": path, "HOME": str(home), "AIRFLOW_HOME": str(home), **(extra or {})}
    if component is not None:
        env["MWAA_AIRFLOW_COMPONENT"] = component
    result = subprocess.run(
        ["bash", "-c", 'source "$1" && env -0', "startup", str(SCRIPT)], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    return dict(line.split("=", 1) for line in result.stdout.split("\0") if "=" in line)


@pytest.fixture
def stub_path(tmp_path) -> str:
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    (stubs / "python3").write_text(STUB_PYTHON)
    (stubs / "python3").chmod(0o755)
    return f"{stubs}:/usr/bin:/bin"


def _pip_calls(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


@pytest.mark.parametrize("component", [*RUN_TASKS, *OTHER_COMMANDS, None])
def test_tools_are_provisioned_where_tasks_may_run(component, tmp_path, plugins_dir, stub_path):
    home = _airflow_home(tmp_path, plugins_dir)
    log = tmp_path / "pip.log"
    env = _source(home, component, stub_path, {"STUB_LOG": str(log)})
    dbt_venv = Path(env["KEYSTONE_DBT_EXECUTABLE"]).parent.parent
    quality_venv = Path(env["KEYSTONE_QUALITY_PYTHON"]).parent.parent
    assert (dbt_venv / "bin" / "pip").is_file(), f"no dbt virtualenv for {component}"
    assert (quality_venv / "bin" / "pip").is_file(), f"no quality virtualenv for {component}"
    calls = _pip_calls(log)
    assert len(calls) == 2, calls
    for tool, venv in (("dbt", dbt_venv), ("quality", quality_venv)):
        (call,) = [c for c in calls if c.startswith(f"{venv}/bin/pip ")]
        shipped = home / "plugins" / TOOLS_DIR / tool
        assert f"--find-links {shipped / WHEELS_DIR}" in call
        assert f"-r {shipped / LOCK_FILE}" in call


@pytest.mark.parametrize("component", RUN_NO_TASKS)
def test_components_that_run_no_tasks_start_without_building_tools(component, tmp_path, plugins_dir, stub_path):
    home = _airflow_home(tmp_path, plugins_dir)
    log = tmp_path / "pip.log"
    env = _source(home, component, stub_path, {"STUB_LOG": str(log)})
    assert _pip_calls(log) == []
    assert not (home / "keystone-tools").exists()
    # The DAG processor still learns where the tools are (it parses the DAGs that name them).
    assert env["KEYSTONE_DBT_EXECUTABLE"].startswith(str(home))


def test_installs_need_no_package_index(tmp_path, plugins_dir, stub_path):
    home = _airflow_home(tmp_path, plugins_dir)
    log = tmp_path / "pip.log"
    _source(home, "worker", stub_path, {"STUB_LOG": str(log)})
    calls = _pip_calls(log)
    assert calls
    for call in calls:
        assert " install " in f" {call} "
        assert "--no-index" in call.split(), call
        assert "--require-hashes" in call.split(), call
        assert "--index-url" not in call and "--extra-index-url" not in call, call


def test_a_missing_wheel_folder_is_reported_and_leaves_no_half_built_tool(tmp_path, plugins_dir, stub_path):
    partial_plugins = tmp_path / "partial-plugins"
    shutil.copytree(plugins_dir, partial_plugins, ignore=shutil.ignore_patterns(WHEELS_DIR))
    home = _airflow_home(tmp_path, partial_plugins)
    env = {"PATH": stub_path, "HOME": str(home), "AIRFLOW_HOME": str(home), "MWAA_AIRFLOW_COMPONENT": "worker"}
    result = subprocess.run(
        ["bash", "-c", 'source "$1"', "startup", str(SCRIPT)], env=env, capture_output=True, text=True
    )
    assert "plugins.zip" in result.stderr, result.stderr
    assert f"{TOOLS_DIR}/dbt/{WHEELS_DIR}" in result.stderr
    assert not (home / "keystone-tools" / "dbt").exists()


def _python312() -> str | None:
    """A working CPython 3.12 (pyenv shims answer `which` even when the version is not active)."""
    candidates = [shutil.which("python3.12"), *map(str, Path.home().glob(".pyenv/versions/3.12*/bin/python3.12"))]
    for candidate in filter(None, candidates):
        probe = subprocess.run([candidate, "-c", "import sys, venv; print(sys.version_info[:2])"], capture_output=True)
        if probe.returncode == 0 and probe.stdout.strip() == b"(3, 12)":
            return candidate
    return None


@pytest.mark.slow
def test_the_real_script_builds_working_tools_offline(tmp_path, plugins_dir):
    python = _python312()
    if python is None:
        pytest.skip("no CPython 3.12 on this machine")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "python3").symlink_to(python)
    home = _airflow_home(tmp_path, plugins_dir)
    env = _source(home, "worker", f"{bin_dir}:/usr/bin:/bin", NO_INDEX)

    dbt = subprocess.run(
        [env["KEYSTONE_DBT_EXECUTABLE"], "--version"], capture_output=True, text=True, env={**os.environ, **NO_INDEX}
    )
    assert dbt.returncode == 0, dbt.stderr
    assert "1.11.16" in dbt.stdout and "athena: 1.11.1" in dbt.stdout
    quality = subprocess.run(
        [
            env["KEYSTONE_QUALITY_PYTHON"],
            "-c",
            "import great_expectations, pandas, pyarrow; print(great_expectations.__version__)",
        ],
        capture_output=True,
        text=True,
    )
    assert quality.returncode == 0, quality.stderr
    assert quality.stdout.strip() == "1.5.11"
