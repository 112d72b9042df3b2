"""`python -m producers`: replay Olist CSVs into Kafka, or create the topics.

Every option is checked, and the brokers asked to answer (within --connect-timeout), before anything is read or
sent: a bad value or an address where no broker listens ends at once with `error: <option>=<value>: <why>` and exit
code 2. The Kafka client's own log lines go to --client-log, not the console.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from contracts.settings import (
    BadSetting,
    existing_folder,
    file_to_create,
    positive_int,
    positive_number,
    setting,
)
from contracts.settings import report as report_bad_setting
from producers.delivery import Speed
from producers.kafka_config import (
    CONNECT_TIMEOUT_S,
    BrokerUnreachable,
    KafkaConnection,
    check_reachable,
    log_client_to,
)
from producers.replay import EXIT_BAD_INPUT, replay
from producers.source import streamed_tables
from producers.topics import DEFAULT_PARTITIONS, TopicError, ensure_topics, olist_topics

DEFAULT_CLIENT_LOG = Path(tempfile.gettempdir()) / "nexus-kafka-client.log"
_HOST_PORT = re.compile(r"^\[?[A-Za-z0-9.:_-]+\]?:[0-9]{1,5}$")


def _connection_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--bootstrap-servers", required=True, help="host:port[,host:port...]")
    parser.add_argument("--auth", choices=("plaintext", "iam"), default="plaintext", help="iam for Amazon MSK")
    parser.add_argument("--region", help="AWS region (with --auth iam)")
    parser.add_argument(
        "--connect-timeout", help=f"seconds to wait for a broker to answer before giving up ({CONNECT_TIMEOUT_S:g})"
    )
    parser.add_argument("--client-log", help=f"file for the Kafka client's log lines (default {DEFAULT_CLIENT_LOG})")


def _topic_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--partitions", help=f"partitions per topic ({DEFAULT_PARTITIONS})")
    parser.add_argument("--replication-factor", help="replicas per partition (1)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m producers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    produce = commands.add_parser("produce", help="send the events of a directory of original Olist CSVs")
    produce.add_argument("--input", required=True, help="directory holding olist_*_dataset.csv files")
    _connection_arguments(produce)
    produce.add_argument("--speed", help="max (default), <N>x or <N>/s")
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


def _bootstrap_servers(text: str) -> str:
    servers = [server.strip() for server in text.split(",")]
    bad = [server for server in servers if not _HOST_PORT.match(server)]
    if bad:
        raise ValueError(f"{', '.join(map(repr, bad))} is not host:port; give host:port[,host:port...]")
    return ",".join(servers)


def _tables(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    streamed_tables(names)  # raises ValueError naming the unknown ones
    return names


def _connect(args: argparse.Namespace) -> KafkaConnection:
    """The connection of the options, once a broker answered; raises `BadSetting` otherwise."""
    servers = setting(args.bootstrap_servers, "--bootstrap-servers", _bootstrap_servers)
    try:
        connection = KafkaConnection(servers, args.auth, args.region)
    except ValueError as error:
        raise BadSetting("--auth", args.auth, str(error)) from error
    timeout = setting(args.connect_timeout, "--connect-timeout", positive_number, default=str(CONNECT_TIMEOUT_S))
    client_log = setting(args.client_log, "--client-log", file_to_create, default=str(DEFAULT_CLIENT_LOG))
    log_client_to(client_log)
    try:
        check_reachable(connection, timeout)
    except BrokerUnreachable as error:
        raise BadSetting("--bootstrap-servers", servers, f"{error}; the client's log: {client_log}") from error
    return connection


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        partitions = setting(args.partitions, "--partitions", positive_int, default=str(DEFAULT_PARTITIONS))
        replication = setting(args.replication_factor, "--replication-factor", positive_int, default="1")
        if args.command == "produce":
            source = setting(args.input, "--input", existing_folder)
            speed = setting(args.speed, "--speed", Speed.parse, default="max")
            tables = setting(args.tables, "--tables", _tables) if args.tables is not None else None
        connection = _connect(args)
    except BadSetting as error:
        return report_bad_setting(error)
    try:
        if args.command == "create-topics" or args.create_topics:
            specs = olist_topics(partitions, replication, topic_suffix=args.topic_suffix)
            outcome = ensure_topics(connection.client_config(), specs)
            for topic, state in outcome.items():
                print(f"{topic}: {state}", file=sys.stderr)
            if args.command == "create-topics":
                return 0
        report = replay(
            source, connection, speed, tables, progress=not args.no_progress, topic_suffix=args.topic_suffix
        )
    except (ValueError, FileNotFoundError, TopicError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(report.render())
    return report.exit_code
