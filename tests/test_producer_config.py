"""Kafka client settings: PLAINTEXT locally, IAM (OAUTHBEARER over TLS) on MSK; delivery guarantees always on."""

from __future__ import annotations

import pytest

from producers.kafka_config import KafkaConnection


def test_local_connection_is_plaintext_with_delivery_guarantees() -> None:
    config = KafkaConnection("127.0.0.1:9092").producer_config()
    assert "security.protocol" not in config
    assert config["enable.idempotence"] is True and config["acks"] == "all"
    assert config["compression.type"] in ("lz4", "zstd") and int(config["linger.ms"]) > 0  # type: ignore[call-overload]


def test_iam_connection_signs_tokens_for_msk() -> None:
    config = KafkaConnection("b-1.msk:9098", auth="iam", region="eu-west-1").client_config()
    assert config["security.protocol"] == "SASL_SSL"
    assert config["sasl.mechanisms"] == "OAUTHBEARER"
    assert callable(config["oauth_cb"])


def test_iam_without_region_is_refused() -> None:
    with pytest.raises(ValueError, match="region"):
        KafkaConnection("b-1.msk:9098", auth="iam")
