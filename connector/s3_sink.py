"""The S3 sink connector configuration: the single source for the local Connect worker and MSK Connect.

The plugin (connector/plugin, built by `connector.build`) writes each record value unchanged as one line of a
gzip JSON-lines object. Object keys follow `contracts.layout`:
`streaming/<topic>/dt=YYYY-MM-DD/hour=HH/<topic>-<partition>-<start offset, 20 digits>-<object id>.jsonl.gz`, where
dt and hour are the UTC time the object was written and the object id is random per object, so that no later
lifetime of a topic (offsets from 0 again) overwrites an earlier one's objects. `resolve_key` maps such a key back
to its partition values under a Glue `storage.location.template`, the parity check between what the sink writes
and what the tables read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from contracts import layout

CONNECTOR_CLASS = "keystone.nexus.connect.s3.S3SinkConnector"
BYTE_ARRAY_CONVERTER = "org.apache.kafka.connect.converters.ByteArrayConverter"
_PROJECTION_VARIABLE_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class S3SinkSettings:
    """What differs between deployments of the sink; everything else is fixed by `connector_config`."""

    topics: tuple[str, ...]
    bucket: str
    region: str
    # An object is written at the latest this long after its first record: bounds Bronze latency
    # (`environments.profiles.Freshness`).
    rotate_interval_ms: int
    tasks_max: int = 1
    max_records_per_object: int = 10_000
    # A local S3-compatible server (path-style addressing); None on AWS.
    endpoint_url: str | None = None

    def __post_init__(self) -> None:
        if not self.topics:
            raise ValueError("S3SinkSettings needs at least one topic")
        if self.tasks_max < 1 or self.max_records_per_object < 1 or self.rotate_interval_ms < 1:
            raise ValueError(
                f"tasks_max, max_records_per_object and rotate_interval_ms must be >= 1, got {self.tasks_max}, "
                f"{self.max_records_per_object}, {self.rotate_interval_ms}"
            )


def key_template() -> str:
    """The plugin's `s3.key.template`: the Bronze streaming layout of `contracts.layout`, each partition key's value
    the write time in its pattern (`{written:<pattern>}`)."""
    partitions = "".join(f"{key.name}={{written:{key.pattern}}}/" for key in layout.STREAMING_PARTITIONS)
    return layout.streaming_table_prefix("{topic}") + partitions + layout.STREAMING_OBJECT_NAME_TEMPLATE


def connector_config(settings: S3SinkSettings) -> dict[str, str]:
    """The connector configuration (string map, as Kafka Connect and MSK Connect take it)."""
    config = {
        "connector.class": CONNECTOR_CLASS,
        "tasks.max": str(settings.tasks_max),
        "topics": ",".join(settings.topics),
        # Bytes in, bytes out: the producer's JSON envelope lands in S3 exactly as it was sent.
        "key.converter": BYTE_ARRAY_CONVERTER,
        "value.converter": BYTE_ARRAY_CONVERTER,
        "header.converter": BYTE_ARRAY_CONVERTER,
        "s3.bucket.name": settings.bucket,
        "s3.region": settings.region,
        "s3.key.template": key_template(),
        "file.max.records": str(settings.max_records_per_object),
        "file.rotate.interval.ms": str(settings.rotate_interval_ms),
        # A record the sink cannot write stops the task rather than vanishing.
        "errors.tolerance": "none",
    }
    if settings.endpoint_url:
        config["s3.endpoint.url"] = settings.endpoint_url
        config["s3.path.style.access"] = "true"
    return config


def worker_properties(offset_flush_interval_ms: int = 10_000) -> dict[str, str]:
    """Worker settings the sink relies on (MSK Connect worker configuration; merged into the local worker's)."""
    return {
        "key.converter": BYTE_ARRAY_CONVERTER,
        "value.converter": BYTE_ARRAY_CONVERTER,
        # How often written objects become committed offsets; bounds the replay after a crash.
        "offset.flush.interval.ms": str(offset_flush_interval_ms),
    }


def worker_properties_file(offset_flush_interval_ms: int = 10_000) -> str:
    """`worker_properties` as a Java properties file (MSK Connect worker configuration content)."""
    return "".join(f"{key}={value}\n" for key, value in worker_properties(offset_flush_interval_ms).items())


@dataclass(frozen=True)
class ResolvedKey:
    """An object key the sink wrote, resolved under a table's storage location template."""

    key: str
    partition_values: dict[str, str]
    topic: str
    kafka_partition: int
    start_offset: int
    object_id: str


class KeyOutsideLayout(ValueError):
    """An object key that the table's partition projection would never find."""


def resolve_key(key: str, storage_location_template: str, projection: dict[str, str] | None = None) -> ResolvedKey:
    """Resolve an object key (or s3:// URL) against a Glue `storage.location.template`.

    The template may be a full `s3://bucket/...` URL (as in the Glue table) or the key part only (as from
    `contracts.layout`). The object must sit directly under the resolved location and be named by the sink's
    `layout.STREAMING_OBJECT_NAME_TEMPLATE`. When `projection` (the table's `projection.*` parameters) is given,
    each value must also be one the projection enumerates. Raises `KeyOutsideLayout` naming what does not match.
    """
    template_key = _key_part(storage_location_template)
    object_key = _key_part(key) if key.startswith("s3://") else key
    if storage_location_template.startswith("s3://") and key.startswith("s3://"):
        template_bucket, key_bucket = _bucket_of(storage_location_template), _bucket_of(key)
        if template_bucket != key_bucket:
            raise KeyOutsideLayout(f"{key}: bucket {key_bucket!r} is not the table's bucket {template_bucket!r}")
    pattern = _template_regex(template_key)
    match = pattern.match(object_key)
    if match is None:
        raise KeyOutsideLayout(f"{key}: does not match the storage location template {storage_location_template!r}")
    values = match.groupdict()
    file_name = object_key[match.end() :]
    name = layout.STREAMING_OBJECT_NAME_RE.match(file_name)
    if name is None:
        raise KeyOutsideLayout(
            f"{key}: object name {file_name!r} is not {layout.STREAMING_OBJECT_NAME_TEMPLATE} (fields "
            f"{dict(layout.STREAMING_OBJECT_NAME_FIELDS)}) directly under the partition location"
        )
    if projection is not None:
        for variable, value in values.items():
            _check_projected(variable, value, projection, key)
    return ResolvedKey(
        key=key,
        partition_values=values,
        topic=name.group("topic"),
        kafka_partition=int(name.group("partition")),
        start_offset=int(name.group("start_offset")),
        object_id=name.group("object_id"),
    )


def _key_part(location: str) -> str:
    if location.startswith("s3://"):
        return location[len("s3://") :].partition("/")[2]
    return location


def _bucket_of(url: str) -> str:
    return url[len("s3://") :].partition("/")[0]


def _template_regex(template_key: str) -> re.Pattern[str]:
    parts: list[str] = []
    position = 0
    for match in _PROJECTION_VARIABLE_RE.finditer(template_key):
        parts.append(re.escape(template_key[position : match.start()]))
        parts.append(f"(?P<{match.group(1)}>[^/]+)")
        position = match.end()
    parts.append(re.escape(template_key[position:]))
    return re.compile("^" + "".join(parts))


def _check_projected(variable: str, value: str, projection: dict[str, str], key: str) -> None:
    kind = projection.get(f"projection.{variable}.type")
    if kind is None:
        raise KeyOutsideLayout(f"{key}: the projection has no projection.{variable}.type for {variable!r}")
    if kind == "date":
        java_format = projection.get(f"projection.{variable}.format", "")
        if not java_format:
            raise KeyOutsideLayout(f"{key}: the date projection has no projection.{variable}.format")
        python_format = layout.strftime_pattern(java_format)
        try:
            date = datetime.strptime(value, python_format)
        except ValueError as error:
            raise KeyOutsideLayout(f"{key}: {variable}={value!r} is not a date in format {java_format!r}") from error
        start = projection.get(f"projection.{variable}.range", "").partition(",")[0]
        if start and not start.startswith("NOW") and date < datetime.strptime(start, python_format):
            raise KeyOutsideLayout(f"{key}: {variable}={value!r} is before the projection's first date {start!r}")
        return
    if kind == "integer":
        low, _, high = projection.get(f"projection.{variable}.range", "").partition(",")
        digits = projection.get(f"projection.{variable}.digits")
        if not value.isdigit() or not int(low) <= int(value) <= int(high):
            raise KeyOutsideLayout(f"{key}: {variable}={value!r} is not an integer in [{low}, {high}]")
        if digits and len(value) != int(digits):
            raise KeyOutsideLayout(f"{key}: {variable}={value!r} does not have {digits} digits")
        return
    if kind == "enum":
        allowed = projection.get(f"projection.{variable}.values", "").split(",")
        if value not in allowed:
            raise KeyOutsideLayout(f"{key}: {variable}={value!r} is not one of {allowed}")
        return
    if kind == "injected":
        return
    raise KeyOutsideLayout(f"{key}: unsupported projection type {kind!r} for {variable!r}")
