"""Follow mode: the live window flows while dbt micro-batches run; freshness is measured and reported."""

from collections import defaultdict

import duckdb
import pytest

from datagen.generator import GeneratorConfig, generate
from localtwin.follow import ORDERS_TOPIC, FollowSettings, Visibility, split_window
from localtwin.pipeline import RunSettings, run
from producers.delivery import Speed
from producers.source import load_events, streamed_tables

ORDERS = 1500
# Ten days of history in 20 s: a few dozen orders and their lifecycle steps flow live.
FOLLOW = FollowSettings(Speed.parse("45000x"), seconds=20)


@pytest.fixture(scope="module")
def events(tmp_path_factory):
    directory = tmp_path_factory.mktemp("follow-source")
    generate(GeneratorConfig(orders=ORDERS, seed=7), directory, tables=["orders", "order_items"])
    return load_events(directory, streamed_tables(["orders", "order_items"])).events


def test_the_window_splits_history_without_losing_or_reordering_events(events):
    window = split_window(events, FOLLOW)
    assert list(window.history) + list(window.live) + list(window.rest) == list(events)
    assert window.live and window.history and window.rest
    assert all(window.start <= event.replay_time <= window.end for event in window.live)
    assert all(event.replay_time < window.start for event in window.history)
    assert all(event.replay_time > window.end for event in window.rest)


def test_an_order_event_is_visible_once_gold_shows_its_state_or_a_later_one(events):
    window = split_window(events, FOLLOW)
    steps_of = defaultdict(list)
    for event in window.live:
        if event.topic == ORDERS_TOPIC:
            steps_of[event.key.decode()].append(event)
    order, steps = max(steps_of.items(), key=lambda item: len(item[1]))
    assert len(steps) >= 2
    visibility = Visibility(window.live)
    for event in steps:
        visibility.note_produced(event)
    state_of = {seq: state for state, seq in visibility.step_of_state[order].items()}
    latest = steps[-1].seq

    assert visibility.observe({order: ("not", "a", "known", "state")}, 0.0) == 0
    assert visibility.observe({order: state_of[steps[0].seq]}, 1e9) == 1
    assert visibility.observe({order: state_of[latest]}, 1e9) == len(steps) - 1
    assert order not in visibility.pending
    assert all(latency > 0 for latency in visibility.latencies)


@pytest.mark.slow
def test_follow_mode_grows_gold_across_micro_batches_and_reports_freshness(local_engines, tmp_path):
    settings = RunSettings(tmp_path, tmp_path / "warehouse.duckdb", orders=ORDERS, follow=FOLLOW)
    result = run(settings, engines=local_engines)

    freshness = result.freshness
    assert freshness is not None
    assert len(freshness.batches) >= 2
    assert freshness.batches[-1].gold_orders > freshness.batches[0].gold_orders
    assert sum(batch.newly_visible for batch in freshness.batches) == len(freshness.latencies_s) > 0
    assert freshness.unseen == 0  # every live order event reached gold.fct_orders: micro-batches pick up new events
    assert all(latency > 0 for latency in freshness.latencies_s)
    assert 0 < freshness.p50 <= freshness.p95

    # After the window the rest of history follows: the run ends with the Gold of a plain run.
    assert result.ok, [check for check in result.checks if not check.ok]
    with duckdb.connect(str(settings.warehouse), read_only=True) as warehouse:
        assert warehouse.execute("select count(*) from gold.fct_orders").fetchone()[0] == ORDERS
    report = result.report.read_text()
    assert "## Freshness (follow mode)" in report
    assert f"| {len(freshness.latencies_s)} | {freshness.p50:.1f} s | {freshness.p95:.1f} s |" in report
