"""Kafka client settings: PLAINTEXT on the local broker, IAM (SASL/OAUTHBEARER over TLS) on Amazon MSK."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Auth = Literal["plaintext", "iam"]


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
        config: dict[str, object] = {"bootstrap.servers": self.bootstrap_servers, "client.id": self.client_id}
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
            "compression.type": "lz4",
            "linger.ms": 20,
            "batch.size": 1_000_000,
            "queue.buffering.max.messages": 200_000,
            "queue.buffering.max.kbytes": 128 * 1024,
            # How long an event may wait for a broker that is down before it counts as not delivered.
            "message.timeout.ms": 300_000,
        }


def msk_iam_token_callback(region: str) -> Callable[[str], tuple[str, float]]:
    """librdkafka's `oauth_cb`: a fresh MSK IAM token signed with the default AWS credentials."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def callback(_oauthbearer_config: str) -> tuple[str, float]:
        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region)
        return token, expiry_ms / 1000

    return callback
