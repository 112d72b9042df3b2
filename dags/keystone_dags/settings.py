"""Every endpoint, bucket and name the DAGs use, read from the environment: the one place that knows them.

A setting NAME is read from `KEYSTONE_<NAME>` or, on MWAA, from the Airflow configuration option
`keystone.<name>` (which MWAA exposes as `AIRFLOW__KEYSTONE__<NAME>`). Nothing here touches the network, and
tasks call `load()` when they run, so a DAG file imports in milliseconds and a setting changed on the
environment applies to the next task without a redeploy of the DAGs.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Runtime = Literal["local", "aws"]
_PREFIXES = ("KEYSTONE_", "AIRFLOW__KEYSTONE__")
ARTIFACTS_PREFIX = "airflow"


class SettingMissing(RuntimeError):
    """A setting a task needs is not configured."""


def get(name: str, default: str | None = None) -> str | None:
    for prefix in _PREFIXES:
        value = os.environ.get(f"{prefix}{name.upper()}")
        if value:
            return value
    return default


def require(name: str) -> str:
    value = get(name)
    if value is None:
        raise SettingMissing(
            f"setting {name.lower()!r} is not configured: set KEYSTONE_{name.upper()} (local) or the Airflow "
            f"configuration option keystone.{name.lower()} (MWAA, set by the orchestration stack)"
        )
    return value


def keystone_environment() -> dict[str, str]:
    """Every setting as a KEYSTONE_* variable, for subprocesses (dbt's profiles and the project CLIs read those).

    dbt's athena profile names two settings differently from the orchestration stack's options; both spellings
    are given so either side can be renamed without breaking the other.
    """
    env: dict[str, str] = {}
    for key, value in os.environ.items():
        for prefix in reversed(_PREFIXES):
            if key.startswith(prefix) and value:
                env[f"KEYSTONE_{key[len(prefix) :]}"] = value
    known_region = region()
    if known_region:
        env.setdefault("KEYSTONE_AWS_REGION", known_region)
    if "KEYSTONE_ENVIRONMENT" in env:
        env.setdefault("KEYSTONE_SLUG", env["KEYSTONE_ENVIRONMENT"])
    return env


@dataclass(frozen=True)
class Settings:
    runtime: Runtime
    region: str | None
    # Airflow connection of the S3 sensor and the S3 reads; locally its extra `endpoint_url` is the S3 server.
    aws_conn_id: str
    landing_bucket: str
    bronze_bucket: str
    # Where Data Docs and orchestration state go: s3://bucket/prefix in the cloud, a folder (the run folder) locally.
    artifacts_uri: str
    # S3-compatible endpoint for subprocesses (local S3 server); None on AWS.
    s3_endpoint: str | None
    # AWS: the functions the DAGs invoke.
    ingestion_function: str | None
    # The ingestion function's own timeout (set by the ingestion stack); the DAG's invoke waits just past it.
    ingestion_function_timeout_s: int | None
    producer_function: str | None
    # Local: the interpreter of the project venv (ingestion, producer) and the broker the producer writes to.
    project_python: str
    kafka_bootstrap_servers: str | None
    replay_input_dir: str | None
    # Appended to every topic name (side-by-side local replays on one broker); empty on AWS.
    topic_suffix: str
    # Interpreter that runs the Great Expectations checkpoint (quality/); see quality/README.md.
    quality_python: str

    @property
    def is_local(self) -> bool:
        return self.runtime == "local"


def load() -> Settings:
    runtime = get("runtime", "aws")
    if runtime not in ("local", "aws"):
        raise SettingMissing(f"setting 'runtime' is {runtime!r}; use 'local' (local twin) or 'aws' (MWAA)")
    return Settings(
        runtime=runtime,  # type: ignore[arg-type]
        region=region(),
        aws_conn_id=get("aws_conn_id", "aws_default") or "aws_default",
        landing_bucket=require("landing_bucket"),
        bronze_bucket=require("bronze_bucket"),
        artifacts_uri=artifacts_uri(),
        s3_endpoint=get("s3_endpoint"),
        ingestion_function=get("ingestion_function"),
        ingestion_function_timeout_s=_seconds("ingestion_function_timeout_s"),
        producer_function=get("producer_function"),
        project_python=get("project_python", sys.executable) or sys.executable,
        kafka_bootstrap_servers=get("kafka_bootstrap_servers"),
        replay_input_dir=get("replay_input_dir"),
        topic_suffix=get("topic_suffix", "") or "",
        quality_python=get("quality_python", sys.executable) or sys.executable,
    )


def _seconds(name: str) -> int | None:
    value = get(name)
    if value is None:
        return None
    if not value.isdigit() or int(value) == 0:
        raise SettingMissing(f"setting {name!r} is {value!r}; it takes a whole number of seconds greater than zero")
    return int(value)


def region() -> str | None:
    """The AWS region: the `region` setting, else the SDK's own variables; None leaves it to the SDK's defaults."""
    return get("region") or get("aws_region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def artifacts_uri() -> str:
    """`artifacts_uri`, else the `airflow/` prefix of the artifacts bucket (MWAA reads its DAGs from `dags/`)."""
    uri = get("artifacts_uri")
    if uri:
        return uri.rstrip("/")
    bucket = get("artifacts_bucket")
    if bucket:
        return f"s3://{bucket}/{ARTIFACTS_PREFIX}"
    raise SettingMissing(
        "neither 'artifacts_uri' nor 'artifacts_bucket' is configured: set KEYSTONE_ARTIFACTS_URI (local run folder) "
        "or the Airflow configuration option keystone.artifacts_bucket (MWAA)"
    )


@dataclass(frozen=True)
class DbtSettings:
    """What Cosmos needs while the DAG file is parsed (paths only: reading them costs no I/O)."""

    project_dir: Path
    profiles_yml: Path
    target: str
    executable: Path
    manifest: Path
    # dbt node selection (dbt syntax, space-separated), e.g. to run a part of the project; None runs it all.
    select: str | None
    exclude: str | None


def dbt_settings() -> DbtSettings:
    project_dir = Path(get("dbt_project_dir", str(code_root() / "dbt_project")) or "")
    return DbtSettings(
        project_dir=project_dir,
        profiles_yml=Path(get("dbt_profiles_yml", str(project_dir / "profiles.yml")) or ""),
        target=get("dbt_target", "athena") or "athena",
        executable=Path(get("dbt_executable", "dbt") or "dbt"),
        manifest=Path(get("dbt_manifest", str(project_dir / "target" / "manifest.json")) or ""),
        select=get("dbt_select"),
        exclude=get("dbt_exclude"),
    )


def code_root() -> Path:
    """The folder holding contracts/ and quality/: the repository root locally, the DAGs folder on MWAA."""
    import contracts

    return Path(contracts.__file__).resolve().parents[1]
