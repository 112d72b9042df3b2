"""dbt build --target local at Olist scale vs one hand-written DuckDB query computing fct_orders from Bronze.

    python bench/bench_dbt.py [--orders 100000] [--work-dir DIR] [--keep]

Data: `datagen` CSVs (`--orders` orders). Bronze as the pipeline writes it: the producer's event envelopes of
orders, items, payments and reviews as gzip JSON lines (what the S3 sink writes), spread in event order over
HISTORY_HOURS hour partitions as a sink running for two days leaves them, the file-only tables through
`lambdas.ingestion` (typed Parquet). Then, in the same run:

- dbt: `dbt build --target local` into a fresh DuckDB file (every model, data test and unit test), wall time
  and time per layer (hook, staging = Silver, intermediate, marts = Gold, tests). Goal: the first build <= 60 s.
- micro-batches as follow mode runs them (localtwin/micro_batch.py: skipped when Bronze lists nothing new, else
  `dbt build` of what the new objects feed, in one warm dbt process that parsed the project once,
  `transform.DbtSession`): with nothing new, then after 1% and after 10% new events (the events of freshly
  generated orders, another seed, in the next hour partition), each as a ratio of the first build. For reference,
  the plain `dbt build` with nothing new (what every micro-batch cost before), the same micro-batch in a `dbt`
  process of its own, what starting the warm process costs (once per follow run) and its first command (follow
  mode's first is the full build of the history; here nothing is new).
- baseline: one DuckDB query computing fct_orders straight from the Bronze files (same dedup and joins, no
  tests, nothing persisted but the result), in a fresh connection.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import duckdb  # noqa: E402

from contracts import STREAMED_TABLES, TABLES, layout  # noqa: E402
from datagen import GeneratorConfig, generate  # noqa: E402
from dbt_project.scripts.local_target import LocalTarget  # noqa: E402
from localtwin.micro_batch import BronzeWatermark, Listing, local_listing, micro_batch_selector  # noqa: E402
from localtwin.transform import DbtSession, dbt_build  # noqa: E402

GOAL_SECONDS = 60.0
# Issue 18: a micro-batch with nothing new in at most 3 s, one with 1% new events in at most 20% of the first build.
NOTHING_NEW_GOAL_SECONDS = 3.0
ONE_PERCENT_GOAL_RATIO = 0.20
ARRIVAL = datetime(2026, 11, 20, 10, 0)
EVENTS_PER_FILE = 100_000
HISTORY_HOURS = 48
NEW_EVENT_SHARES = (0.01, 0.10)
DBT = Path(sys.executable).parent / "dbt"
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def write_bronze(csv_dir: Path, bronze: Path) -> dict[str, int]:
    """Stream tables as the producer's envelopes, file-only tables through the batch ingestion; counts per table."""
    from lambdas.ingestion import logs
    from lambdas.ingestion.cli import ingest_sources
    from lambdas.ingestion.storage import LocalBronze, LocalSource

    counts = write_events(csv_dir, bronze, ARRIVAL, HISTORY_HOURS)
    logs.logger.setLevel("WARNING")
    file_tables = [table for table in TABLES.values() if table.topic is None]
    sources = [LocalSource(csv_dir / t.file_name, f"{layout.landing_prefix(t.name)}{t.file_name}") for t in file_tables]
    report = ingest_sources(sources, LocalBronze(bronze))
    if report.failures:
        raise RuntimeError(f"ingestion failed: {report.failures}")
    counts.update({result.manifest.table: result.manifest.rows_loaded for result in report.results})
    return counts


