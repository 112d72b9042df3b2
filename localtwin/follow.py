"""Follow mode: order activity keeps flowing at N× historical speed while dbt micro-batches run, and freshness is
measured: the time from an order event's production to its appearance in gold.fct_orders.

The history before the live window goes the `make run` way (at full speed, then one `dbt build`). The live window
is the `seconds × N` of history that ends where 99% of the orders have been placed (busy history, not the sparse
tail); it is replayed at N× while `dbt build` runs again and again on the same warehouse, incrementally. The rest
of history then follows at full speed, so the run ends with the same Gold as `make run`.

An order event is visible once gold.fct_orders shows its order in that event's state or a later one; its
freshness is the end of that micro-batch minus the moment the producer sent the event.
"""

from __future__ import annotations

import bisect
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import orjson

from contracts import TABLES
from contracts.olist import TIMESTAMP_FORMAT
from environments.profiles import LOCAL_TWIN_FRESHNESS
from localtwin.data import SourceFiles
from localtwin.micro_batch import BronzeWatermark, micro_batch_selector, s3_listing
from localtwin.streaming import start_stream, wait_for_bronze
from localtwin.transform import DbtSession, dbt_build, duckdb_target
from producers.delivery import DeliveryReport, Speed, send
from producers.kafka_config import KafkaConnection
from producers.replay import ProduceReport, send_with_progress
from producers.source import Events, LoadResult, Outgoing, load_events, streamed_tables

ORDERS_TOPIC = TABLES["orders"].topic
# An hour of history a second: a few days of activity in a two-minute demo.
DEFAULT_SPEED = Speed.parse("3600x")
# The live window ends at this quantile of the purchase times: real Olist thins out to a few orders a month at the end.
WINDOW_END_QUANTILE = 0.99
# Micro-batches after the replay ended, at most, for the last events to show in Gold.
DRAIN_BATCHES = 3
# With nothing new in Bronze a micro-batch is skipped: look again after this long (the sink's flush interval);
# after the replay, this long without anything new ends the drain.
NOTHING_NEW_POLL_S = LOCAL_TWIN_FRESHNESS.sink_rotate_interval.total_seconds()
DRAIN_IDLE_S = 10 * NOTHING_NEW_POLL_S
# An order's state as its events carry it and as gold.fct_orders shows it.
_EVENT_STATE = ("order_status", "order_approved_at", "order_delivered_carrier_date", "order_delivered_customer_date")
_GOLD_STATE = "order_status, approved_at, delivered_carrier_at, delivered_customer_at"

State = tuple[str | None, ...]
Stage = Callable[[str], AbstractContextManager[None]]


class FollowFailed(RuntimeError):
    """Follow mode could not run or a micro-batch failed; the message says which and why."""


@dataclass(frozen=True)
class FollowSettings:
    speed: Speed = DEFAULT_SPEED
    seconds: float = 120.0  # how long the live window lasts at `speed`
    # Least time between micro-batch starts; 0 runs them back to back.
    batch_every_s: float = LOCAL_TWIN_FRESHNESS.transform_interval.total_seconds()

    def __post_init__(self) -> None:
        if self.speed.factor is None:
            raise ValueError(f"follow mode replays at <N>x historical speed (e.g. 3600x), not {self.speed}")
        if self.seconds <= 0 or self.batch_every_s < 0:
            raise ValueError(
                f"follow seconds must be > 0 and batch interval >= 0, got {self.seconds} and {self.batch_every_s}"
            )


@dataclass(frozen=True)
class Window:
    history: Events
    live: Events
    rest: Events
    start: str
    end: str


@dataclass(frozen=True)
class MicroBatch:
    number: int
    started_s: float  # since the live window began
    seconds: float
    gold_orders: int
    newly_visible: int  # live order events this batch brought into gold.fct_orders


