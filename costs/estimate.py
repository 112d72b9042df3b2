"""Itemize what a synthesized environment costs per hour while it runs, by resource type."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from costs.assembly import ENV_TAG, PROFILE_TAG, SynthesizedStack, environment_of, purpose
from costs.assumptions import USAGE, Usage
from costs.prices import HOURS_PER_MONTH, Price, price
from costs.stream_requests import stream_requests

# An ephemeral environment should cost at most this while it runs (docs/cost.md).
EPHEMERAL_TARGET_USD_PER_HOUR = 0.60
# Resource types that cost nothing by themselves or only through the usage items below.
_COVERED_ELSEWHERE = {
    "AWS::S3::Bucket",
    "AWS::Lambda::Function",
    "AWS::Logs::LogGroup",
    "AWS::EC2::VPCEndpoint",
    "AWS::Athena::WorkGroup",
}


@dataclass(frozen=True)
class LineItem:
    stack: str
    item: str
    quantity: float
    quantity_unit: str
    unit_price: Price
    usd_per_hour: float

    @property
    def usd_per_month(self) -> float:
        return self.usd_per_hour * HOURS_PER_MONTH


@dataclass(frozen=True)
class Estimate:
    environment: str
    profile: str
    region: str
    items: list[LineItem]
    unpriced: dict[str, int]

    @property
    def usd_per_hour(self) -> float:
        return sum(item.usd_per_hour for item in self.items)

    @property
    def usd_per_month(self) -> float:
        return self.usd_per_hour * HOURS_PER_MONTH

    @property
    def has_approximate_prices(self) -> bool:
        return any(item.unit_price.confidence == "approx" for item in self.items)


def estimate(stacks: list[SynthesizedStack], *, region: str | None = None) -> Estimate:
    """The estimate of one environment's stacks, priced in `region` (default: the stacks' own region)."""
    slug = environment_of(stacks)
    profile = next(s.tags[PROFILE_TAG] for s in stacks if PROFILE_TAG in s.tags)
    region = region or stacks[0].region
    pricer = _Pricer(region)
    items = [item for stack in stacks for rule in _RULES for item in rule(stack, pricer)]
    items += list(_usage_items(stacks, pricer, USAGE[profile]))
    items += list(_stream_request_items(stacks, pricer))
    priced_types = _PRICED_TYPES | _COVERED_ELSEWHERE
    unpriced = Counter(
        resource["Type"]
        for stack in stacks
        for resource in stack.template.get("Resources", {}).values()
        if resource["Type"] not in priced_types
    )
    return Estimate(slug, profile, region, items, dict(sorted(unpriced.items())))


class _Pricer:
    def __init__(self, region: str) -> None:
        self.region = region

    def hourly(self, stack: SynthesizedStack, item: str, quantity: float, unit: str, key: str) -> LineItem:
        unit_price = price(self.region, key)
        per_hour = quantity * unit_price.usd
        if unit_price.unit.endswith("-month"):
            per_hour /= HOURS_PER_MONTH
        return LineItem(stack.component, item, quantity, unit, unit_price, per_hour)

    def monthly_usage(self, stack: str, item: str, quantity: float, unit: str, key: str) -> LineItem:
        unit_price = price(self.region, key)
        return LineItem(stack, item, quantity, unit, unit_price, quantity * unit_price.usd / HOURS_PER_MONTH)


def _msk_clusters(stack: SynthesizedStack, pricer: _Pricer) -> Iterator[LineItem]:
    for cluster in stack.resources("AWS::MSK::Cluster"):
        group = cluster["BrokerNodeGroupInfo"]
        brokers = int(cluster["NumberOfBrokerNodes"])
        instance = group["InstanceType"]
        yield pricer.hourly(stack, f"MSK broker {instance}", brokers, "brokers", f"msk.broker.{instance}")
        volume = group.get("StorageInfo", {}).get("EBSStorageInfo", {}).get("VolumeSize", 0)
        if volume:
            yield pricer.hourly(stack, f"MSK storage {volume} GB x {brokers}", volume * brokers, "GB", "msk.storage")


def _connectors(stack: SynthesizedStack, pricer: _Pricer) -> Iterator[LineItem]:
    for connector in stack.resources("AWS::KafkaConnect::Connector"):
        capacity = connector["Capacity"]
        if "ProvisionedCapacity" in capacity:
            mcus, workers = (
                capacity["ProvisionedCapacity"].get("McuCount", 1),
                capacity["ProvisionedCapacity"]["WorkerCount"],
            )
        else:
            scaling = capacity["AutoScaling"]
            mcus, workers = scaling.get("McuCount", 1), scaling["MinWorkerCount"]
        name = purpose(str(connector.get("ConnectorName", "connector")), stack.tags.get(ENV_TAG, ""))
        yield pricer.hourly(
            stack, f"MSK Connect {name} ({workers} x {mcus} MCU)", mcus * workers, "MCU", "msk_connect.mcu"
        )


def _mwaa(stack: SynthesizedStack, pricer: _Pricer) -> Iterator[LineItem]:
    for environment in stack.resources("AWS::MWAA::Environment"):
        klass = environment.get("EnvironmentClass", "mw1.small")
        yield pricer.hourly(stack, f"MWAA {klass} environment", 1, "environments", f"mwaa.environment.{klass}")
        extra = int(environment.get("MinWorkers", 1)) - 1
        if extra > 0:
            yield pricer.hourly(stack, f"MWAA extra workers ({klass})", extra, "workers", f"mwaa.worker.{klass}")


# Resources billed by the unit and the hour: (CloudFormation type, line item, unit, price key).
_PER_RESOURCE = (
    ("AWS::EC2::NatGateway", "NAT gateway", "gateways", "vpc.nat_gateway"),
    ("AWS::EC2::EIP", "Public IPv4 address (NAT)", "addresses", "vpc.public_ipv4"),
    ("AWS::KMS::Key", "KMS customer managed key", "keys", "kms.key"),
    ("AWS::CloudWatch::Alarm", "CloudWatch alarms", "alarms", "cloudwatch.alarm"),
    ("AWS::CloudWatch::Dashboard", "CloudWatch dashboard", "dashboards", "cloudwatch.dashboard"),
)


def _per_resource(stack: SynthesizedStack, pricer: _Pricer) -> Iterator[LineItem]:
    for resource_type, item, unit, key in _PER_RESOURCE:
        count = len(stack.resources(resource_type))
        if count:
            yield pricer.hourly(stack, item, count, unit, key)


def _interface_endpoints(stack: SynthesizedStack, pricer: _Pricer) -> Iterator[LineItem]:
    endpoints = [e for e in stack.resources("AWS::EC2::VPCEndpoint") if e.get("VpcEndpointType") == "Interface"]
    if endpoints:
        zones = sum(len(endpoint.get("SubnetIds", [])) or 1 for endpoint in endpoints)
        yield pricer.hourly(
            stack, f"VPC interface endpoints ({len(endpoints)})", zones, "endpoint-AZs", "vpc.interface_endpoint"
        )


_RULES: list[Callable[[SynthesizedStack, _Pricer], Iterator[LineItem]]] = [
    _msk_clusters,
    _connectors,
    _mwaa,
    _interface_endpoints,
    _per_resource,
]
_PRICED_TYPES = {
    "AWS::MSK::Cluster",
    "AWS::KafkaConnect::Connector",
    "AWS::MWAA::Environment",
    *(resource_type for resource_type, *_ in _PER_RESOURCE),
}


def _usage_items(stacks: list[SynthesizedStack], pricer: _Pricer, usage: Usage) -> Iterator[LineItem]:
    """Usage-priced items, from the profile's assumptions, on the stack that holds the resources."""

    def home(resource_type: str) -> str | None:
        counts = Counter(stack.component for stack in stacks for _ in stack.resources(resource_type))
        return counts.most_common(1)[0][0] if counts else None

    if stack := home("AWS::S3::Bucket"):
        yield pricer.monthly_usage(stack, f"S3 Standard, assumed {usage.s3_gb:g} GB", usage.s3_gb, "GB", "s3.standard")
    if stack := home("AWS::Logs::LogGroup"):
        yield pricer.monthly_usage(
            stack, f"Logs ingested, assumed {usage.log_ingestion_gb_per_month:g} GB/month",
            usage.log_ingestion_gb_per_month, "GB", "logs.ingestion",
        )  # fmt: skip
        yield pricer.monthly_usage(
            stack, f"Logs stored, assumed {usage.log_storage_gb:g} GB", usage.log_storage_gb, "GB", "logs.storage"
        )
    if stack := home("AWS::EC2::NatGateway"):
        yield pricer.monthly_usage(
            stack, f"NAT data, assumed {usage.nat_processed_gb_per_month:g} GB/month",
            usage.nat_processed_gb_per_month, "GB", "vpc.nat_data",
        )  # fmt: skip
    # The project's own functions carry a FunctionName; CDK's helper functions (custom resources) run only at deploy.
    functions = [(s.component, f) for s in stacks for f in s.resources("AWS::Lambda::Function") if "FunctionName" in f]
    if functions:
        yield from _lambda_items(functions, pricer, usage)
    if stack := home("AWS::Athena::WorkGroup"):
        yield pricer.monthly_usage(
            stack, f"Athena, assumed {usage.athena_tb_scanned_per_month:g} TB scanned/month",
            usage.athena_tb_scanned_per_month, "TB", "athena.scanned",
        )  # fmt: skip
    if stack := home("AWS::MWAA::Environment"):
        yield pricer.monthly_usage(
            stack, f"MWAA metadata, assumed {usage.mwaa_metadata_gb:g} GB", usage.mwaa_metadata_gb, "GB",
            "mwaa.metadata_storage",
        )  # fmt: skip


