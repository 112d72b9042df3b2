"""The producer against a real Kafka broker: the real Olist sample round trip, a broker crash, failed deliveries."""

from __future__ import annotations

import csv
import threading
import uuid
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from contracts import STREAMED_TABLES
from localtwin.engines import LocalEngines
from producers.cli import main as producer_cli
from producers.delivery import Speed, send
from producers.kafka_config import KafkaConnection
from producers.replay import EXIT_NOT_DELIVERED, ProduceReport, replay
from producers.source import load_events, streamed_tables
from producers.topics import TopicSpec, ensure_topics, olist_topics
from tests.fixtures.engines import consume_all

pytestmark = pytest.mark.slow


def csv_rows(path: Path) -> list[dict[str, str | None]]:
    """The file read with the plain csv module (not the project's reader): the reference to compare against."""
    with path.open(encoding="utf-8", newline="") as stream:
        return [{key: value or None for key, value in row.items()} for row in csv.DictReader(stream)]


@pytest.fixture(scope="module")
def sample_replay(local_engines: LocalEngines, olist_sample_dir: Path) -> tuple[str, ProduceReport]:
    suffix = f".test-{uuid.uuid4().hex[:8]}"
    connection = KafkaConnection(local_engines.bootstrap_servers)
    ensure_topics(connection.client_config(), olist_topics(3, 1, topic_suffix=suffix))
    return suffix, replay(olist_sample_dir, connection, topic_suffix=suffix)


def test_real_sample_round_trip_keeps_every_record_intact(
    local_engines: LocalEngines, olist_sample_dir: Path, sample_replay: tuple[str, ProduceReport]
) -> None:
    suffix, report = sample_replay
    assert report.exit_code == 0, report.render()
    assert report.load.rejected == [] and report.delivery.delivered == report.delivery.sent
    topics = [f"{table.topic}{suffix}" for table in STREAMED_TABLES]
    messages = consume_all(local_engines.bootstrap_servers, topics, report.delivery.sent)
    assert len(messages) == report.delivery.sent
    by_topic: dict[str, list[dict]] = defaultdict(list)
    for message in messages:
        value = orjson.loads(message.value())
        assert message.key().decode() == value["payload"]["order_id"]
        by_topic[message.topic()].append(value)

    for table in STREAMED_TABLES:
        rows = csv_rows(olist_sample_dir / table.file_name)
        events = by_topic[f"{table.topic}{suffix}"]
        if table.name == "orders":
            steps: dict[int, list[dict]] = defaultdict(list)
            for event in events:
                steps[event["source"]["row"]].append(event)
            assert sorted(steps) == list(range(1, len(rows) + 1))
            for row_number, row in enumerate(rows, start=1):
                lifecycle = sorted(steps[row_number], key=lambda event: event["event_id"])
                assert [int(event["event_id"][-2:]) for event in lifecycle] == list(range(len(lifecycle)))
                assert lifecycle[-1]["payload"] == row
                assert lifecycle[0]["event_type"] == "order_purchased"
        else:
            assert len(events) == len(rows)
            by_row = {event["source"]["row"]: event["payload"] for event in events}
            assert by_row == dict(enumerate(rows, start=1))

    reviews = [
        event["payload"]["review_comment_message"] or "" for event in by_topic[f"olist.order_reviews.v1{suffix}"]
    ]
    multi_line = [text for text in reviews if "\r\n" in text]
    assert len(multi_line) > 0
    assert len(multi_line) == sum(
        "\r\n" in (row["review_comment_message"] or "")
        for row in csv_rows(olist_sample_dir / "olist_order_reviews_dataset.csv")
    )
    assert any("ã" in text or "é" in text for text in reviews)


