"""The price table: USD list prices per region, dated, each marked with how sure we are of it.

Recorded on PRICE_TABLE_DATE from the public AWS pricing pages named in SOURCES, as remembered by the
engineer who wrote them down: this repository's machines have no internet access, so none of these was
fetched by a program. `LIST` prices are the on-demand list prices as published for that region;
`APPROX` prices are regional estimates (the us-east-1 price scaled by that region's usual uplift) that
must be checked against the pricing page before anyone relies on them. Re-check all of them when the
date below is more than six months old (docs/cost.md says how).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PRICE_TABLE_DATE = "2026-11-25"
HOURS_PER_MONTH = 730

SOURCES = {
    "msk": "https://aws.amazon.com/msk/pricing/ (provisioned brokers, storage, MSK Connect, Serverless)",
    "mwaa": "https://aws.amazon.com/managed-workflows-for-apache-airflow/pricing/",
    "vpc": "https://aws.amazon.com/vpc/pricing/ (NAT gateway, public IPv4) and https://aws.amazon.com/privatelink/pricing/",
    "lambda": "https://aws.amazon.com/lambda/pricing/",
    "kms": "https://aws.amazon.com/kms/pricing/",
    "s3": "https://aws.amazon.com/s3/pricing/",
    "cloudwatch": "https://aws.amazon.com/cloudwatch/pricing/",
    "athena": "https://aws.amazon.com/athena/pricing/",
}

Confidence = Literal["list", "approx"]


@dataclass(frozen=True)
class Price:
    usd: float
    unit: str
    confidence: Confidence = "list"


def _scaled(prices: dict[str, Price], factor: float, keep_list: frozenset[str] = frozenset()) -> dict[str, Price]:
    """Another region's prices as an uplift of us-east-1's, marked approximate unless the key is region-independent."""
    return {
        key: price if key in keep_list else Price(round(price.usd * factor, 6), price.unit, "approx")
        for key, price in prices.items()
    }


US_EAST_1: dict[str, Price] = {
    "msk.broker.kafka.t3.small": Price(0.0456, "broker-hour"),
    "msk.broker.kafka.m5.large": Price(0.21, "broker-hour"),
    "msk.broker.kafka.m5.xlarge": Price(0.42, "broker-hour"),
    "msk.broker.kafka.m7g.large": Price(0.204, "broker-hour"),
    "msk.broker.kafka.m7g.xlarge": Price(0.408, "broker-hour"),
    "msk.storage": Price(0.10, "GB-month"),
    "msk_connect.mcu": Price(0.11, "MCU-hour"),
    # The environment price includes the scheduler(s), the web server(s) and the first worker.
    "mwaa.environment.mw1.micro": Price(0.258, "environment-hour", "approx"),
    "mwaa.environment.mw1.small": Price(0.49, "environment-hour"),
    "mwaa.environment.mw1.medium": Price(0.74, "environment-hour"),
    "mwaa.environment.mw1.large": Price(0.99, "environment-hour"),
    "mwaa.worker.mw1.small": Price(0.055, "worker-hour"),
    "mwaa.worker.mw1.medium": Price(0.11, "worker-hour"),
    "mwaa.worker.mw1.large": Price(0.22, "worker-hour"),
    "mwaa.metadata_storage": Price(0.10, "GB-month"),
    "vpc.nat_gateway": Price(0.045, "gateway-hour"),
    "vpc.nat_data": Price(0.045, "GB"),
    "vpc.public_ipv4": Price(0.005, "address-hour"),
    "vpc.interface_endpoint": Price(0.01, "endpoint-AZ-hour"),
    "lambda.requests": Price(0.20, "million requests"),
    "lambda.compute.x86_64": Price(0.0000166667, "GB-second"),
    "lambda.compute.arm64": Price(0.0000133334, "GB-second"),
    "kms.key": Price(1.00, "key-month"),
    "s3.standard": Price(0.023, "GB-month"),
    "s3.put": Price(0.005, "thousand requests"),
    "s3.get": Price(0.0004, "thousand requests"),
    "logs.ingestion": Price(0.50, "GB"),
    "logs.storage": Price(0.03, "GB-month"),
    "cloudwatch.alarm": Price(0.10, "alarm-month"),
    "cloudwatch.dashboard": Price(3.00, "dashboard-month"),
    "athena.scanned": Price(5.00, "TB scanned"),
}

_REGION_INDEPENDENT = frozenset({"kms.key", "cloudwatch.dashboard"})

PRICES: dict[str, dict[str, Price]] = {
    "us-east-1": US_EAST_1,
    # Ireland runs about 5-10% above us-east-1 for these services; S3 Standard and requests: the same list prices.
    "eu-west-1": _scaled(US_EAST_1, 1.08, _REGION_INDEPENDENT)
    | {
        "s3.standard": Price(0.023, "GB-month"),
        "s3.put": Price(0.005, "thousand requests"),
        "s3.get": Price(0.0004, "thousand requests"),
    },
    # Sao Paulo runs about 50-60% above us-east-1; its S3 Standard list price is 0.0405.
    "sa-east-1": _scaled(US_EAST_1, 1.55, _REGION_INDEPENDENT) | {"s3.standard": Price(0.0405, "GB-month")},
}


class UnknownPrice(KeyError):
    """The price table has no price for something the templates use."""


def price(region: str, key: str) -> Price:
    if region not in PRICES:
        raise UnknownPrice(f"no prices for region {region!r}; costs/prices.py has {sorted(PRICES)}: add the region")
    try:
        return PRICES[region][key]
    except KeyError:
        raise UnknownPrice(
            f"no price for {key!r} in {region}: add it to costs/prices.py (with its source and confidence)"
        ) from None
