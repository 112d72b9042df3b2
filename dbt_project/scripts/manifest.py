"""`dbt parse`: the manifest Cosmos renders the transform DAG from, so that no dbt runs when the DAG is parsed.

The orchestration stack ships it with the DAGs; the local twin's Airflow reads the same file.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


class DbtParseError(RuntimeError):
    """`dbt parse` failed; the message holds the end of its output."""


def parse_manifest(project_dir: Path, target_dir: Path, dbt_executable: Path | None = None) -> Path:
    """`dbt parse` of `project_dir` into `target_dir`; returns the path of its manifest.json."""
    target_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("KEYSTONE_")},
        # Parsing reads profiles.yml, whose local target needs these set; nothing is opened.
        "KEYSTONE_DUCKDB_PATH": str(target_dir / "parse.duckdb"),
        "KEYSTONE_DUCKDB_EXTENSION_DIR": str(target_dir),
        "KEYSTONE_DBT_TARGET": "local",
    }
    dbt = dbt_executable or Path(sys.executable).parent / "dbt"
    command = [
        str(dbt), "parse", "--project-dir", str(project_dir), "--profiles-dir", str(project_dir),
        "--target-path", str(target_dir), "--log-path", str(target_dir / "logs"), "--quiet",
    ]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False, timeout=300)
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
        raise DbtParseError(f"`dbt parse` of {project_dir} failed:\n{tail}")
    return target_dir / "manifest.json"