def test_broker_killed_mid_stream_loses_nothing_and_duplicates_nothing(
    local_engines: LocalEngines, olist_sample_dir: Path
) -> None:
    topic = f"crash-test-{uuid.uuid4().hex[:8]}"
    connection = KafkaConnection(local_engines.bootstrap_servers)
    ensure_topics(connection.client_config(), [TopicSpec(topic, 3, 1)])
    loaded = load_events(olist_sample_dir, streamed_tables())
    first = loaded.events[:20_000]
    events = replace(first, topics=[topic] * len(first))
    under_way = threading.Event()
    delivered_at_kill: list[int] = []
    progress: list[int] = [0]

    def on_progress(delivered: int) -> None:
        progress[0] = delivered
        if delivered >= 4_000:
            under_way.set()

    def crash_and_recover() -> None:
        under_way.wait(timeout=60)
        delivered_at_kill.append(progress[0])
        local_engines.restart_broker(hard=True)

    crasher = threading.Thread(target=crash_and_recover)
    crasher.start()
    report = send(connection.producer_config(), events, Speed(rate=5_000), on_progress=on_progress)
    crasher.join()

    assert delivered_at_kill and delivered_at_kill[0] < len(events), "the broker was not killed mid-stream"
    assert report.ok, report.failures
    messages = consume_all(local_engines.bootstrap_servers, [topic], len(events))
    received = [orjson.loads(message.value())["event_id"] for message in messages]
    expected = {orjson.loads(event.value)["event_id"] for event in events}
    assert set(received) == expected, f"lost {len(expected - set(received))} events"
    assert len(set(received)) == len(events)
    # Idempotent producer: not even raw duplicates.
    assert len(received) == len(events), f"{len(received) - len(events)} duplicates before dedup"
    assert local_engines.connect is not None and local_engines.connect.healthy()


def test_events_not_acknowledged_are_counted_with_their_reason(local_engines: LocalEngines, tmp_path: Path) -> None:
    header = '"order_id","payment_sequential","payment_type","payment_installments","payment_value"'
    (tmp_path / "olist_order_payments_dataset.csv").write_text(
        f"{header}\n{'a' * 32},1,boleto,1,10.00\n{'b' * 32},1,boleto,1,5.00\n"
    )
    loaded = load_events(tmp_path, streamed_tables(["order_payments"]), topic_suffix=".missing-topic")
    connection = KafkaConnection(local_engines.bootstrap_servers)
    # Automatic topic creation is off: a topic nobody created is an error, reported quickly here.
    delivery = send({**connection.producer_config(), "message.timeout.ms": 3_000}, loaded.events, Speed())
    report = ProduceReport(loaded, delivery)
    assert delivery.failed == 2 and delivery.delivered == 0
    assert report.exit_code == EXIT_NOT_DELIVERED
    rendered = report.render()
    assert "NOT ACKNOWLEDGED: 2 events" in rendered
    assert "olist.order_payments.v1.missing-topic" in rendered


def test_cli_reports_broken_rows_and_delivers_the_rest(
    local_engines: LocalEngines, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = '"order_id","payment_sequential","payment_type","payment_installments","payment_value"'
    rows = [f"{'a' * 32},1,boleto,1,10.00", f"{'b' * 32},1,pix,1,5.00", f"{'c' * 32},x,boleto,1,5.00"]
    (tmp_path / "olist_order_payments_dataset.csv").write_text(header + "\n" + "\n".join(rows) + "\n")
    suffix = f".cli-{uuid.uuid4().hex[:8]}"
    code = producer_cli(
        [
            "produce", "--input", str(tmp_path), "--bootstrap-servers", local_engines.bootstrap_servers,
            "--tables", "order_payments", "--create-topics", "--topic-suffix", suffix, "--no-progress",
        ]
    )  # fmt: skip
    output = capsys.readouterr().out
    assert code == 0, output
    assert "olist_order_payments_dataset.csv: 3 rows = 1 accepted + 2 rejected -> 1 events" in output
    assert "olist_order_payments_dataset.csv row 2 column payment_type: 'pix' is not an allowed value" in output
    assert "row 3 column payment_sequential: 'x' is not an integer" in output
    assert "Events: 1 sent, 1 acknowledged, 0 not acknowledged" in output