def write_events(csv_dir: Path, bronze: Path, arrival: datetime, hours: int) -> dict[str, int]:
    """The streamed tables' events as the sink writes them, in event order over `hours` hour partitions from
    `arrival`; events per topic."""
    from producers.source import load_events, streamed_tables

    loaded = load_events(csv_dir, streamed_tables())
    if loaded.rejected or loaded.failed_files or loaded.missing_files:
        raise RuntimeError(f"producer rejected generated rows: {loaded.rejected[:3]} {loaded.failed_files}")
    by_topic: dict[str, list[bytes]] = defaultdict(list)
    for event in loaded.events:
        by_topic[event.topic].append(event.value)
    for topic, values in by_topic.items():
        per_hour = -(-len(values) // hours)
        for hour in range(hours):
            partition = layout.partition_path(layout.STREAMING_PARTITIONS, arrival + timedelta(hours=hour))
            directory = bronze / (layout.streaming_table_prefix(topic) + partition)
            directory.mkdir(parents=True, exist_ok=True)
            for start in range(hour * per_hour, min(len(values), (hour + 1) * per_hour), EVENTS_PER_FILE):
                end = min(start + EVENTS_PER_FILE, (hour + 1) * per_hour)
                with gzip.open(directory / f"{topic}+0+{start:010d}.jsonl.gz", "wb", compresslevel=6) as stream:
                    stream.write(b"\n".join(values[start:end]) + b"\n")
    return {topic: len(values) for topic, values in by_topic.items()}


def run_dbt(work: Path, env: dict[str, str], *args: str) -> tuple[float, list[dict]]:
    target_path = work / "target"
    command = [str(DBT), *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR)]
    command += ["--target-path", str(target_path), "--log-path", str(work / "logs")]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=work, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-40:])
        raise RuntimeError(f"`dbt {' '.join(args)}` failed:\n{tail}")
    results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))["results"]
    return seconds, results


def _layer(unique_id: str) -> str:
    kind = unique_id.split(".")[0]
    if kind == "model":
        name = unique_id.split(".")[-1]
        return {"stg": "staging (Silver)", "int": "intermediate"}.get(name.split("_")[0], "marts (Gold)")
    return {"test": "data tests", "unit_test": "unit tests", "operation": "hook: Bronze views"}.get(kind, kind)


def layer_times(results: list[dict]) -> dict[str, tuple[int, float, float]]:
    """Per layer: node count, summed node seconds, and span (first start to last end; dbt interleaves layers on
    its threads, so spans overlap and do not add up)."""
    nodes: dict[str, list[tuple[float, datetime, datetime]]] = defaultdict(list)
    for result in results:
        phases = result.get("timing") or []
        if phases:
            start = min(datetime.fromisoformat(p["started_at"].replace("Z", "+00:00")) for p in phases)
            end = max(datetime.fromisoformat(p["completed_at"].replace("Z", "+00:00")) for p in phases)
            nodes[_layer(result["unique_id"])].append((result["execution_time"], start, end))
    return {
        layer: (
            len(items),
            sum(seconds for seconds, _, _ in items),
            (max(end for _, _, end in items) - min(start for _, start, _ in items)).total_seconds(),
        )
        for layer, items in nodes.items()
    }


