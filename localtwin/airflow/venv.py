"""The `.venv-airflow` virtualenv: Airflow apart from dbt and the CDK, as on MWAA, resolved offline-reproducibly."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV = REPO_ROOT / ".venv-airflow"
REQUIREMENTS = REPO_ROOT / "requirements-airflow.txt"
# MWAA runs 3.0.6 on Python 3.12; 3.11 is the interpreter every machine of this project has (pyenv's 3.12 is not
# on PATH), and Airflow 3.0.6 supports both.
PYTHON_VERSION = "3.11"
# Airflow 3.0.6 was released on 2025-09-04: resolving its dependencies as of that day gives the libraries it was
# tested with. Anything newer (a plain `pip install`) breaks `airflow dags test` with a 422 from the task API.
EXCLUDE_NEWER = "2025-09-05"
# Packages released after that day that we pin on purpose, each with its own cutoff (its release day + 1).
EXCLUDE_NEWER_PACKAGES = {"astronomer-cosmos": "2026-08-05"}
_STAMP = ".keystone-installed"


class AirflowSetupError(RuntimeError):
    """The Airflow venv could not be created or an Airflow command failed; the message says what and where."""


def uv_binary() -> str:
    found = shutil.which("uv") or str(Path.home() / ".local" / "bin" / "uv")
    if not Path(found).is_file():
        raise AirflowSetupError("uv is not installed: run `make install` (or `python3 -m pip install --user uv`)")
    return found


def _install_command(python: Path) -> list[str]:
    command = [uv_binary(), "pip", "install", "--quiet", "--python", str(python), "--compile-bytecode"]
    command += ["--exclude-newer", EXCLUDE_NEWER]
    for package, cutoff in sorted(EXCLUDE_NEWER_PACKAGES.items()):
        command += ["--exclude-newer-package", f"{package}={cutoff}"]
    return [*command, "-r", str(REQUIREMENTS)]


def _stamp_value(python: Path) -> str:
    digest = hashlib.sha256(REQUIREMENTS.read_bytes())
    digest.update(json.dumps(_install_command(python)[4:]).encode())
    return digest.hexdigest()


def venv_python(venv: Path = VENV) -> Path:
    return venv / "bin" / "python"


def ensure_venv(venv: Path = VENV) -> Path:
    """Create or refresh the Airflow venv when requirements-airflow.txt changed; returns its python."""
    python = venv_python(venv)
    stamp = venv / _STAMP
    if python.is_file() and stamp.is_file() and stamp.read_text().strip() == _stamp_value(python):
        return python
    uv = uv_binary()
    _run([uv, "venv", "--quiet", "--allow-existing", "--python", PYTHON_VERSION, str(venv)], "create the Airflow venv")
    _run(_install_command(python), f"install {REQUIREMENTS.name} into {venv}")
    stamp.write_text(_stamp_value(python) + "\n")
    return python


def _run(command: Sequence[str], what: str) -> None:
    result = subprocess.run(list(command), capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise AirflowSetupError(f"could not {what} (`{' '.join(command)}` exited {result.returncode}):\n{tail}")