@dataclass(frozen=True)
class Freshness:
    speed: Speed
    window: tuple[str, str]
    live_events: int  # events of every streamed table sent in the live window
    latencies_s: tuple[float, ...]  # one per live order event that reached gold.fct_orders
    unseen: int  # live order events gold.fct_orders did not show by the end
    batches: tuple[MicroBatch, ...]

    @property
    def p50(self) -> float | None:
        return _percentile(self.latencies_s, 0.50)

    @property
    def p95(self) -> float | None:
        return _percentile(self.latencies_s, 0.95)

    def render(self) -> str:
        if not self.latencies_s:
            return f"freshness: no live order event reached gold.fct_orders ({self.unseen} not seen)"
        return (
            f"freshness (production -> gold.fct_orders) over {len(self.latencies_s)} order events: "
            f"p50 {self.p50:.1f} s, p95 {self.p95:.1f} s, max {max(self.latencies_s):.1f} s; "
            f"{self.unseen} not seen; {len(self.batches)} micro-batches"
        )

    def markdown(self) -> list[str]:
        def seconds(value: float | None) -> str:
            return "—" if value is None else f"{value:.1f} s"

        mean_batch = sum(batch.seconds for batch in self.batches) / len(self.batches) if self.batches else None
        lines = [
            "## Freshness (follow mode)",
            "",
            f"History {self.window[0]} → {self.window[1]} replayed live at {self.speed} ({self.live_events} events) "
            "while `dbt build` micro-batches ran on the warehouse. Freshness of an order event: end of the "
            "micro-batch after which gold.fct_orders shows it, minus the moment the producer sent it.",
            "",
            "| order events | p50 | p95 | max | not seen | micro-batches | mean micro-batch |",
            "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
            f"| {len(self.latencies_s)} | {seconds(self.p50)} | {seconds(self.p95)} "
            f"| {seconds(max(self.latencies_s, default=None))} | {self.unseen} | {len(self.batches)} "
            f"| {seconds(mean_batch)} |",
            "",
            "| micro-batch | started at | seconds | gold.fct_orders rows | order events newly visible |",
            "| ---: | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            f"| {b.number} | {b.started_s:.1f} s | {b.seconds:.1f} | {b.gold_orders} | {b.newly_visible} |"
            for b in self.batches
        ]
        return lines


def follow_stream(
    engines: Any,
    s3: Any,
    bronze: str,
    sources: SourceFiles,
    settings: FollowSettings,
    *,
    run_dir: Path,
    warehouse: Path,
    stage: Stage,
) -> tuple[ProduceReport, Freshness]:
    """Stream history, follow the live window with micro-batches, stream the rest; Bronze and Gold are left to the
    caller's usual `wait for Bronze` and `dbt build`."""
    if "orders" not in sources.streamed:
        raise FollowFailed("follow mode measures freshness on orders: the input has no orders file")
    config = KafkaConnection(engines.bootstrap_servers, client_id="localtwin-follow").producer_config()
    env = engines.aws_environment

    watermark = BronzeWatermark(s3_listing(s3, bronze))
    target = duckdb_target(warehouse, f"s3://{bronze}", env)

    # The dbt process parses the project while history streams; every build of the follow runs in it.
    with DbtSession(run_dir, target, env) as dbt:
        with stage("stream history"):
            start_stream(engines, bronze, sources.streamed)
            loaded = load_events(sources.directory, streamed_tables(sources.streamed))
            window = split_window(loaded.events, settings)
            print(
                f"history: {len(window.history)} events at max speed; live window {window.start} -> {window.end}: "
                f"{len(window.live)} events at {settings.speed}; then {len(window.rest)} at max speed",
                flush=True,
            )
            deliveries = [_send_all(config, window.history, loaded, "history")]
        with stage("wait for Bronze (history)"):
            wait_for_bronze(s3, bronze, dict(deliveries[0].sent_by_topic))
        with stage("dbt build (history)"):
            watermark.build_if_new(lambda changed: dbt_build(run_dir, target, env, session=dbt))

        def micro_batch() -> bool:
            return watermark.build_if_new(
                lambda changed: dbt_build(run_dir, target, env, micro_batch_selector(changed), session=dbt)
            )

        with stage("follow"):
            # Full-scan tests (reconciliations of Bronze with Silver only hold once the stream has stopped) wait
            # for the final `dbt build`.
            delivery, freshness = _follow(config, window, settings, micro_batch, warehouse)
            deliveries.append(delivery)
            print(freshness.render(), flush=True)
    with stage("stream the rest"):
        deliveries.append(_send_all(config, window.rest, loaded, "rest of history"))
    return ProduceReport(loaded, _combined(deliveries)), freshness


