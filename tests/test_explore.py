"""`make up` end to end: the pipeline, then the three DAGs on a running local Airflow over its engines, and `make down`.

One `make up` for the module (`run(keep=True)`, as `python -m localtwin --keep` runs it): its replay, batch ingestion
and transform runs and their effect in the lake, a file dropped afterwards and ingested by a run triggered through
Airflow's REST API (what the UI calls), a second `make up` refused, and `make down` stopping exactly what was started,
Airflow's tasks and their dbt commands included.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest

from contracts import TABLES, layout
from localtwin import session
from localtwin.airflow.server import processes_of
from localtwin.engines.process import port_open
from localtwin.engines.s3 import LOCAL_CREDENTIALS, LOCAL_REGION
from localtwin.explore import TRIGGERED
from localtwin.pipeline import RunResult, RunSettings, run, run_buckets
from localtwin.report import DATA_DOCS_PREFIX
from localtwin.streaming import LandedEvents

pytestmark = pytest.mark.slow

# dim_customers and its parents, 3 of the 22 models: each Cosmos task is a dbt process (~7 s on CI's 2 cores).
DAG_MODELS = "+dim_customers"


@dataclass
class Up:
    result: RunResult
    session: session.Session
    s3: Any

    @property
    def airflow_url(self) -> str:
        assert self.session.airflow_url is not None
        return self.session.airflow_url

    @property
    def landing(self) -> str:
        return run_buckets(self.result.run_dir.name)[0]

    @property
    def bronze(self) -> str:
        return self.session.bronze_bucket

    def keys(self, bucket: str, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", []))

    def api(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """Airflow's REST API with the token the Simple auth manager hands every visitor
        (https://airflow.apache.org/docs/apache-airflow/stable/core-concepts/auth-manager/simple/index.html)."""
        with urllib.request.urlopen(f"{self.airflow_url}/auth/token", timeout=10) as response:
            token = json.loads(response.read())["access_token"]
        request = urllib.request.Request(
            f"{self.airflow_url}/api/v2/{path}",
            data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())


@pytest.fixture(scope="module")
def up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Up]:
    work = tmp_path_factory.mktemp("up")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(session, "UP_FILE", work / "up.json")
        run_dir = work / "run"
        try:
            settings = RunSettings(run_dir, run_dir / "warehouse.duckdb", orders=50, keep=True, dag_models=DAG_MODELS)
            result = run(settings)
            recorded = session.load()
            assert recorded is not None
            s3 = boto3.client(
                "s3",
                endpoint_url=recorded.s3_endpoint,
                region_name=LOCAL_REGION,
                aws_access_key_id=LOCAL_CREDENTIALS["AWS_ACCESS_KEY_ID"],
                aws_secret_access_key=LOCAL_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            )
            yield Up(result, recorded, s3)
        finally:
            session.down()  # a no-op once the last test has brought it down


def test_up_runs_the_three_dags_on_airflow_and_reports_them(up: Up) -> None:
    runs = {outcome.dag_id: outcome for outcome in up.result.dag_runs}
    assert {dag_id: outcome.state for dag_id, outcome in runs.items()} == dict.fromkeys(TRIGGERED, "success")
    assert up.result.ok
    # What the UI lists: the same runs, finished.
    for dag_id, outcome in runs.items():
        listed = up.api(f"dags/{dag_id}/dagRuns")["dag_runs"]
        assert [(r["dag_run_id"], r["state"]) for r in listed] == [(outcome.run_id, "success")]
    # The report is written after the transform ran: it links the Data Docs its quality gate published (the only
    # ones: the pipeline before it publishes none).
    transform = runs["olist_transform"]
    (site,) = (
        path.relative_to(up.result.run_dir) for path in up.result.run_dir.glob(f"{DATA_DOCS_PREFIX}/*/index.html")
    )
    report = up.result.report.read_text()
    assert f"]({site.as_posix()})" in report
    assert f"[{transform.run_id}]({transform.url})" in report
    assert site.as_posix() in (up.result.run_dir / "report.html").read_text()


def test_the_engines_stay_reachable(up: Up) -> None:
    assert {p.name for p in up.session.alive()} == {p.name for p in up.session.processes}
    # The S3 server, moto, Kafka, Connect, and Airflow's api-server, scheduler and dag-processor.
    assert len(up.session.processes) == 7
    assert port_open(int(up.session.bootstrap_servers.rsplit(":", 1)[1]))
    with urllib.request.urlopen(f"{up.session.connect_url}/connectors", timeout=10) as response:
        assert b"bronze-sink" in response.read()
    assert "Buckets" in up.s3.list_buckets()
    assert up.session.other_aws_endpoint is not None
    with urllib.request.urlopen(f"{up.session.other_aws_endpoint}/moto-api/", timeout=10) as response:
        assert response.status == 200


