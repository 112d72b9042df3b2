"""Dependencies point one way: the cloud stacks and the code they ship never import the local twin or the tests,
and what runs in Lambda, MSK Connect or MWAA never imports the CDK app. The contracts are in pyproject.toml
([tool.importlinter]); import-linter reads every import, also those inside functions."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    # dags/ is the root of MWAA's DAG folder, so keystone_dags is a top-level package there.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), str(REPO_ROOT / "dags")])}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout
