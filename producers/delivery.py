"""Send prepared events to Kafka at a chosen replay speed and account for every acknowledgement."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from confluent_kafka import KafkaError, Message, Producer

from contracts.olist import TIMESTAMP_FORMAT
from contracts.replay_request import SPEED_PATTERN
from producers.source import Events, Outgoing

# How often the send loop serves delivery reports and the progress bar.
_POLL_EVERY = 1024


@dataclass(frozen=True)
class Speed:
    """`max` (as fast as possible), `<N>x` (N times historical time) or `<N>/s` (a fixed event rate)."""

    factor: float | None = None
    rate: float | None = None

    @classmethod
    def parse(cls, text: str) -> Speed:
        text = text.strip()
        if not re.match(SPEED_PATTERN, text):
            raise ValueError("invalid speed: use 'max', '<N>x' (e.g. 3600x) or '<N>/s' (e.g. 500/s)")
        if text == "max":
            return cls()
        factor = text.endswith("x")
        value = float(text.removesuffix("x").removesuffix("/s"))
        if value <= 0:
            raise ValueError("invalid speed: must be greater than zero")
        return cls(factor=value) if factor else cls(rate=value)

    @property
    def is_max(self) -> bool:
        return self.factor is None and self.rate is None

    def __str__(self) -> str:
        if self.factor is not None:
            return f"{self.factor:g}x"
        if self.rate is not None:
            return f"{self.rate:g}/s"
        return "max"


@dataclass
class DeliveryReport:
    sent_by_topic: Counter[str] = field(default_factory=Counter)
    delivered: int = 0
    # (topic, reason) -> events not acknowledged.
    failures: Counter[tuple[str, str]] = field(default_factory=Counter)
    elapsed_s: float = 0.0

    @property
    def sent(self) -> int:
        return sum(self.sent_by_topic.values())

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    @property
    def ok(self) -> bool:
        return self.failed == 0 and self.delivered == self.sent


class _Failures:
    """The producer's delivery callback, called only for events not acknowledged (`delivery.report.only.error`):
    counts them by topic and reason."""

    def __init__(self, report: DeliveryReport) -> None:
        self.report = report

    def __call__(self, error: KafkaError | None, message: Message) -> None:
        if error is not None:
            self.report.failures[(str(message.topic()), f"{error.name()}: {error.str()}")] += 1


def send(
    producer_config: dict[str, object],
    events: Events,
    speed: Speed,
    on_progress: Callable[[int], None] | None = None,
    flush_timeout_s: float = 330.0,
    on_produced: Callable[[Outgoing], None] | None = None,
) -> DeliveryReport:
    """Produce `events` in order; wait for every acknowledgement (or failure) before returning.

    `on_produced` is called with each event as soon as the client has taken it, i.e. when it was produced. An
    exception it raises ends the replay there and propagates; events not yet acknowledged are then dropped.
    """
    report = DeliveryReport()
    producer = Producer({**producer_config, "on_delivery": _Failures(report)})

    def acknowledged(produced: int) -> int:
        # What was produced and neither waits in the client's queue nor failed.
        return produced - len(producer) - report.failed

    producer.poll(0)
    started = time.monotonic()
    pace = _pacer(events, speed, started)
    produce = producer.produce
    for index, (topic, key, value) in enumerate(zip(events.topics, events.keys, events.values, strict=True)):
        if pace is not None:
            pace(index, producer)
        while True:
            try:
                produce(topic, value, key)
                break
            except BufferError:
                producer.poll(0.05)
        if on_produced is not None:
            on_produced(events[index])
        if index % _POLL_EVERY == 0:
            producer.poll(0)
            if on_progress is not None:
                on_progress(acknowledged(index + 1))
    report.sent_by_topic.update(events.topics)
    remaining = producer.flush(flush_timeout_s)
    report.delivered = acknowledged(len(events))
    if remaining:
        report.failures[("*", f"no acknowledgement within {flush_timeout_s:.0f} s of the end of sending")] += remaining
    report.elapsed_s = time.monotonic() - started
    if on_progress is not None:
        on_progress(report.delivered)
    return report


def _pacer(events: Events, speed: Speed, started: float) -> Callable[[int, Producer], None] | None:
    if speed.is_max or not events:
        return None
    if speed.rate is not None:
        interval = 1.0 / speed.rate
        return lambda index, producer: _wait_until(started + index * interval, producer)
    factor = speed.factor
    assert factor is not None
    replay_times = events.replay_times
    timed = [replay_time for replay_time in replay_times if replay_time]
    if not timed:
        return None
    origin = datetime.strptime(timed[0], TIMESTAMP_FORMAT)

    def by_history(index: int, producer: Producer) -> None:
        replay_time = replay_times[index]
        if not replay_time:
            return
        offset = (datetime.strptime(replay_time, TIMESTAMP_FORMAT) - origin).total_seconds() / factor
        _wait_until(started + offset, producer)

    return by_history


def _wait_until(deadline: float, producer: Producer) -> None:
    """Sleep until `deadline`, serving delivery reports meanwhile."""
    while (remaining := deadline - time.monotonic()) > 0:
        producer.poll(min(remaining, 0.1))
