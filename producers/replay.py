"""Replay a directory of Olist CSVs into Kafka and report what happened to every row and event."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from producers.delivery import DeliveryReport, Speed, send
from producers.kafka_config import KafkaConnection
from producers.source import Events, LoadResult, load_events, streamed_tables

EXIT_OK = 0
EXIT_NOT_DELIVERED = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class ProduceReport:
    load: LoadResult
    delivery: DeliveryReport

    @property
    def exit_code(self) -> int:
        if not self.delivery.ok:
            return EXIT_NOT_DELIVERED
        if self.load.failed_files or not self.load.files:
            return EXIT_BAD_INPUT
        return EXIT_OK

    def render(self, max_rejects: int = 50) -> str:
        lines = ["Rows read (rows = accepted + rejected):"]
        for summary in self.load.files:
            lines.append(
                f"  {summary.file}: {summary.rows} rows = {summary.accepted} accepted + {summary.rejected} rejected"
                f" -> {summary.events} events"
            )
        for failure in self.load.failed_files:
            lines.append(f"  {failure.file}: NOT READ, no events sent: {failure.reason}")
        for missing in self.load.missing_files:
            lines.append(f"  {missing}: not in the input directory")
        if self.load.rejected:
            lines.append(f"Rejected rows ({len(self.load.rejected)}):")
            lines.extend(f"  {rejected}" for rejected in self.load.rejected[:max_rejects])
            if len(self.load.rejected) > max_rejects:
                lines.append(f"  ... and {len(self.load.rejected) - max_rejects} more")
        delivery = self.delivery
        rate = delivery.sent / delivery.elapsed_s if delivery.elapsed_s else 0.0
        lines.append(
            f"Events: {delivery.sent} sent, {delivery.delivered} acknowledged, {delivery.failed} not acknowledged"
            f" in {delivery.elapsed_s:.1f} s ({rate:,.0f} events/s)"
        )
        for topic, count in sorted(delivery.sent_by_topic.items()):
            lines.append(f"  {topic}: {count}")
        if delivery.failures:
            lines.append(f"NOT ACKNOWLEDGED: {delivery.failed} events:")
            for (topic, reason), count in delivery.failures.most_common():
                lines.append(f"  {count} on {topic}: {reason}")
        return "\n".join(lines)


def replay(
    directory: Path,
    connection: KafkaConnection,
    speed: Speed | None = None,
    tables: list[str] | None = None,
    progress: bool = False,
    topic_suffix: str = "",
) -> ProduceReport:
    """Read the streamed tables' files in `directory` and send their events; never raises for bad rows."""
    if not directory.is_dir():
        raise FileNotFoundError(f"input directory {directory} does not exist")
    loaded = load_events(directory, streamed_tables(tables), topic_suffix)
    delivery = send_with_progress(
        connection.producer_config(), loaded.events, speed or Speed(), "acknowledged", show=progress
    )
    return ProduceReport(loaded, delivery)


def send_with_progress(
    producer_config: dict[str, object], events: Events, speed: Speed, description: str, show: bool = True
) -> DeliveryReport:
    """`send`, with a progress bar of the events acknowledged (when `show` and the console is a terminal: in a log
    or a pipe the final report says it once)."""
    bar = tqdm(total=len(events), unit="event", desc=description, disable=None if show else True)
    try:
        return send(producer_config, events, speed, on_progress=lambda delivered: bar.update(delivered - bar.n))
    finally:
        bar.close()
