"""Run a project CLI as a subprocess, its output going to the task log, failing with the output's tail."""

from __future__ import annotations

import logging
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

log = logging.getLogger(__name__)


class CommandFailed(RuntimeError):
    def __init__(self, what: str, returncode: int, tail: str) -> None:
        super().__init__(f"{what} failed (exit code {returncode}):\n{tail}")
        self.returncode = returncode
        self.tail = tail


def run(
    command: Sequence[str],
    what: str,
    env: Mapping[str, str],
    timeout_s: float,
    stdin: str | None = None,
    cwd: Path | None = None,
    ok_codes: tuple[int, ...] = (0,),
) -> subprocess.CompletedProcess[str]:
    """Run `command` with `env` added to this process's environment; log its output; raise CommandFailed."""
    log.info("running %s: %s", what, " ".join(command))
    result = subprocess.run(
        list(command),
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=cwd,
        timeout=timeout_s,
        check=False,
    )
    for line in (result.stdout + result.stderr).splitlines():
        log.info("%s | %s", what, line)
    if result.returncode not in ok_codes:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-40:])
        raise CommandFailed(what, result.returncode, tail)
    return result


def project_pythonpath() -> str:
    """Where a project CLI finds contracts/, lambdas/, producers/ (code root) and keystone_dags (DAGs folder)."""
    from keystone_dags import settings

    dags_folder = Path(__file__).resolve().parents[1]
    return os.pathsep.join(dict.fromkeys([str(settings.code_root()), str(dags_folder)]))
