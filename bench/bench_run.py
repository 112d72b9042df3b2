"""`make run` at Olist scale and follow-mode freshness, each against its goal (issue 7), in one run.

    python bench/bench_run.py [--orders 100000] [--follow-orders N] [--follow-seconds 60] [--speed 3600x]

- run: `localtwin.pipeline.run` (what `make run` runs) on `--orders` generated orders (100k: Olist scale), with
  warm caches (Kafka/Connect jars, connector plugin and DuckDB extension in place before the clock starts, as after
  a first `make run`); wall time and time per stage. Goal: <= 180 s.
- follow: the same pipeline in follow mode on `--follow-orders` orders (default: the same data), the live window
  replayed at `--speed` for `--follow-seconds` while dbt micro-batches run back to back; freshness (an order event's
  production -> visible in gold.fct_orders) p50 and p95. Goal: p95 <= 60 s.

Ratio to goal = measured / goal: at most 1.0 meets it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from connector.build import build_plugin  # noqa: E402
from dbt_project.scripts.local_target import prepare_extension_directory  # noqa: E402
from localtwin.engines.fetch import kafka_libs  # noqa: E402
from localtwin.follow import FollowSettings  # noqa: E402
from localtwin.pipeline import RunResult, RunSettings, run  # noqa: E402
from localtwin.transform import EXTENSION_DIR  # noqa: E402
from producers.delivery import Speed  # noqa: E402

RUN_GOAL_S = 180.0
FRESHNESS_P95_GOAL_S = 60.0


def timed_run(settings: RunSettings) -> tuple[RunResult, float]:
    started = time.perf_counter()
    result = run(settings)
    return result, time.perf_counter() - started


def stage_table(title: str, result: RunResult, wall_s: float) -> list[str]:
    lines = [title, f"  {'stage':<28}{'seconds':>9}"]
    lines += [f"  {stage:<28}{seconds:>9.1f}" for stage, seconds in result.timings.items()]
    lines.append(f"  {'wall time':<28}{wall_s:>9.1f}")
    return lines


def goal_row(measure: str, value: float | None, goal: float | None) -> str:
    shown = "—" if value is None else f"{value:.1f} s"
    if goal is None or value is None:
        return f"{measure:<40}{shown:>10}{'—':>10}{'—':>8}"
    ratio = value / goal
    verdict = "met" if ratio <= 1.0 else "NOT met"
    return f"{measure:<40}{shown:>10}{f'{goal:.0f} s':>10}{ratio:>8.2f}  {verdict}"


def verdict(result: RunResult) -> str:
    return "ok" if result.ok else "MISMATCH"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--follow-orders", type=int, help="orders for the follow run (default: --orders, same data)")
    parser.add_argument("--follow-seconds", type=float, default=60.0)
    parser.add_argument("--speed", default="3600x", help="the live window's replay speed")
    args = parser.parse_args()
    follow = FollowSettings(Speed.parse(args.speed), args.follow_seconds)
    follow_orders = args.follow_orders or args.orders

    # Warm caches: what a first `make run` leaves behind is not part of the measured time.
    kafka_libs()
    build_plugin()
    prepare_extension_directory(EXTENSION_DIR)

    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch:
        plain_dir, follow_dir = Path(scratch) / "run", Path(scratch) / "follow"
        plain, plain_s = timed_run(RunSettings(plain_dir, plain_dir / "warehouse.duckdb", orders=args.orders))
        # The follow run takes the same generated files when the sizes match, rather than generating them again.
        same_data = plain_dir / "source" if follow_orders == args.orders else None
        followed, follow_s = timed_run(
            RunSettings(
                follow_dir, follow_dir / "warehouse.duckdb", data_dir=same_data, orders=follow_orders, follow=follow
            )
        )
    freshness = followed.freshness
    assert freshness is not None

    lines = ["", *stage_table(f"make run, {args.orders:,} generated orders, warm caches:", plain, plain_s)]
    lines += ["", *stage_table(f"follow mode, {follow_orders:,} orders, {follow.speed} live:", followed, follow_s)]
    mean_batch = sum(batch.seconds for batch in freshness.batches) / max(1, len(freshness.batches))
    lines += [
        f"  live window {freshness.window[0]} -> {freshness.window[1]}: {freshness.live_events} events, "
        f"{len(freshness.latencies_s)} order events measured, {freshness.unseen} not seen, "
        f"{len(freshness.batches)} micro-batches of {mean_batch:.1f} s on average",
        "",
        f"{'measure':<40}{'value':>10}{'goal':>10}{'ratio':>8}",
        goal_row(f"make run wall time ({args.orders // 1000}k orders)", plain_s, RUN_GOAL_S),
        goal_row(f"freshness p50 (follow, {follow_orders // 1000}k orders)", freshness.p50, None),
        goal_row(f"freshness p95 (follow, {follow_orders // 1000}k orders)", freshness.p95, FRESHNESS_P95_GOAL_S),
        "",
        f"reconciliation: make run {verdict(plain)}, follow run {verdict(followed)}",
    ]
    print("\n".join(lines))
    return 0 if plain.ok and followed.ok else 1


if __name__ == "__main__":
    sys.exit(main())