def split_window(events: Events, settings: FollowSettings) -> Window:
    """History / live window / rest of `events` (sorted by replay time, as `load_events` returns them)."""
    columns = zip(events.replay_times, events.topics, events.seqs, strict=True)
    purchases = sorted(time for time, topic, seq in columns if topic == ORDERS_TOPIC and seq == 0 and time)
    if not purchases:
        raise FollowFailed("follow mode measures freshness on orders: no order was read from the input")
    end = purchases[min(len(purchases) - 1, int(WINDOW_END_QUANTILE * len(purchases)))]
    assert settings.speed.factor is not None
    span = timedelta(seconds=settings.seconds * settings.speed.factor)
    start = (datetime.strptime(end, TIMESTAMP_FORMAT) - span).strftime(TIMESTAMP_FORMAT)
    times = list(events.replay_times)
    first, after = bisect.bisect_left(times, start), bisect.bisect_right(times, end)
    return Window(events[:first], events[first:after], events[after:], start, end)


class Visibility:
    """Which live order events gold.fct_orders shows, and how long after their production."""

    def __init__(self, live: Sequence[Outgoing]) -> None:
        self.step_of_state: dict[str, dict[State, int]] = defaultdict(dict)
        self.pending: dict[str, list[int]] = defaultdict(list)  # order id -> steps not visible yet
        for event in live:
            if event.topic == ORDERS_TOPIC:
                order = event.key.decode()
                payload = orjson.loads(event.value)["payload"]
                self.step_of_state[order][tuple(payload[column] or None for column in _EVENT_STATE)] = event.seq
                self.pending[order].append(event.seq)
        self.produced: dict[tuple[str, int], float] = {}  # written by the producer's thread only
        self.latencies: list[float] = []

    def note_produced(self, event: Outgoing) -> None:
        if event.topic == ORDERS_TOPIC:
            self.produced[(event.key.decode(), event.seq)] = time.monotonic()

    def observe(self, gold: dict[str, State], at: float) -> int:
        """Record the events `gold` (order id -> state) shows from `at` on; returns how many became visible."""
        visible = 0
        for order, steps in list(self.pending.items()):
            state = gold.get(order)
            reached = None if state is None else self.step_of_state[order].get(state)
            if reached is None:
                continue
            waiting = []
            for step in steps:
                produced = self.produced.get((order, step))
                if step <= reached and produced is not None:
                    self.latencies.append(at - produced)
                    visible += 1
                else:
                    waiting.append(step)
            if waiting:
                self.pending[order] = waiting
            else:
                del self.pending[order]
        return visible

    @property
    def unseen(self) -> int:
        return sum(len(steps) for steps in self.pending.values())