def _stream_request_items(stacks: list[SynthesizedStack], pricer: _Pricer) -> Iterator[LineItem]:
    """S3 requests while events stream, on the Streaming stack (costs/stream_requests.py)."""
    requests = stream_requests(stacks)
    home = next((s for s in stacks if s.resources("AWS::KafkaConnect::Connector")), None)
    if requests is None or home is None:
        return
    every = f"{60 / requests.transform_runs_per_hour:g} min"
    yield pricer.hourly(
        home, f"S3 PUT, stream objects and their validation markers, at most {requests.puts_per_hour:,.0f}/h",
        requests.puts_per_hour / 1000, "thousand", "s3.put",
    )  # fmt: skip
    yield pricer.hourly(
        home, f"S3 GET, quality gate and dbt every {every} over {requests.lookback_hours:g} h of Bronze, "
        f"at most {requests.gets_per_hour:,.0f}/h",
        requests.gets_per_hour / 1000, "thousand", "s3.get",
    )  # fmt: skip
    # S3 bills LIST at the PUT rate ("PUT, COPY, POST, LIST requests").
    yield pricer.hourly(
        home, f"S3 LIST, the quality gate every {every}, at most {requests.lists_per_hour:,.0f}/h",
        requests.lists_per_hour / 1000, "thousand", "s3.put",
    )  # fmt: skip


def _lambda_items(functions: list[tuple[str, dict]], pricer: _Pricer, usage: Usage) -> Iterator[LineItem]:
    """The profile's invocations spread evenly over the functions, each at its own memory size and architecture."""
    per_function = usage.lambda_invocations_per_month / len(functions)
    by_stack_arch: Counter[tuple[str, str]] = Counter()
    for stack, function in functions:
        architecture = (function.get("Architectures") or ["x86_64"])[0]
        memory_gb = function.get("MemorySize", 128) / 1024
        by_stack_arch[(stack, architecture)] += per_function * usage.lambda_seconds_per_invocation * memory_gb
    for (stack, architecture), gb_seconds in sorted(by_stack_arch.items()):
        yield pricer.monthly_usage(
            stack, f"Lambda compute ({architecture}), assumed", gb_seconds, "GB-s", f"lambda.compute.{architecture}"
        )
    yield pricer.monthly_usage(
        functions[0][0], f"Lambda requests, assumed {usage.lambda_invocations_per_month:g}/month",
        usage.lambda_invocations_per_month / 1e6, "million", "lambda.requests",
    )  # fmt: skip
