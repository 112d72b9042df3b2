"""`python -m producers`: replay Olist CSVs into Kafka, or create the topics."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from producers.delivery import Speed
from producers.kafka_config import KafkaConnection
from producers.replay import EXIT_BAD_INPUT, replay
from producers.topics import TopicError, ensure_topics, olist_topics


def _connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap-servers", required=True, help="host:port[,host:port...]")
    parser.add_argument("--auth", choices=("plaintext", "iam"), default="plaintext", help="iam for Amazon MSK")
    parser.add_argument("--region", help="AWS region (with --auth iam)")


def _topic_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--replication-factor", type=int, default=1)


def _speed(text: str) -> Speed:
    try:
        return Speed.parse(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m producers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    produce = commands.add_parser("produce", help="send the events of a directory of original Olist CSVs")
    produce.add_argument("--input", type=Path, required=True, help="directory holding olist_*_dataset.csv files")
    _connection_arguments(produce)
    produce.add_argument("--speed", type=_speed, default=Speed(), help="max (default), <N>x or <N>/s")
    produce.add_argument("--tables", help="comma-separated subset of orders,order_items,order_payments,order_reviews")
    produce.add_argument("--create-topics", action="store_true", help="create missing topics first")
    produce.add_argument("--topic-suffix", default="", help="append to each topic name (side-by-side replays)")
    _topic_arguments(produce)
    produce.add_argument("--no-progress", action="store_true", help="no progress bar")
    topics = commands.add_parser("create-topics", help="create the Olist topics (idempotent)")
    _connection_arguments(topics)
    _topic_arguments(topics)
    topics.add_argument("--topic-suffix", default="", help="append to each topic name")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        connection = KafkaConnection(args.bootstrap_servers, args.auth, args.region)
        if args.command == "create-topics" or args.create_topics:
            specs = olist_topics(args.partitions, args.replication_factor, topic_suffix=args.topic_suffix)
            outcome = ensure_topics(connection.client_config(), specs)
            for topic, state in outcome.items():
                print(f"{topic}: {state}", file=sys.stderr)
            if args.command == "create-topics":
                return 0
        tables = args.tables.split(",") if args.tables else None
        report = replay(
            args.input, connection, args.speed, tables, progress=not args.no_progress, topic_suffix=args.topic_suffix
        )
    except (ValueError, FileNotFoundError, TopicError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report.render())
    return report.exit_code
