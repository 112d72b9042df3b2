"""`make run`: the whole lakehouse on one machine, on the same code and configuration as the cloud.

Stages: take the data (generated, or DATA_DIR) -> start Kafka, Connect (with the project's S3 sink) and the
S3 server -> file-borne tables through the batch ingestion (landing bucket -> Bronze) -> order activity
through the producer -> Kafka -> sink -> Bronze -> dbt build on DuckDB -> reconciliation, report, charts.
Every process started is stopped on the way out, on failure and Ctrl-C included.
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from connector.build import build_plugin
from contracts import contract_for_file, layout
from environments import resolve_environment
from lambdas.ingestion.cli import ingest_landing
from lambdas.ingestion.report import IngestionReport
from lambdas.ingestion.storage import S3Bronze
from lambdas.logs import written_to
from localtwin import explore, session
from localtwin.airflow.server import LocalAirflow
from localtwin.athena import AthenaTwin, QueryResult
from localtwin.data import SourceFiles, prepare_sources
from localtwin.engines import LocalEngines
from localtwin.follow import FollowSettings, Freshness, follow_stream
from localtwin.reconcile import (
    GOLD_MODELS,
    SILVER_MODELS,
    Check,
    EntityCounts,
    bronze_connection,
    bronze_distinct_keys,
    gold_checks,
    row_checks,
    warehouse_count,
)
from localtwin.report import QuarantinedRow, draw_charts, write_report
from localtwin.streaming import replay_into_kafka, start_stream, wait_for_bronze
from localtwin.summary import gold_summary, write_summary
from localtwin.transform import DbtTarget, dbt_build, dbt_docs, duckdb_target
from localtwin.warehouse import Warehouse
from producers.delivery import Speed
from producers.replay import ProduceReport

LOCAL_ENVIRONMENT = resolve_environment("local")
# duckdb: the local warehouse file; trino: Athena's engine over the Catalog stack's Glue tables (localtwin/athena.py).
ENGINES = ("duckdb", "trino")
# The Lambda code's JSON log lines (the batch ingestion), kept out of the console.
LAMBDA_LOG = "lambdas.log"


class PipelineFailed(RuntimeError):
    """A stage failed; the message says which and why."""


@dataclass(frozen=True)
class RunSettings:
    run_dir: Path
    warehouse: Path
    data_dir: Path | None = None
    orders: int = 10_000
    seed: int = 7
    speed: Speed = field(default_factory=Speed)
    follow: FollowSettings | None = None  # follow mode (localtwin/follow.py) instead of a single replay
    keep: bool = False  # leave the engines running for exploration (`make up`; localtwin/session.py)
    engine: str = "duckdb"  # where dbt builds Silver and Gold: one of ENGINES
    # With keep: the models the transform DAG on Airflow builds (dbt selection syntax); None: all of them.
    dag_models: str | None = None


@dataclass
class RunResult:
    run_dir: Path
    report: Path
    warehouse: Path
    entities: dict[str, EntityCounts]
    checks: list[Check]
    timings: dict[str, float] = field(default_factory=dict)
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    freshness: Freshness | None = None
    warehouse_where: str = ""  # how to reach Gold (`Warehouse.where`)
    named_queries: list[QueryResult] = field(default_factory=list)  # on Trino (engine trino) only
    dag_runs: list[explore.DagRunOutcome] = field(default_factory=list)  # `make up`'s runs on Airflow
    # The report written again with further Markdown sections (make up adds its Airflow runs); set by every run.
    rewrite_report: Callable[[Sequence[str]], Path] | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return all(check.ok for check in self.checks) and all(run.ok for run in self.dag_runs)


class _Stopwatch:
    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        print(f"==> {name}", flush=True)
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = time.perf_counter() - started


def run(settings: RunSettings, engines: LocalEngines | None = None) -> RunResult:
    """Run every stage; with `engines` given (tests), reuse them instead of starting and stopping our own."""
    settings.run_dir.mkdir(parents=True, exist_ok=True)
    clock = _Stopwatch()
    with clock.stage("prepare data"):
        sources = prepare_sources(settings.data_dir, settings.orders, settings.seed, settings.run_dir)
    if engines is not None:
        return _run_on(engines, settings, sources, clock)
    if settings.keep:
        session.refuse_if_up()
    with clock.stage("start engines"):
        own = LocalEngines(plugin=build_plugin(), work_dir=settings.run_dir / "engines")
        own.start()
    try:
        if settings.keep:
            _, bronze = run_buckets(settings.run_dir.name)
            session.record(session.Session.of(own, settings.run_dir, settings.warehouse, bronze))
        result = _run_on(own, settings, sources, clock)
        if settings.keep:
            _explore(own, settings, sources, clock, result)
    except BaseException:
        _stop(own, clock, settings.keep)
        raise
    if not settings.keep:
        _stop(own, clock, settings.keep)
    return result


def _explore(
    engines: LocalEngines, settings: RunSettings, sources: SourceFiles, clock: _Stopwatch, result: RunResult
) -> None:
    """`make up`: the three DAGs on a local Airflow over this run's engines, then the report again with their runs
    (and the Data Docs their transform published). A failed DAG run leaves everything up, to be looked into."""
    buckets = run_buckets(settings.run_dir.name)

    def record(airflow: LocalAirflow) -> None:
        session.record(session.Session.of(engines, settings.run_dir, settings.warehouse, buckets[1], airflow))

    with clock.stage("start Airflow"):
        airflow = explore.start_airflow(
            engines,
            settings.run_dir,
            settings.warehouse,
            buckets,
            sources.directory,
            on_started=record,
            dbt_select=settings.dag_models,
        )
    try:
        with clock.stage("Airflow: replay, ingestion, transform"):
            result.dag_runs = explore.run_dags(airflow)
    except BaseException:
        airflow.stop()
        raise
    assert result.rewrite_report is not None
    result.report = result.rewrite_report(explore.report_section(result.dag_runs))


def _stop(engines: LocalEngines, clock: _Stopwatch, recorded: bool) -> None:
    with clock.stage("stop engines"):
        engines.stop()
    if recorded:
        session.UP_FILE.unlink(missing_ok=True)


def _run_on(engines: LocalEngines, settings: RunSettings, sources: SourceFiles, clock: _Stopwatch) -> RunResult:
    with written_to(settings.run_dir / LAMBDA_LOG):
        return _stages(engines, settings, sources, clock)


def _stages(engines: LocalEngines, settings: RunSettings, sources: SourceFiles, clock: _Stopwatch) -> RunResult:
    env = engines.aws_environment
    s3 = engines.s3_client()
    landing, bronze = _fresh_buckets(s3, settings.run_dir.name)
    ingestion: IngestionReport | None = None
    produced: ProduceReport | None = None
    freshness: Freshness | None = None

    if sources.batch:
        with clock.stage("batch ingestion"):
            for name in sources.batch:
                path = sources.files[name]
                s3.upload_file(str(path), landing, f"{layout.landing_prefix(name)}{path.name}")
            ingestion = ingest_landing(s3, landing, "", S3Bronze(s3, bronze))
            print(ingestion.render(), flush=True)
            if not ingestion.ok:
                raise PipelineFailed(f"batch ingestion rejected files:\n{ingestion.render()}")
    if sources.streamed:
        if settings.follow is None:
            with clock.stage("stream through Kafka"):
                start_stream(engines, bronze, sources.streamed)
                produced = replay_into_kafka(engines, sources.directory, sources.streamed, settings.speed)
        else:
            produced, freshness = follow_stream(
                engines, s3, bronze, sources, settings.follow,
                run_dir=settings.run_dir, warehouse=settings.warehouse, stage=clock.stage,
            )  # fmt: skip
        print(produced.render(), flush=True)
        if produced.exit_code != 0:
            raise PipelineFailed(f"the producer did not deliver every event:\n{produced.render()}")
        with clock.stage("wait for Bronze"):
            wait_for_bronze(s3, bronze, dict(produced.delivery.sent_by_topic))

    athena: AthenaTwin | None = None
    if settings.engine == "trino":
        with clock.stage("Trino and the Catalog stack"):
            athena = AthenaTwin.prepare(engines, LOCAL_ENVIRONMENT.branch, bronze)
    target: DbtTarget = athena.target if athena else duckdb_target(settings.warehouse, f"s3://{bronze}", env)
    with clock.stage(f"dbt build ({settings.engine})"):
        dbt = dbt_build(settings.run_dir, target, env)
        print(dbt.render(), flush=True)
    with clock.stage("lineage docs"):
        lineage = dbt_docs(settings.run_dir, target, env)
    named_queries: list[QueryResult] = []
    if athena:
        with clock.stage("named queries (Trino)"):
            named_queries = athena.named_queries()
            print(f"named queries on Trino: {len(named_queries)} ran", flush=True)

    with clock.stage("reconcile and report"):
        lake = bronze_connection(env)
        warehouse = athena.warehouse() if athena else Warehouse.duckdb(settings.warehouse)
        try:
            entities = _entity_counts(sources, ingestion, produced, lake, warehouse, bronze)
            checks = row_checks(entities) + gold_checks(warehouse, entities)
            charts = draw_charts(warehouse, settings.run_dir)
            write_summary(settings.run_dir, gold_summary(warehouse))
        finally:
            warehouse.close()
            lake.close()
        quarantined = _quarantined_rows(s3, bronze, produced)
        own_sections = freshness.markdown() if freshness else []
        if named_queries:
            own_sections += ["## The Catalog stack's named queries on Athena's engine (Trino)", ""]
            own_sections += [line for result in named_queries for line in result.markdown()]
        report_with = functools.partial(
            write_report,
            settings.run_dir,
            origin=sources.origin,
            entities=entities,
            checks=checks,
            timings=clock.timings,
            quarantined=quarantined,
            dbt_outcome=dbt.outcome(),
            dbt_warnings=dbt.warnings,
            charts=charts,
            warehouse=warehouse.where,
            lineage=lineage,
        )
        report = report_with(sections=own_sections)
    return RunResult(
        settings.run_dir, report, settings.warehouse, entities, checks, clock.timings, quarantined, freshness,
        warehouse.where, named_queries,
        rewrite_report=lambda sections: report_with(sections=[*own_sections, *sections]),
    )  # fmt: skip


def run_buckets(run_name: str) -> tuple[str, str]:
    """A run's landing and Bronze buckets, named like the cloud's (one pair per run on a shared server)."""
    suffix = "".join(ch for ch in run_name.lower() if ch.isalnum())[-12:] or "run"
    return (
        f"{LOCAL_ENVIRONMENT.bucket_name('landing')}-{suffix}",
        f"{LOCAL_ENVIRONMENT.bucket_name('bronze')}-{suffix}",
    )


def _fresh_buckets(s3: Any, run_name: str) -> tuple[str, str]:
    names = run_buckets(run_name)
    for name in names:
        s3.create_bucket(Bucket=name)
    return names


def _entity_counts(
    sources: SourceFiles,
    ingestion: IngestionReport | None,
    produced: ProduceReport | None,
    lake: duckdb.DuckDBPyConnection,
    warehouse: Warehouse,
    bronze: str,
) -> dict[str, EntityCounts]:
    batch = ingestion.by_table() if ingestion else {}
    stream = {summary.table: summary for summary in produced.load.files} if produced else {}
    entities = {}
    for name in sources.files:
        if name in stream:
            summary = stream[name]
            counts = EntityCounts(name, "stream", summary.rows, summary.accepted, summary.rejected, 0, 0)
        else:
            table = batch[name]
            counts = EntityCounts(name, "batch", table.rows_read, table.rows_loaded, table.rows_quarantined, 0, 0)
        counts.bronze_keys = bronze_distinct_keys(lake, bronze, name, counts.path)
        counts.silver_rows = warehouse_count(warehouse, "silver", SILVER_MODELS[name])
        if name in GOLD_MODELS:
            counts.gold_model = GOLD_MODELS[name]
            counts.gold_rows = warehouse_count(warehouse, "gold", GOLD_MODELS[name])
        entities[name] = counts
    return entities


def _quarantined_rows(s3: Any, bronze: str, produced: ProduceReport | None) -> list[QuarantinedRow]:
    rows = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bronze, Prefix=f"{layout.QUARANTINE_PREFIX}/"):
        for item in page.get("Contents", []):
            entity = item["Key"].split("/")[1]
            for line in s3.get_object(Bucket=bronze, Key=item["Key"])["Body"].read().splitlines():
                record = json.loads(line)
                reason = f"{record['column']}: {record['reason']}" if record.get("column") else record["reason"]
                rows.append(QuarantinedRow(entity, record.get("source_key", ""), record.get("row") or 0, reason))
    if produced:
        for rejected in produced.load.rejected:
            entity = contract_for_file(rejected.file).name
            reason = f"{rejected.column}: {rejected.reason}" if rejected.column else rejected.reason
            rows.append(QuarantinedRow(entity, rejected.file, rejected.row, reason))
    return rows