def hand_written_fct_orders(bronze: Path) -> str:
    """fct_orders from the Bronze files in one query: latest version per key, then the order-grain joins."""
    topic = {table.name: table.topic for table in STREAMED_TABLES}

    def events(table: str) -> str:
        return f"read_json('{bronze}/streaming/{topic[table]}/*/*/*.gz', format='newline_delimited')"

    return f"""
    with
    orders as (
        select payload.* from (
            select payload, row_number() over (
                partition by payload.order_id order by event_time desc, event_id desc) as version
            from {events("orders")}
        ) where version = 1
    ),
    items as (
        select payload.order_id, count(*) as item_count,
               sum(cast(payload.price as decimal(12,2))) as items_value,
               sum(cast(payload.freight_value as decimal(12,2))) as freight_value
        from (
            select payload, row_number() over (
                partition by payload.order_id, payload.order_item_id order by event_time desc, event_id desc) as v
            from {events("order_items")}
        ) where v = 1 group by 1
    ),
    payments as (
        select payload.order_id, count(*) as payment_count,
               sum(cast(payload.payment_value as decimal(12,2))) as payment_value
        from (
            select payload, row_number() over (
                partition by payload.order_id, payload.payment_sequential
                order by event_time desc, event_id desc) as v
            from {events("order_payments")}
        ) where v = 1 group by 1
    ),
    reviews as (
        select order_id, review_score from (
            select payload.order_id, cast(payload.review_score as integer) as review_score,
                   row_number() over (partition by payload.order_id
                       order by payload.review_answer_timestamp desc, payload.review_creation_date desc,
                                payload.review_id desc) as v
            from {events("order_reviews")}
        ) where v = 1
    ),
    customers as (
        select * from read_parquet('{bronze}/batch/customers/*/*.parquet')
        qualify row_number() over (partition by customer_id order by _ingested_at desc) = 1
    )
    select
        orders.order_id, orders.customer_id, customers.customer_unique_id, customers.customer_state,
        orders.order_status,
        cast(orders.order_purchase_timestamp as timestamp) as purchased_at,
        cast(orders.order_approved_at as timestamp) as approved_at,
        cast(orders.order_delivered_carrier_date as timestamp) as delivered_carrier_at,
        cast(orders.order_delivered_customer_date as timestamp) as delivered_customer_at,
        cast(orders.order_estimated_delivery_date as timestamp) as estimated_delivery_at,
        coalesce(items.item_count, 0) as item_count, coalesce(items.items_value, 0) as items_value,
        coalesce(items.freight_value, 0) as freight_value,
        coalesce(items.items_value, 0) + coalesce(items.freight_value, 0) as order_value,
        coalesce(payments.payment_value, 0) as payment_value, coalesce(payments.payment_count, 0) as payment_count,
        reviews.review_score,
        floor(date_diff('second', purchased_at, delivered_customer_at) / 86400.0) as delivery_days,
        cast(delivered_customer_at as date) > cast(estimated_delivery_at as date) as is_late
    from orders
    left join customers on orders.customer_id = customers.customer_id
    left join items on orders.order_id = items.order_id
    left join payments on orders.order_id = payments.order_id
    left join reviews on orders.order_id = reviews.order_id
    """


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--work-dir", type=Path, help="keep inputs and outputs here (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="do not delete the temp dir")
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="bench_dbt_"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        return _bench(args.orders, work)
    finally:
        if not args.work_dir and not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def _bench(orders: int, work: Path) -> int:
    csv_dir, bronze, lake = work / "csv", work / "bronze", work / "lake.duckdb"
    shutil.rmtree(bronze, ignore_errors=True)
    lake.unlink(missing_ok=True)
    started = time.perf_counter()
    generate(GeneratorConfig(orders=orders, seed=7), csv_dir)
    counts = write_bronze(csv_dir, bronze)
    print(f"data: {orders:,} orders; Bronze written in {time.perf_counter() - started:.1f} s: {counts}")

    target = LocalTarget(str(bronze), lake, work / "duckdb_extensions")
    env = {**os.environ, **target.environment(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    watermark = BronzeWatermark(local_listing(bronze))
    build_seconds, results = run_dbt(work, env, "build")
    watermark.built = local_listing(bronze)()
    failed = [r["unique_id"] for r in results if r["status"] in ("error", "fail")]
    plain_seconds, _ = run_dbt(work, env, "build")
    started = time.perf_counter()
    session = DbtSession(work, target, {"DBT_SEND_ANONYMOUS_USAGE_STATS": "false"})
    session_seconds = time.perf_counter() - started
    arrival = ARRIVAL + timedelta(hours=HISTORY_HOURS)

    def add_events(number: int, share: float) -> str:
        nonlocal arrival
        new_csv = work / f"csv_new_{number}"
        generate(GeneratorConfig(orders=max(1, round(orders * share)), seed=7 + number), new_csv)
        added = sum(write_events(new_csv, bronze, arrival, 1).values())
        arrival += timedelta(hours=1)
        return f"{share:.0%} new ({added:,} events)"

    def warm_build(changed: Listing) -> object:
        return dbt_build(work, target, {}, micro_batch_selector(changed), session)

    with session:
        # Follow mode's first command in the process: a full build (of the history).
        started = time.perf_counter()
        dbt_build(work, target, {}, session=session)
        warm_full_seconds = time.perf_counter() - started
        batches = [("nothing new", micro_batch(watermark, warm_build))]
        for number, share in enumerate(NEW_EVENT_SHARES, start=1):
            batches.append((add_events(number, share), micro_batch(watermark, warm_build)))
    # Another 1% in a dbt process of its own: what the warm process saves.
    cold_name = add_events(len(NEW_EVENT_SHARES) + 1, NEW_EVENT_SHARES[0])
    cold_seconds = micro_batch(
        watermark, lambda changed: run_dbt(work, env, "build", "--selector", micro_batch_selector(changed))
    )

    with duckdb.connect() as connection:
        started = time.perf_counter()
        baseline_rows = connection.execute(f"select count(*) from ({hand_written_fct_orders(bronze)})").fetchone()
        baseline_seconds = time.perf_counter() - started
    with duckdb.connect(str(lake), read_only=True) as connection:
        dbt_rows = connection.execute("select count(*) from gold.fct_orders").fetchone()

    print(f"\n{'layer (first build)':<22}{'nodes':>7}{'node s':>9}{'span s':>9}")
    for layer, (nodes, node_seconds, span) in sorted(layer_times(results).items()):
        print(f"{layer:<22}{nodes:>7}{node_seconds:>9.2f}{span:>9.2f}")
    print(f"\n{'measure':<52}{'seconds':>9}{'/ first':>9}")
    rows = [("dbt build (first, every model and test)", build_seconds)]
    rows += [("plain dbt build, nothing new (the old micro-batch)", plain_seconds)]
    rows += [(f"micro-batch, {name}", seconds) for name, seconds in batches]
    rows += [(f"  then {cold_name}, in a dbt process of its own", cold_seconds)]
    rows += [("  starting the warm dbt process (once per follow run)", session_seconds)]
    rows += [("  plain dbt build, nothing new, in the warm process", warm_full_seconds)]
    rows += [("hand-written DuckDB query: fct_orders from Bronze", baseline_seconds)]
    for name, seconds in rows:
        print(f"{name:<52}{seconds:>9.2f}{seconds / build_seconds:>9.2f}")
    print(f"\nratio dbt build / hand-written query: {build_seconds / baseline_seconds:.1f}x")
    print(f"fct_orders rows: dbt {dbt_rows[0]:,}, hand-written {baseline_rows[0]:,}")  # type: ignore[index]
    verdict = "met" if build_seconds <= GOAL_SECONDS else "missed"
    print(f"goal: first dbt build <= {GOAL_SECONDS:.0f} s at {orders:,} orders: {verdict} ({build_seconds:.1f} s)")
    nothing_new, one_percent = batches[0][1], batches[1][1]
    verdict = "met" if nothing_new <= NOTHING_NEW_GOAL_SECONDS else "missed"
    print(f"goal: micro-batch with nothing new <= {NOTHING_NEW_GOAL_SECONDS:.0f} s: {verdict} ({nothing_new:.2f} s)")
    ratio = one_percent / build_seconds
    verdict = "met" if ratio <= ONE_PERCENT_GOAL_RATIO else "missed"
    print(f"goal: micro-batch with 1% new <= {ONE_PERCENT_GOAL_RATIO:.2f} of the first build: {verdict} ({ratio:.2f})")
    if failed:
        print(f"dbt nodes that failed: {failed}", file=sys.stderr)
        return 1
    return 0


def micro_batch(watermark: BronzeWatermark, build: Callable[[Listing], object]) -> float:
    """Seconds of one micro-batch as follow mode runs it."""
    started = time.perf_counter()
    watermark.build_if_new(build)
    return time.perf_counter() - started


if __name__ == "__main__":
    sys.exit(main())
