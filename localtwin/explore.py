"""Explore mode's Airflow (`make up`): the three DAGs on a running local Airflow, against the run's engines.

After the pipeline has filled the lake, Airflow starts over the same buckets, warehouse and Kafka topics (the
topics' S3 sinks are still running); the replay, the batch ingestion and the transform with its quality gate are
triggered once each and waited for, so the run's report can link the Data Docs of that transform. Their runs stay in
the Airflow UI. A file dropped into the landing bucket later is picked up by the next triggered ingestion run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from dbt_project.scripts.local_target import prepare_extension_directory
from dbt_project.scripts.manifest import parse_manifest
from localtwin.airflow.home import AirflowHome
from localtwin.airflow.server import LocalAirflow
from localtwin.airflow.settings import LocalTwinSettings
from localtwin.airflow.venv import REPO_ROOT, ensure_venv
from localtwin.engines import LocalEngines

TRIGGERED = ("olist_replay", "olist_batch_ingestion", "olist_transform")


@dataclass(frozen=True)
class DagRunOutcome:
    dag_id: str
    run_id: str
    state: str
    tasks: dict[str, str]
    url: str

    @property
    def ok(self) -> bool:
        return self.state == "success"

    def failed_tasks(self) -> list[str]:
        return sorted(task for task, state in self.tasks.items() if state in ("failed", "upstream_failed"))


def start_airflow(
    engines: LocalEngines,
    run_dir: Path,
    warehouse: Path,
    buckets: tuple[str, str],
    replay_dir: Path,
    on_started: Callable[[LocalAirflow], None],
    dbt_select: str | None = None,
) -> LocalAirflow:
    """A serving Airflow on the run's engines; `on_started` sees it as soon as its processes exist (to record them
    before anything can crash)."""
    work = run_dir / "airflow"
    landing, bronze = buckets
    settings = LocalTwinSettings(
        landing_bucket=landing,
        bronze_bucket=bronze,
        artifacts_dir=run_dir,
        warehouse=warehouse.resolve(),
        duckdb_extension_dir=prepare_extension_directory(work / "duckdb-extensions"),
        dbt_manifest=parse_manifest(REPO_ROOT / "dbt_project", work / "dbt-target"),
        s3_endpoint=engines.s3_endpoint,
        kafka_bootstrap_servers=engines.bootstrap_servers,
        replay_input_dir=replay_dir,
        dbt_select=dbt_select,
    )
    home = AirflowHome(
        work / "home",
        settings=settings.environment(),
        s3_endpoint=engines.s3_endpoint,
        aws_environment={**engines.aws_environment, "AWS_DEFAULT_REGION": engines.region},
        python=ensure_venv(),
    )
    airflow = LocalAirflow(home)
    try:
        airflow.launch()
        on_started(airflow)
        airflow.wait_ready()
    except BaseException:
        airflow.stop()
        raise
    return airflow


def run_dags(airflow: LocalAirflow) -> list[DagRunOutcome]:
    """Trigger the three DAGs, then wait for each run to finish (Airflow runs one task at a time)."""
    runs = {dag_id: airflow.trigger(dag_id) for dag_id in TRIGGERED}
    return [
        DagRunOutcome(
            dag_id,
            run_id,
            airflow.wait_for(dag_id, run_id),
            airflow.task_states(dag_id, run_id),
            airflow.run_url(dag_id, run_id),
        )
        for dag_id, run_id in runs.items()
    ]


def render_runs(outcomes: list[DagRunOutcome]) -> str:
    return "\n".join(
        f"  {o.dag_id:<24} {o.state:<8} {o.url}" + (f" (failed: {', '.join(o.failed_tasks())})" if not o.ok else "")
        for o in outcomes
    )


def report_section(outcomes: list[DagRunOutcome]) -> list[str]:
    """The report's Markdown about the DAG runs."""
    lines = [
        "## Airflow runs (make up)",
        "",
        "The DAG files MWAA gets, on a local Airflow against this run's engines.",
        "",
        "| DAG | run | state | tasks |",
        "| --- | --- | --- | ---: |",
    ]
    for o in outcomes:
        state = o.state if o.ok else f"**{o.state}** ({', '.join(o.failed_tasks())})"
        lines.append(f"| {o.dag_id} | [{o.run_id}]({o.url}) | {state} | {len(o.tasks)} |")
    return lines
