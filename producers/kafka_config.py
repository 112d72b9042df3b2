"""Kafka client settings: PLAINTEXT on the local broker, IAM (SASL/OAUTHBEARER over TLS) on Amazon MSK."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

Auth = Literal["plaintext", "iam"]

# librdkafka's own log lines (connection attempts, retries, broker state) go to this logger, never straight to
# stderr: a CLI routes them to a file (`log_client_to`); in a Lambda they reach CloudWatch through the root logger.
CLIENT_LOGGER = logging.getLogger("producers.kafka_client")
# How long the connection check waits for a broker to answer before the replay is abandoned.
CONNECT_TIMEOUT_S = 10.0


class BrokerUnreachable(ConnectionError):
    """No broker of the bootstrap list answered; the message says how long it waited and the client's last error."""


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    auth: Auth = "plaintext"
    # Required with IAM: the region whose credentials sign the MSK auth token.
    region: str | None = None
    client_id: str = "nexus-producer"

    def __post_init__(self) -> None:
        if self.auth == "iam" and not self.region:
            raise ValueError("IAM authentication to MSK needs the AWS region (--region)")
        if self.auth not in ("plaintext", "iam"):
            raise ValueError(f"unknown Kafka auth {self.auth!r}; use 'plaintext' (local) or 'iam' (MSK)")

    def client_config(self) -> dict[str, object]:
        """Settings shared by producers, consumers and admin clients."""
        config: dict[str, object] = {
            "bootstrap.servers": self.bootstrap_servers,
            "client.id": self.client_id,
            "logger": CLIENT_LOGGER,
        }
        if self.auth == "iam":
            assert self.region is not None
            config.update(
                {
                    "security.protocol": "SASL_SSL",
                    "sasl.mechanisms": "OAUTHBEARER",
                    "oauth_cb": msk_iam_token_callback(self.region),
                }
            )
        return config

    def producer_config(self) -> dict[str, object]:
        return {
            **self.client_config(),
            # No loss, no duplicates from retries, per-partition order kept across broker failures.
            "enable.idempotence": True,
            "acks": "all",
            # A report per acknowledged event is a Python callback per event, the send loop's largest cost; failed
            # events are still reported one by one, and the acknowledged ones are what leaves the queue otherwise
            # (librdkafka CONFIGURATION.md: "Only provide delivery reports for failed messages").
            "delivery.report.only.error": True,
            "compression.type": "lz4",
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 200_000,
            "queue.buffering.max.kbytes": 128 * 1024,
            # How long an event may wait for a broker that is down before it counts as not delivered.
            "message.timeout.ms": 300_000,
        }


def check_reachable(connection: KafkaConnection, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """Raise `BrokerUnreachable` unless a broker answers a metadata request within `timeout_s`.

    Without it, a producer pointed at the wrong address (or a broker that is down) queues every event and gives up
    only when `message.timeout.ms` expires, minutes later.
    """
    errors: list[KafkaError] = []
    admin = AdminClient({**connection.client_config(), "error_cb": errors.append})
    admin.poll(0)  # with OAUTHBEARER the first token is fetched on poll
    try:
        admin.list_topics(timeout=timeout_s)
    except KafkaException as error:
        admin.poll(0)  # serves error_cb with the client's reasons
        last = errors[-1] if errors else error.args[0]
        raise BrokerUnreachable(
            f"no Kafka broker answered within {timeout_s:g} s (last error: {last.str()})"
        ) from error


def log_client_to(path: Path) -> None:
    """Write the Kafka client's log lines to `path` (appending) instead of the console."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    for previous in CLIENT_LOGGER.handlers:
        CLIENT_LOGGER.removeHandler(previous)
        previous.close()
    CLIENT_LOGGER.addHandler(handler)
    CLIENT_LOGGER.setLevel(logging.INFO)
    CLIENT_LOGGER.propagate = False


def msk_iam_token_callback(region: str) -> Callable[[str], tuple[str, float]]:
    """librdkafka's `oauth_cb`: a fresh MSK IAM token signed with the default AWS credentials."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def callback(_oauthbearer_config: str) -> tuple[str, float]:
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000

    return callback
