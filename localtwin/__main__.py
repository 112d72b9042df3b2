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

from localtwin.follow import DEFAULT_SPEED, FollowFailed, FollowSettings
from localtwin.pipeline import PipelineFailed, RunResult, RunSettings, run
from producers.delivery import Speed

REPO_ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv: list[str] | None) -> RunSettings:
    parser = argparse.ArgumentParser(prog="python -m localtwin", description=__doc__)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=os.environ.get("DATA_DIR") or None,
        help="folder of original-format Olist CSVs, any subset of the 9 (default: generate; env DATA_DIR)",
    )
    parser.add_argument("--orders", type=int, default=int(os.environ.get("ORDERS", "10000")), help="generated orders")
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SEED", "7")), help="generator seed")
    parser.add_argument(
        "--speed",
        default=os.environ.get("SPEED"),
        help=f"replay speed: max (default), <N>x, <N>/s; with --follow, the live window's <N>x ({DEFAULT_SPEED})",
    )
    parser.add_argument("--run-dir", type=Path, help="where logs, report and charts go (default .runs/<time>)")
    parser.add_argument(
        "--warehouse", type=Path, default=os.environ.get("WAREHOUSE") or None, help="DuckDB file (env WAREHOUSE)"
    )
    parser.add_argument(
        "--follow",
        action="store_true",
        help="follow mode: replay part of the history live while dbt micro-batches run; report freshness p50/p95",
    )
    parser.add_argument(
        "--follow-seconds", type=float, default=120.0, help="with --follow: how long the live replay lasts (120)"
    )
    parser.add_argument(
        "--batch-every",
        type=float,
        default=0.0,
        help="with --follow: least seconds between micro-batch starts (default 0: back to back)",
    )
    args = parser.parse_args(argv)
    follow = None
    if args.follow:
        try:
            speed = Speed.parse(args.speed) if args.speed else DEFAULT_SPEED
            follow = FollowSettings(speed, args.follow_seconds, args.batch_every)
        except ValueError as error:
            parser.error(str(error))
    run_dir = (args.run_dir or REPO_ROOT / ".runs" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")).resolve()
    warehouse = (args.warehouse or run_dir / "warehouse.duckdb").resolve()
    return RunSettings(run_dir, warehouse, args.data_dir, args.orders, args.seed, args.speed or "max", follow)


def summary(result: RunResult) -> str:
    header = f"{'entity':<34} {'path':<6} {'source':>8} {'bronze':>8} {'quar.':>6} {'silver':>8} {'gold':>8}"
    lines = [header, "-" * len(header)]
    for c in result.entities.values():
        gold = "" if c.gold_rows is None else str(c.gold_rows)
        lines.append(
            f"{c.entity:<34} {c.path:<6} {c.source_rows:>8} {c.bronze_rows:>8} {c.quarantined:>6} "
            f"{c.silver_rows:>8} {gold:>8}"
        )
    lines.append("")
    lines += [
        f"  [{'ok' if c.ok else 'MISMATCH'}] {c.name}: expected {c.expected}, got {c.actual}" for c in result.checks
    ]
    lines.append("")
    lines += [f"  {stage:<24} {seconds:6.1f} s" for stage, seconds in result.timings.items()]
    if result.freshness is not None:
        lines.append(f"\n{result.freshness.render()}")
    lines.append(f"\nreport: {result.report}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    settings = parse_args(argv)
    try:
        result = run(settings)
    except KeyboardInterrupt:
        print("\ninterrupted: every process the run started has been stopped", file=sys.stderr)
        return 130
    except (PipelineFailed, FollowFailed) as error:
        print(f"\nthe run failed: {error}\nlogs are in {settings.run_dir}", file=sys.stderr)
        return 1
    print(summary(result))
    print(f"warehouse: {settings.warehouse} (query the Gold marts as gold.<name>)")
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
