"""The S3 requests streaming costs per hour, from the two freshness settings in the templates.

Per Bronze stream object: the sink's PutObject, the quality gate's GetObject and its validation marker
(dags/keystone_dags/quality_gate.py), and one GetObject by every transform run whose Bronze lookback
(`bronze_lookback_hours`, dbt_project/dbt_project.yml) still covers it. The sink writes an object per topic partition
at the latest `file.rotate.interval.ms` after its first record, so while every partition receives events that is
one object per partition per interval: the upper bound priced here. Olist volumes never fill an object first
(`file.max.records`).

Per transform run, whatever the history: the quality gate's LISTs of the stream's hour partitions since the last
publication (`contracts.layout.STREAMING_LATE_OBJECT_MARGIN` before it) and of the batch objects, each with its marks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import yaml

from contracts.layout import STREAMING_LATE_OBJECT_MARGIN
from costs.assembly import SynthesizedStack

DBT_PROJECT_FILE = Path(__file__).resolve().parents[1] / "dbt_project" / "dbt_project.yml"
TRANSFORM_INTERVAL_OPTION = "keystone.transform_interval_minutes"


@dataclass(frozen=True)
class StreamRequests:
    objects_per_hour: float  # Bronze stream objects the sink writes, at most
    transform_runs_per_hour: float
    lookback_hours: float
    topics: int

    @property
    def puts_per_hour(self) -> float:
        return 2 * self.objects_per_hour  # the sink's object and its validation marker

    @property
    def gets_per_hour(self) -> float:
        in_lookback = self.objects_per_hour * self.lookback_hours
        return self.objects_per_hour + self.transform_runs_per_hour * in_lookback

    @property
    def lists_per_hour(self) -> float:
        # The hour partitions a run lists per topic: the margin's, the hours since the last run, and the partial hour
        # at each end.
        interval = timedelta(hours=1 / self.transform_runs_per_hour)
        hours = math.ceil((STREAMING_LATE_OBJECT_MARGIN + interval) / timedelta(hours=1)) + 1
        prefixes = self.topics * hours + 1  # and the batch objects
        return self.transform_runs_per_hour * 2 * prefixes  # the objects and their marks


def stream_requests(stacks: list[SynthesizedStack]) -> StreamRequests | None:
    """The environment's streaming request rates; None without a sink connector and a transform schedule (paused)."""
    options = [e.get("AirflowConfigurationOptions", {}) for s in stacks for e in s.resources("AWS::MWAA::Environment")]
    intervals = [float(o[TRANSFORM_INTERVAL_OPTION]) for o in options if TRANSFORM_INTERVAL_OPTION in o]
    connectors = [c for s in stacks for c in s.resources("AWS::KafkaConnect::Connector")]
    if not intervals or not connectors:
        return None
    partitions = {t["TopicName"]: int(t["PartitionCount"]) for s in stacks for t in s.resources("AWS::MSK::Topic")}
    topics = [
        (topic, int(connector["ConnectorConfiguration"]["file.rotate.interval.ms"]))
        for connector in connectors
        for topic in connector["ConnectorConfiguration"]["topics"].split(",")
    ]
    return StreamRequests(
        objects_per_hour=sum(partitions[topic] * 3_600_000 / rotate_ms for topic, rotate_ms in topics),
        transform_runs_per_hour=60 / min(intervals),
        lookback_hours=float(yaml.safe_load(DBT_PROJECT_FILE.read_text())["vars"]["bronze_lookback_hours"]),
        topics=len(topics),
    )
