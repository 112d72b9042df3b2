"""`python -m localtwin` (what `make run` runs): the local end-to-end pipeline; see localtwin/pipeline.py.

With --follow, part of the order history is replayed live at --speed (default 3600x: an hour of history a second)
for about --follow-seconds while dbt micro-batches run, and the freshness of gold.fct_orders (production of an
order event -> visible there) is printed and reported as p50/p95; see localtwin/follow.py and docs/local-twin.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime
from pathlib import Path

from contracts.settings import (
    BadSetting,
    existing_folder,
    file_to_create,
    folder_to_create,
    non_negative_int,
    non_negative_number,
    positive_int,
    positive_number,
    setting,
    setting_name,
)
from contracts.settings import report as report_bad_setting
from localtwin.athena import NamedQueryFailed
from localtwin.data import NoOlistFiles, find_sources
from localtwin.explore import render_runs
from localtwin.follow import DEFAULT_SPEED, FollowFailed, FollowSettings
from localtwin.pipeline import ENGINES, LAMBDA_LOG, PipelineFailed, RunResult, RunSettings, run
from localtwin.session import AlreadyUp
from localtwin.session import load as load_session
from localtwin.transform import DbtFailed
from producers.delivery import Speed
from producers.kafka_config import log_client_to

REPO_ROOT = Path(__file__).resolve().parents[1]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m localtwin", description=__doc__)
    parser.add_argument(
        "--data-dir",
        help="folder of original-format Olist CSVs (.csv or .csv.gz), any subset of the 9 (env DATA_DIR; "
        "default: generate)",
    )
    parser.add_argument("--orders", help="generated orders (env ORDERS, default 10000)")
    parser.add_argument("--seed", help="generator seed (env SEED, default 7)")
    parser.add_argument(
        "--speed",
        help=f"replay speed: max (default), <N>x, <N>/s; with --follow, the live window's <N>x ({DEFAULT_SPEED}) "
        "(env SPEED)",
    )
    parser.add_argument("--run-dir", help="where logs, report and charts go (default .runs/<time>)")
    parser.add_argument("--warehouse", help="DuckDB file (env WAREHOUSE, default <run dir>/warehouse.duckdb)")
    parser.add_argument(
        "--follow",
        action="store_true",
        help="follow mode: replay part of the history live while dbt micro-batches run; report freshness p50/p95",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the engines running after the run and print how to reach them (`make up`; env KEEP=1); "
        "`make down` stops them",
    )
    parser.add_argument(
        "--models",
        help="with --keep: the dbt models the transform DAG on Airflow builds, in dbt's selection syntax "
        "(e.g. '+fct_orders': it and its parents; env MODELS; default all); the run before it builds every model",
    )
    parser.add_argument(
        "--engine",
        help="where dbt builds Silver and Gold: duckdb (default) or trino, Athena's engine over the Catalog stack's "
        "Glue tables (env ENGINE)",
    )
    parser.add_argument("--follow-seconds", help="with --follow: how long the live replay lasts (120)")
    parser.add_argument(
        "--batch-every", help="with --follow: least seconds between micro-batch starts (default 0: back to back)"
    )
    return parser


def resolve(args: argparse.Namespace) -> RunSettings:
    """The run's settings, every one checked before anything starts; raises `BadSetting` naming the first bad one.

    Each option falls back on its environment variable, which is how `make run ORDERS=...` passes it.
    """
    data_dir = None
    if args.data_dir is not None or os.environ.get("DATA_DIR"):
        data_dir = setting(args.data_dir, "--data-dir", _data_dir, env="DATA_DIR")
    orders = setting(args.orders, "--orders", positive_int, env="ORDERS", default="10000")
    seed = setting(args.seed, "--seed", non_negative_int, env="SEED", default="7")
    follow = None
    if args.follow:
        speed = setting(args.speed, "--speed", _follow_speed, env="SPEED", default=str(DEFAULT_SPEED))
        seconds = setting(args.follow_seconds, "--follow-seconds", positive_number, default="120")
        batch_every = setting(
            args.batch_every, "--batch-every", non_negative_number, default=str(FollowSettings.batch_every_s)
        )
        follow = FollowSettings(speed, seconds, batch_every)
    else:
        speed = setting(args.speed, "--speed", Speed.parse, env="SPEED", default="max")
    default_run_dir = str(REPO_ROOT / ".runs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ"))
    run_dir = setting(args.run_dir, "--run-dir", folder_to_create, default=default_run_dir).resolve()
    warehouse = setting(
        args.warehouse, "--warehouse", file_to_create, env="WAREHOUSE", default=str(run_dir / "warehouse.duckdb")
    ).resolve()
    keep = args.keep or setting(None, "--keep", _flag, env="KEEP", default="0")
    engine = setting(args.engine, "--engine", _engine, env="ENGINE", default="duckdb")
    if engine == "trino" and (follow is not None or keep):
        raise BadSetting("--engine", engine, "follow mode and --keep run on duckdb only (so far)")
    models = setting(args.models, "--models", str, env="MODELS") or None
    if models and not keep:
        name = setting_name(args.models, "--models", env="MODELS")
        raise BadSetting(name, models, "only the transform DAG of `make up` (--keep) takes a selection")
    return RunSettings(run_dir, warehouse, data_dir, orders, seed, speed, follow, keep, engine, models)


def _engine(text: str) -> str:
    if text not in ENGINES:
        raise ValueError(f"use one of {', '.join(ENGINES)}")
    return text


def _flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("use 1 to keep the engines running, 0 (the default) to stop them")
    return text == "1"


def _data_dir(text: str) -> Path:
    folder = existing_folder(text)
    find_sources(folder)
    return folder


def _follow_speed(text: str) -> Speed:
    speed = Speed.parse(text)
    if speed.factor is None:
        raise ValueError("follow mode replays at <N>x historical speed (e.g. 3600x)")
    return speed


def summary(result: RunResult) -> str:
    header = f"{'entity':<34} {'path':<6} {'source':>8} {'bronze':>8} {'quar.':>6} {'silver':>8} {'gold':>8}"
    lines = [header, "-" * len(header)]
    for c in result.entities.values():
        gold = "" if c.gold_rows is None else str(c.gold_rows)
        lines.append(
            f"{c.entity:<34} {c.path:<6} {c.source_rows:>8} {c.bronze_rows:>8} {c.quarantined:>6} "
            f"{c.silver_rows:>8} {gold:>8}"
        )
    mismatches = [c for c in result.checks if not c.ok]
    lines.append(f"\nreconciliation: {len(result.checks) - len(mismatches)} of {len(result.checks)} checks ok")
    lines += [f"  [MISMATCH] {c.name}: expected {c.expected}, got {c.actual}" for c in mismatches]
    lines.append("")
    lines += [f"  {stage:<24} {seconds:6.1f} s" for stage, seconds in result.timings.items()]
    if result.freshness is not None:
        lines.append(f"\n{result.freshness.render()}")
    if result.dag_runs:
        lines.append(f"\nAirflow runs:\n{render_runs(result.dag_runs)}")
    lines.append(f"\nlogs: {result.run_dir} ({LAMBDA_LOG}, dbt.log, kafka-client.log, engines/)")
    lines.append(f"warehouse: {result.warehouse_where or result.warehouse}")
    lines.append(f"report: {result.report.with_suffix('.html')} (open in a browser; Markdown: {result.report.name})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = resolve(args)
    except BadSetting as error:
        return report_bad_setting(error)
    log_client_to(settings.run_dir / "kafka-client.log")
    try:
        result = run(settings)
    except KeyboardInterrupt:
        print("\ninterrupted: every process the run started has been stopped", file=sys.stderr)
        return 130
    except NoOlistFiles as error:  # a gzipped file found wanting while it was decompressed, before any engine
        data_dir = setting_name(args.data_dir, "--data-dir", "DATA_DIR")
        return report_bad_setting(BadSetting(data_dir, settings.data_dir, str(error)))
    except AlreadyUp as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except (PipelineFailed, FollowFailed, DbtFailed, NamedQueryFailed) as error:
        print(f"\nthe run failed: {error}\nlogs are in {settings.run_dir}", file=sys.stderr)
        return 1
    print(summary(result))
    if settings.keep:
        up = load_session()
        assert up is not None
        print(f"\nThe engines keep running:\n{up.table()}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