def test_the_replayed_events_reach_bronze_streaming(up: Up) -> None:
    """The replay DAG sends the run's events again (same event ids): each topic's Bronze holds them twice."""
    streamed = {TABLES[c.entity].topic: c.bronze_rows for c in up.result.entities.values() if c.path == "stream"}
    assert streamed
    landed = LandedEvents()
    deadline = time.monotonic() + 120
    while True:
        landed.refresh(up.s3, up.bronze)
        short = {topic: (landed.lines(topic), 2 * sent) for topic, sent in streamed.items()}
        if all(lines >= twice for lines, twice in short.values()) or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert all(lines >= twice for lines, twice in short.values()), f"(lines, expected) per topic: {short}"


def test_the_transform_built_gold_behind_its_quality_gate(up: Up) -> None:
    transform = next(outcome for outcome in up.result.dag_runs if outcome.dag_id == "olist_transform")
    assert transform.tasks["quality_checkpoint"] == "success"
    assert transform.tasks["dbt.dim_customers_model_build"] == "success"
    built = {task for task in transform.tasks if task.startswith("dbt.")}
    selected = ("stg_olist__customers", "stg_olist__orders", "dim_customers")
    assert built == {f"dbt.{model}_model_build" for model in selected}
    with duckdb.connect(str(up.result.warehouse), read_only=True) as con:
        customers = con.sql("select count(distinct customer_unique_id) from silver.stg_olist__customers").fetchone()
        assert con.sql("select count(*) from gold.dim_customers").fetchone() == customers


def test_a_dropped_file_is_ingested_by_a_run_triggered_through_airflow(up: Up) -> None:
    (key,) = up.keys(up.landing, layout.landing_prefix("sellers"))
    rows = up.s3.get_object(Bucket=up.landing, Key=key)["Body"].read().splitlines(keepends=True)
    manifests_before = up.keys(up.bronze, layout.manifest_prefix("sellers"))
    # The same key with other content (a new ETag): a new drop, as a file overwritten by its producer is.
    up.s3.put_object(Bucket=up.landing, Key=key, Body=b"".join(rows[:-1]))

    run_id = up.api("dags/olist_batch_ingestion/dagRuns", {"logical_date": None})["dag_run_id"]
    deadline = time.monotonic() + 300
    while (state := up.api(f"dags/olist_batch_ingestion/dagRuns/{run_id}")["state"]) not in ("success", "failed"):
        assert time.monotonic() < deadline, f"olist_batch_ingestion {run_id} still {state}"
        time.sleep(2)
    assert state == "success"

    new = sorted(set(up.keys(up.bronze, layout.manifest_prefix("sellers"))) - set(manifests_before))
    assert len(new) == 1, new
    manifest = json.loads(up.s3.get_object(Bucket=up.bronze, Key=new[0])["Body"].read())
    assert (manifest["status"], manifest["source_key"], manifest["rows_read"]) == ("loaded", key, len(rows) - 2)
    output = manifest["output_key"]
    assert output.startswith(layout.batch_table_prefix("sellers")) and up.keys(up.bronze, output) == [output]


def test_a_second_up_is_refused_while_the_first_is_up(up: Up, tmp_path: Path) -> None:
    with pytest.raises(session.AlreadyUp, match="make down"):
        run(RunSettings(tmp_path / "second", tmp_path / "second.duckdb", orders=50, keep=True))
    assert not (tmp_path / "second" / "engines").exists(), "the refused run started engines"


def _in_sessions(sessions: set[int]) -> list[int]:
    """Live processes in any of `sessions` (field 6 of /proc/<pid>/stat), their children included."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, _, sid = stat.read_text().rsplit(")", 1)[1].split()[:4]
        except (FileNotFoundError, ProcessLookupError):
            continue  # exited while listed
        if int(sid) in sessions and state != "Z":
            found.append(int(stat.parent.name))
    return found


def test_down_stops_exactly_what_up_started_and_no_airflow_process_is_left(up: Up) -> None:
    assert up.session.airflow_home is not None
    # Each engine leads a session of its own; Airflow's workers stay in the scheduler's, its dbt commands do not.
    sessions = {p.pid for p in up.session.processes}
    assert len(_in_sessions(sessions)) > len(sessions), "the scheduler's children: the check below would prove little"
    stopped = session.down()
    assert sorted(stopped) == sorted(p.name for p in up.session.processes)
    assert _in_sessions(sessions) == []
    assert processes_of(Path(up.session.airflow_home)) == []
    assert session.load() is None
    assert session.down() == []
