"""`dbt build --target local` over the real Olist sample: orphans warn, replays change nothing, and an incremental
run after new and late events equals a full refresh.

One module-scoped scenario shares four dbt runs (each costs seconds): an initial build, a build after the same
records are delivered again, an incremental build after new and late records, and a full refresh of that state.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from contracts import STREAMED_TABLES, TABLES
from datagen import GeneratorConfig, generate
from dbt_project.scripts.local_target import LocalTarget
from lambdas.ingestion.ingest import ingest_file
from lambdas.ingestion.storage import LocalBronze, LocalSource
from producers.events import event_id
from tests.fixtures.bronze_writer import (
    CsvRows,
    purchase_times,
    read_rows,
    stream_events,
    write_batch,
    write_events,
)
from tests.fixtures.dbt_cli import DbtFailed, DbtProject, DbtRun, column_names, query, relations, table_rows

pytestmark = pytest.mark.slow

BATCH_ONLY = [name for name, table in TABLES.items() if table.topic is None]
INITIAL = datetime(2026, 11, 20, 10, 15)
REDELIVERY = datetime(2026, 11, 21, 9, 20)
LATER = datetime(2026, 11, 21, 12, 5)
HELD_BACK_ORDERS = 40  # orders (with items) that only arrive with the later batch
LATE_EVENTS = 20  # delivered orders whose approval event is delivered again, late
UPDATED_REVIEWS = 5
UPDATED_CUSTOMERS = 3
ORDERS_IN = "from gold.fct_orders where list_contains(?, order_id)"


@dataclass
class Snapshot:
    silver: dict[str, list[tuple]]
    # Silver without its lineage columns (_event_id, _loaded_at, ...): the entities' values only.
    silver_values: dict[str, list[tuple]]
    gold: dict[str, list[tuple]]


@dataclass
class Scenario:
    duckdb_path: Path
    manifest: dict
    rows: dict[str, CsvRows]
    held_back: set[str]
    late_orders: set[str]
    updated_reviews: dict[tuple[str, str], int]
    updated_customers: set[str]
    initial: DbtRun
    after_initial: Snapshot
    after_redelivery: Snapshot
    incremental: DbtRun
    after_incremental: Snapshot
    after_full_refresh: Snapshot


def _snapshot(duckdb_path: Path) -> Snapshot:
    silver = relations(duckdb_path, "silver")
    return Snapshot(
        silver={name: table_rows(duckdb_path, name) for name in silver},
        silver_values={
            name: table_rows(duckdb_path, name, [c for c in column_names(duckdb_path, name) if not c.startswith("_")])
            for name in silver
        },
        gold={name: table_rows(duckdb_path, name) for name in relations(duckdb_path, "gold")},
    )


def _order_id(event: dict) -> str:
    return event["payload"]["order_id"]


@pytest.fixture(scope="module")
def scenario(olist_sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    work = tmp_path_factory.mktemp("dbt_sample")
    bronze = work / "bronze"
    rows = {name: read_rows(olist_sample_dir / table.file_name, table) for name, table in TABLES.items()}
    purchases = purchase_times(rows["orders"])
    events = {table.name: stream_events(rows[table.name], purchases) for table in STREAMED_TABLES}

    known_orders = {str(raw["order_id"]): raw for _, raw in rows["orders"].raw}
    orders_with_items = sorted({str(raw["order_id"]) for _, raw in rows["order_items"].raw} & set(known_orders))
    held_back = set(orders_with_items[:HELD_BACK_ORDERS])

    # 1. Everything but the held-back orders: streamed tables as events, the rest as files, plus a batch backfill
    #    of 300 orders the stream also carries (the same rows must not count twice). Items, payments and reviews
    #    have no batch file at all: their batch sources are empty relations.
    for table in STREAMED_TABLES:
        initial = [event for event in events[table.name] if _order_id(event) not in held_back]
        write_events(bronze, table, initial, INITIAL, f"{table.name}-initial")
    for name in BATCH_ONLY:
        write_batch(bronze, rows[name], INITIAL, f"{name}-initial")
    backfill = [number for number, raw in rows["orders"].raw if raw["order_id"] not in held_back][:300]
    write_batch(bronze, rows["orders"], INITIAL, "orders-backfill", keep=backfill)

    target = LocalTarget(str(bronze), work / "lake.duckdb", work / "duckdb_extensions")
    project = DbtProject(work, target.environment())
    initial = project.run("build")
    after_initial = _snapshot(target.duckdb_path)

    # 2. The same records delivered again, a day later: the sink replays the topics, the same files land again.
    for table in STREAMED_TABLES:
        again = [event for event in events[table.name] if _order_id(event) not in held_back]
        write_events(bronze, table, again, REDELIVERY, f"{table.name}-replayed")
    for name in BATCH_ONLY:
        write_batch(bronze, rows[name], REDELIVERY, f"{name}-initial")
    project.run("build", "--selector", "micro_batch")  # as follow mode builds while the stream flows
    after_redelivery = _snapshot(target.duckdb_path)

    # 3. New and late records. The held-back orders arrive now, their items, payments and reviews in files the
    #    sink flushed late into an hour before the last one processed (within bronze_lookback_hours); delivered
    #    orders get their approval event again, late; some reviews are answered anew; some customers move.
    for table in STREAMED_TABLES:
        arrived = [event for event in events[table.name] if _order_id(event) in held_back]
        when = LATER if table.name == "orders" else INITIAL - timedelta(hours=1)
        write_events(bronze, table, arrived, when, f"{table.name}-held-back")
    delivered = sorted(
        order_id
        for order_id, raw in known_orders.items()
        if raw["order_status"] == "delivered" and order_id not in held_back
    )
    late_orders = set(delivered[:LATE_EVENTS])
    approvals = [
        event
        for event in events["orders"]
        if _order_id(event) in late_orders and event["event_type"] == "order_approved"
    ]
    write_events(bronze, TABLES["orders"], approvals, LATER, "orders-late-approvals")

    reviewed = [(number, raw) for number, raw in rows["order_reviews"].raw if raw["order_id"] in known_orders]
    updated_reviews: dict[tuple[str, str], int] = {}
    review_events = []
    for number, raw in reviewed[:UPDATED_REVIEWS]:
        score = int(str(raw["review_score"])) % 5 + 1
        answered = datetime.strptime(str(raw["review_answer_timestamp"]), "%Y-%m-%d %H:%M:%S") + timedelta(days=1)
        payload = {**raw, "review_score": str(score), "review_answer_timestamp": f"{answered:%Y-%m-%d %H:%M:%S}"}
        updated_reviews[(str(raw["review_id"]), str(raw["order_id"]))] = score
        review_events.append(
            {
                "event_id": event_id("order_reviews", "resubmitted.csv", number),
                "event_type": "review_submitted",
                "event_time": payload["review_answer_timestamp"],
                "schema_version": 1,
                "source": {"file": "resubmitted.csv", "row": number},
                "payload": payload,
            }
        )
    write_events(bronze, TABLES["order_reviews"], review_events, LATER, "order_reviews-resubmitted")

    customers_with_orders = {str(raw["customer_id"]) for raw in known_orders.values()}
    moved = [
        (number, {**typed, "customer_city": "cidade nova"})
        for number, typed in rows["customers"].typed
        if typed["customer_id"] in customers_with_orders
    ][:UPDATED_CUSTOMERS]
    moved_rows = CsvRows(TABLES["customers"], "customers_moved.csv", typed=moved)
    write_batch(bronze, moved_rows, LATER, "customers-moved")

    incremental = project.run("build")
    after_incremental = _snapshot(target.duckdb_path)
    project.run("build", "--full-refresh")
    after_full_refresh = _snapshot(target.duckdb_path)

    return Scenario(
        duckdb_path=target.duckdb_path,
        manifest=json.loads((work / "target" / "manifest.json").read_text(encoding="utf-8")),
        rows=rows,
        held_back=held_back,
        late_orders=late_orders,
        updated_reviews=updated_reviews,
        updated_customers={str(typed["customer_id"]) for _, typed in moved},
        initial=initial,
        after_initial=after_initial,
        after_redelivery=after_redelivery,
        incremental=incremental,
        after_incremental=after_incremental,
        after_full_refresh=after_full_refresh,
    )


def test_sample_builds_with_orphans_reported_as_warnings(scenario: Scenario) -> None:
    run = scenario.initial
    assert run.with_status("error") == [] and run.with_status("fail") == []
    warned = run.with_status("warn")
    # The sample's heads are independent cuts: most items, payments and reviews have no order, most orders no
    # customer, and 13 products have a category the translation table lacks (as in the original).
    for orphan in (
        "stg_olist__order_items_order_id",
        "stg_olist__order_payments_order_id",
        "stg_olist__order_reviews_order_id",
        "stg_olist__orders_customer_id",
        "stg_olist__products_category_name",
    ):
        assert any(orphan in test for test in warned), (orphan, warned)
    assert all(".relationships_" in test for test in warned), warned
    unit_tests = [result for result in run.results if result.unique_id.startswith("unit_test.")]
    assert len(unit_tests) >= 4 and all(result.status == "pass" for result in unit_tests)
    assert all(test.startswith("test.") or test.startswith("unit_test.") for test in run.with_status("pass"))


def test_gold_holds_every_order_and_item_of_the_sample_once(scenario: Scenario) -> None:
    assert {name: rows.rejected for name, rows in scenario.rows.items()} == dict.fromkeys(TABLES, 0)
    orders = len(scenario.rows["orders"].raw)
    items = len(scenario.rows["order_items"].raw)
    assert len(scenario.after_full_refresh.gold["gold.fct_orders"]) == orders
    assert len(scenario.after_full_refresh.gold["gold.fct_order_items"]) == items
    assert len(scenario.after_initial.gold["gold.fct_orders"]) == orders - HELD_BACK_ORDERS


def test_redelivered_records_change_nothing(scenario: Scenario) -> None:
    assert scenario.after_redelivery.gold == scenario.after_initial.gold
    # A batch-only table has no event time of its own: a file delivered again is a newer version with the same
    # values, so Silver's lineage may move on while its values stay.
    assert scenario.after_redelivery.silver_values == scenario.after_initial.silver_values
    streamed = [f"silver.stg_olist__{table.name}" for table in STREAMED_TABLES]
    for relation in streamed:
        assert scenario.after_redelivery.silver[relation] == scenario.after_initial.silver[relation], relation


def test_incremental_run_after_new_and_late_records_equals_a_full_refresh(scenario: Scenario) -> None:
    incremental, full = scenario.after_incremental, scenario.after_full_refresh
    assert incremental.gold.keys() == full.gold.keys() and len(full.gold) == 8
    for relation in full.gold:
        assert incremental.gold[relation] == full.gold[relation], relation
    for relation in full.silver:
        assert incremental.silver[relation] == full.silver[relation], relation
    assert incremental.gold != scenario.after_initial.gold
    run = scenario.incremental
    assert run.with_status("error") == [] and run.with_status("fail") == []


def test_late_and_new_records_update_the_right_rows(scenario: Scenario) -> None:
    path = scenario.duckdb_path
    held = query(path, f"select order_id, item_count {ORDERS_IN}", [sorted(scenario.held_back)])
    assert len(held) == HELD_BACK_ORDERS and all(count > 0 for _, count in held)
    late = query(path, f"select distinct order_status {ORDERS_IN}", [sorted(scenario.late_orders)])
    assert late == [("delivered",)]
    for (review_id, order_id), score in scenario.updated_reviews.items():
        stored = query(
            path,
            "select review_score from silver.stg_olist__order_reviews where review_id = ? and order_id = ?",
            [review_id, order_id],
        )
        assert stored == [(score,)]
    cities = query(
        path,
        "select distinct city from silver.stg_olist__customers where list_contains(?, customer_id)",
        [sorted(scenario.updated_customers)],
    )
    assert cities == [("cidade nova",)]


def test_every_model_and_column_is_documented(scenario: Scenario) -> None:
    models = [node for node in scenario.manifest["nodes"].values() if node["resource_type"] == "model"]
    assert len(models) == 22
    for node in models:
        assert node["description"].strip(), f"{node['name']} has no description"
        built = column_names(scenario.duckdb_path, f"{node['schema']}.{node['alias']}")
        documented = {name: column["description"].strip() for name, column in node["columns"].items()}
        assert sorted(documented) == sorted(built), f"{node['name']}: YAML columns differ from the model's"
        assert all(documented.values()), (
            f"{node['name']}: undocumented columns {[c for c, d in documented.items() if not d]}"
        )


def _listed(project: DbtProject, *selection: str) -> set[str]:
    run = project.run("ls", "--quiet", "--output", "json", "--output-keys", "unique_id", *selection)
    return {json.loads(line)["unique_id"] for line in run.output.splitlines() if line.startswith("{")}


def test_a_micro_batch_builds_row_level_tests_only_and_a_stream_batch_what_the_stream_feeds(tmp_path: Path) -> None:
    project = DbtProject(tmp_path, LocalTarget(str(tmp_path), tmp_path / "lake.duckdb", tmp_path).environment())
    everything = _listed(project)
    micro_batch = _listed(project, "--selector", "micro_batch")
    full_scan = _listed(project, "--selector", "full_scan_tests")
    stream = _listed(project, "--selector", "stream_micro_batch")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text(encoding="utf-8"))

    def of(kind: str, nodes: set[str]) -> set[str]:
        return {node for node in nodes if node.startswith(f"{kind}.")}

    assert of("model", micro_batch) == of("model", everything)
    assert not of("unit_test", micro_batch) and of("unit_test", everything)
    # The data tests split in two: row-level ones on every micro-batch, full scans on the first build and a schedule.
    assert of("test", micro_batch) | full_scan == of("test", everything)
    assert not of("test", micro_batch) & full_scan
    row_level = ("valid_rows_",)
    assert all(node.split(".")[2].startswith(row_level) for node in of("test", micro_batch))
    assert any(".assert_order_counts_reconcile" in node for node in full_scan)

    # Only the sink wrote: every model the streamed tables feed, directly or not, and nothing else.
    fed = {source for source in manifest["sources"] if source.endswith("_events")}
    frontier = set(fed)
    while frontier:
        frontier = {child for node in frontier for child in manifest["child_map"][node] if child.startswith("model.")}
        fed |= frontier
    assert of("model", stream) == of("model", fed)
    assert of("model", stream) < of("model", everything)
    assert {"model.keystone.fct_orders", "model.keystone.dim_customers"} <= stream
    assert of("test", stream) == {
        test for test in of("test", micro_batch) if set(manifest["parent_map"][test]) & of("model", stream)
    }


def test_valid_rows_fails_each_broken_row_and_names_the_rules_it_breaks(tmp_path: Path) -> None:
    target = LocalTarget(str(tmp_path), tmp_path / "lake.duckdb", tmp_path / "duckdb_extensions")
    # Silver orders as the model holds them (the columns the test reads): one good row, two broken ones.
    with duckdb.connect(str(target.duckdb_path)) as connection:
        connection.execute("create schema silver")
        connection.execute(
            """
            create table silver.stg_olist__orders as select * from (values
                ('o1', 'c1', 'delivered', timestamp '2017-10-02 10:56:33', timestamp '2017-10-18', 'stream'),
                (null, 'c2', 'teleported', timestamp '2017-10-02 10:56:33', timestamp '2017-10-18', 'batch'),
                ('o3', 'c3', 'shipped', timestamp '2017-10-02 10:56:33', timestamp '2017-10-18', 'kafka')
            ) as orders(order_id, customer_id, order_status, purchased_at, estimated_delivery_at, _source_kind)
            """
        )
    with pytest.raises(DbtFailed):
        DbtProject(tmp_path, target.environment()).run("test", "--select", "stg_olist__orders,test_name:valid_rows")
    results = json.loads((tmp_path / "target" / "run_results.json").read_text(encoding="utf-8"))["results"]
    [result] = [result for result in results if result["unique_id"].startswith("test.")]
    assert (result["status"], result["failures"]) == ("fail", 2)
    with duckdb.connect(str(target.duckdb_path), read_only=True) as connection:
        broken = sorted(row for (row,) in connection.execute(result["compiled_code"]).fetchall())
    assert broken == [
        "_source_kind = kafka is not one of stream, batch",
        "order_id is null; order_status = teleported breaks the contract of orders.order_status",
    ]


def test_a_file_ingested_days_after_it_landed_reaches_silver_on_the_next_incremental_run(tmp_path: Path) -> None:
    """Incremental staging reads the Bronze `ingest_date` partitions from its watermark on. The ingestion put a file
    in the partition of the day it landed: one ingested two days late (a failure fixed later) was pruned by every
    later run, and its rows never reached Silver."""
    customers = TABLES["customers"]
    landed = {name: tmp_path / name / customers.file_name for name in ("first", "late")}
    for seed, path in enumerate(landed.values(), start=3):
        generate(GeneratorConfig(orders=20, seed=seed), path.parent, tables=["customers"])
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    os.utime(landed["first"], (now.timestamp(), now.timestamp()))
    two_days_before = (now - timedelta(days=2)).timestamp()
    os.utime(landed["late"], (two_days_before, two_days_before))
    bronze = LocalBronze(tmp_path / "bronze")
    target = LocalTarget(str(bronze.root), tmp_path / "lake.duckdb", tmp_path / "duckdb_extensions")
    project = DbtProject(tmp_path, target.environment())

    assert ingest_file(LocalSource(landed["first"], "customers/first.csv"), bronze, clock=lambda: now).ok
    project.run("run", "--select", "stg_olist__customers")
    late = LocalSource(landed["late"], "customers/late.csv")
    assert ingest_file(late, bronze, clock=lambda: now + timedelta(hours=1)).ok
    project.run("run", "--select", "stg_olist__customers")

    late_ids = sorted(str(raw["customer_id"]) for _, raw in read_rows(landed["late"], customers).raw)
    in_silver = query(
        target.duckdb_path,
        "select customer_id from silver.stg_olist__customers where list_contains(?, customer_id)",
        [late_ids],
    )
    assert sorted(customer_id for (customer_id,) in in_silver) == late_ids