class _MicroBatches:
    """`dbt build` again and again on a thread of its own, noting after each which events Gold shows; `build`
    returns False when it skipped (nothing new in Bronze)."""

    def __init__(
        self, build: Callable[[], bool], warehouse: Path, visibility: Visibility, every_s: float, origin: float
    ) -> None:
        self.build, self.warehouse, self.visibility = build, warehouse, visibility
        self.every_s, self.origin = every_s, origin
        self.replay_done = threading.Event()
        self.stop = threading.Event()
        self.failure: BaseException | None = None
        self.batches: list[MicroBatch] = []
        self.thread = threading.Thread(target=self._run, name="dbt-micro-batches", daemon=True)

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as error:  # handed to the main thread, which raises it
            self.failure = error

    def _loop(self) -> None:
        after_replay, idle_since = 0, None
        while not self.stop.is_set():
            replay_done = self.replay_done.is_set()
            started = time.monotonic()
            if not self.build():
                if replay_done and idle_since is None:
                    idle_since = started
                if idle_since is not None and started - idle_since >= DRAIN_IDLE_S:
                    return
                self.stop.wait(NOTHING_NEW_POLL_S)
                continue
            idle_since = None
            ended = time.monotonic()
            gold_orders, gold = _gold_orders(self.warehouse, list(self.visibility.pending))
            batch = MicroBatch(
                len(self.batches) + 1, started - self.origin, ended - started, gold_orders,
                self.visibility.observe(gold, ended),
            )  # fmt: skip
            self.batches.append(batch)
            print(
                f"  micro-batch {batch.number} at +{batch.started_s:.0f} s: {batch.seconds:.1f} s, "
                f"gold.fct_orders {batch.gold_orders} rows, {batch.newly_visible} order events newly visible",
                flush=True,
            )
            if self.replay_done.is_set() and not self.visibility.pending:
                return
            after_replay += replay_done
            if after_replay >= DRAIN_BATCHES:
                return
            self.stop.wait(max(0.0, started + self.every_s - time.monotonic()))


def _follow(
    config: dict[str, object], window: Window, settings: FollowSettings, build: Callable[[], bool], warehouse: Path
) -> tuple[DeliveryReport, Freshness]:
    visibility = Visibility(window.live)
    batches = _MicroBatches(build, warehouse, visibility, settings.batch_every_s, time.monotonic())

    def on_produced(event: Outgoing) -> None:
        if batches.failure is not None:
            raise FollowFailed(f"micro-batch {len(batches.batches) + 1} failed: {batches.failure}")
        visibility.note_produced(event)

    batches.thread.start()
    try:
        # The replay runs on this thread, so Ctrl-C stops it where it is.
        delivery = send(config, window.live, settings.speed, on_produced=on_produced)
        batches.replay_done.set()
        batches.thread.join()
    finally:
        batches.stop.set()
        batches.thread.join()
    if batches.failure is not None:
        raise FollowFailed(f"micro-batch {len(batches.batches) + 1} failed: {batches.failure}") from batches.failure
    if not delivery.ok:
        raise FollowFailed(f"the producer did not deliver every event of the live window: {dict(delivery.failures)}")
    freshness = Freshness(
        settings.speed,
        (window.start, window.end),
        len(window.live),
        tuple(visibility.latencies),
        visibility.unseen,
        tuple(batches.batches),
    )
    return delivery, freshness


def _send_all(config: dict[str, object], events: Events, loaded: LoadResult, part: str) -> DeliveryReport:
    delivery = send_with_progress(config, events, Speed(), f"acknowledged ({part})")
    if not delivery.ok:
        raise FollowFailed(
            f"the producer did not deliver every event of the {part}:\n{ProduceReport(loaded, delivery).render()}"
        )
    return delivery


def _gold_orders(warehouse: Path, order_ids: list[str]) -> tuple[int, dict[str, State]]:
    """Rows in gold.fct_orders, and the state of `order_ids` there."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        total = connection.execute("select count(*) from gold.fct_orders").fetchone()[0]  # type: ignore[index]
        rows = connection.execute(
            f"select order_id, {_GOLD_STATE} from gold.fct_orders where order_id in (select unnest(?::varchar[]))",
            [order_ids],
        ).fetchall()
    return int(total), {row[0]: (row[1], *(_text(value) for value in row[2:])) for row in rows}


def _text(value: datetime | None) -> str | None:
    return None if value is None else value.strftime(TIMESTAMP_FORMAT)


def _combined(reports: list[DeliveryReport]) -> DeliveryReport:
    total = DeliveryReport()
    for report in reports:
        total.sent_by_topic.update(report.sent_by_topic)
        total.delivered += report.delivered
        total.failures.update(report.failures)
        total.elapsed_s += report.elapsed_s
    return total


def _percentile(values: Sequence[float], quantile: float) -> float | None:
    """Nearest-rank percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(quantile * len(ordered)) - 1)]
