"""Environment profiles: every per-environment difference, as named and typed values.

Stacks take these values as constructor arguments; no construct asks which environment it is in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

# Every environment spans two availability zones (subnets, brokers, MWAA).
AVAILABILITY_ZONES = 2


@dataclass(frozen=True)
class MskSettings:
    """MSK provisioned brokers: IAM auth and TLS always; sizes differ by profile."""

    kafka_version: str
    broker_instance_type: str
    brokers_per_az: int
    volume_size_gib: int
    topic_partitions: int
    topic_replication_factor: int

    @property
    def broker_count(self) -> int:
        return self.brokers_per_az * AVAILABILITY_ZONES


@dataclass(frozen=True)
class ConnectCapacity:
    """MSK Connect worker capacity (MCU = 1 vCPU + 4 GiB)."""

    mcu_count: int
    min_workers: int
    max_workers: int


@dataclass(frozen=True)
class MwaaSettings:
    environment_class: str
    min_workers: int
    max_workers: int
    webserver_access_mode: Literal["PRIVATE_ONLY", "PUBLIC_ONLY"]


@dataclass(frozen=True)
class Freshness:
    """How soon a streamed event can reach Gold: the sink writes an object at the latest `sink_rotate_interval`
    after its first record, and a transform run looks for new Bronze objects every `transform_interval` (zero: runs
    back to back). Shorter intervals cost S3 requests: `make cost` prices them from these two values."""

    sink_rotate_interval: timedelta
    transform_interval: timedelta

    @property
    def sink_rotate_interval_ms(self) -> int:
        return int(self.sink_rotate_interval / timedelta(milliseconds=1))

    @property
    def transform_interval_minutes(self) -> int:
        """The transform DAG's schedule (`keystone.transform_interval_minutes`)."""
        return int(self.transform_interval / timedelta(minutes=1))


@dataclass(frozen=True)
class Profile:
    name: Literal["persistent", "ephemeral"]
    # Teardown destroys data (buckets emptied and deleted, log groups removed) instead of retaining it;
    # stacks/teardown.py applies it.
    destroy_on_teardown: bool
    nat_gateways: int
    msk: MskSettings
    connect: ConnectCapacity
    mwaa: MwaaSettings
    freshness: Freshness
    log_retention_days: int
    athena_bytes_scanned_cutoff: int
    # Bronze storage tiering; None keeps objects in S3 Standard.
    bronze_infrequent_access_after_days: int | None
    bronze_archive_after_days: int | None
    query_results_expire_after_days: int
    # How long an ephemeral environment may live before the janitor removes it.
    time_to_live: timedelta | None
    # For a branch deployed with `on_expiry=pause`: how long the janitor keeps it paused (data, catalog and
    # ingestion; the compute stacks gone) after its expiry before it removes the rest.
    paused_time_to_live: timedelta | None


_GIB = 1024**3

# MWAA runs the transform DAG as one task per dbt model, each its own process, so a run takes minutes: a shorter
# schedule would queue runs behind each other (max_active_runs=1) instead of making Gold fresher.
CLOUD_FRESHNESS = Freshness(sink_rotate_interval=timedelta(seconds=60), transform_interval=timedelta(minutes=15))
# The local twin's follow mode: micro-batches back to back in one warm dbt process (localtwin/follow.py), freshness
# p95 under 10 s (docs/local-twin.md, "Follow mode").
LOCAL_TWIN_FRESHNESS = Freshness(sink_rotate_interval=timedelta(seconds=3), transform_interval=timedelta(0))

PERSISTENT = Profile(
    name="persistent",
    destroy_on_teardown=False,
    nat_gateways=2,
    msk=MskSettings(
        kafka_version="3.8.x",
        broker_instance_type="kafka.m7g.large",
        brokers_per_az=1,
        volume_size_gib=100,
        topic_partitions=6,
        topic_replication_factor=2,
    ),
    connect=ConnectCapacity(mcu_count=1, min_workers=1, max_workers=4),
    mwaa=MwaaSettings(
        environment_class="mw1.small", min_workers=1, max_workers=5, webserver_access_mode="PRIVATE_ONLY"
    ),
    freshness=CLOUD_FRESHNESS,
    log_retention_days=90,
    athena_bytes_scanned_cutoff=100 * _GIB,
    bronze_infrequent_access_after_days=30,
    bronze_archive_after_days=180,
    query_results_expire_after_days=30,
    time_to_live=None,
    paused_time_to_live=None,
)

EPHEMERAL = Profile(
    name="ephemeral",
    destroy_on_teardown=True,
    nat_gateways=1,
    msk=MskSettings(
        kafka_version="3.8.x",
        broker_instance_type="kafka.t3.small",
        brokers_per_az=1,
        volume_size_gib=10,
        topic_partitions=2,
        topic_replication_factor=2,
    ),
    connect=ConnectCapacity(mcu_count=1, min_workers=1, max_workers=1),
    mwaa=MwaaSettings(environment_class="mw1.micro", min_workers=1, max_workers=1, webserver_access_mode="PUBLIC_ONLY"),
    freshness=CLOUD_FRESHNESS,
    log_retention_days=7,
    athena_bytes_scanned_cutoff=10 * _GIB,
    bronze_infrequent_access_after_days=None,
    bronze_archive_after_days=None,
    query_results_expire_after_days=3,
    time_to_live=timedelta(days=3),
    paused_time_to_live=timedelta(days=7),
)

# Branches that get the persistent profile; every other branch is ephemeral.
PERSISTENT_BRANCHES: frozenset[str] = frozenset({"main"})


def profile_for_branch(branch: str) -> Profile:
    return PERSISTENT if branch in PERSISTENT_BRANCHES else EPHEMERAL
