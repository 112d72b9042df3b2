"""Monitoring: one dashboard and the alarms that page the environment's alert topic.

Metrics are addressed by the names the environment gives its resources, so this stack only reads
names, never another stack's resources, and can be deployed last without reference cycles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from contracts import STREAMED_TABLES
from environments import Environment
from stacks import names
from stacks.environment_stack import EnvironmentStack
from stacks.storage import StorageStack
from stacks.streaming import StreamingStack

FIVE_MINUTES = cdk.Duration.minutes(5)


@dataclass(frozen=True)
class MonitoredResources:
    """The names of what is watched."""

    kafka_cluster: str
    broker_count: int
    topics: Sequence[str]
    connector: str
    connector_consumer_group: str
    ingestion_function: str
    ingestion_dead_letter_queue: str
    producer_failure_queue: str
    airflow_environment: str
    athena_workgroup: str

    @classmethod
    def of(cls, environment: Environment, *, connector_consumer_group: str) -> MonitoredResources:
        return cls(
            kafka_cluster=names.kafka_cluster(environment),
            broker_count=environment.profile.msk.broker_count,
            topics=[table.topic for table in STREAMED_TABLES],
            connector=names.sink_connector(environment),
            connector_consumer_group=connector_consumer_group,
            ingestion_function=names.ingestion_function(environment),
            ingestion_dead_letter_queue=names.ingestion_dead_letter_queue(environment),
            producer_failure_queue=names.producer_failure_queue(environment),
            airflow_environment=names.airflow_environment(environment),
            athena_workgroup=names.athena_workgroup(environment),
        )


@dataclass(frozen=True)
class AlarmThresholds:
    broker_cpu_percent: float = 80
    broker_disk_percent: float = 80
    connector_lag_seconds: float = 600
    athena_bytes_per_hour: float = 50 * 1024**3


class MonitoringStack(EnvironmentStack):
    COMPONENT = "Monitoring"
    DESCRIPTION = "Dashboard, alarms and the alert topic"

    def __init__(
        self, scope: Construct, environment: Environment, *, storage: StorageStack, streaming: StreamingStack
    ) -> None:
        super().__init__(scope, environment)
        self.add_stack_dependency(storage, "the alert topic is encrypted with the lake key")
        self.alert_topic = sns.Topic(
            self,
            "Alerts",
            topic_name=names.alert_topic(environment),
            master_key=storage.key,
            enforce_ssl=True,
            display_name="Keystone alerts",
        )
        # The topic policy replaces SNS's default one, which let the account's alarms publish; say so again.
        this_accounts_alarms = self.format_arn(
            service="cloudwatch", resource="alarm", resource_name="*", arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
        )
        self.alert_topic.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsPublish",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["sns:Publish"],
                resources=[self.alert_topic.topic_arn],
                conditions={"ArnLike": {"aws:SourceArn": this_accounts_alarms}},
            )
        )
        if environment.alert_email:
            self.alert_topic.add_subscription(subscriptions.EmailSubscription(environment.alert_email))
        self._action = cw_actions.SnsAction(self.alert_topic)
        r = MonitoredResources.of(environment, connector_consumer_group=streaming.connector.consumer_group)
        t = AlarmThresholds(athena_bytes_per_hour=environment.profile.athena_bytes_scanned_cutoff * 5)

        broker_cpu = [
            _metric("AWS/Kafka", "CpuUser", {"Cluster Name": r.kafka_cluster, "Broker ID": str(broker)}, "Average")
            for broker in range(1, r.broker_count + 1)
        ]
        broker_disk = [
            _metric(
                "AWS/Kafka",
                "KafkaDataLogsDiskUsed",
                {"Cluster Name": r.kafka_cluster, "Broker ID": str(broker)},
                "Maximum",
            )
            for broker in range(1, r.broker_count + 1)
        ]
        connector_lag = [
            _metric(
                "AWS/Kafka",
                "EstimatedMaxTimeLag",
                {"Cluster Name": r.kafka_cluster, "Consumer Group": r.connector_consumer_group, "Topic": topic},
                "Maximum",
            )
            for topic in r.topics
        ]
        connector_errors = _metric("AWS/KafkaConnect", "ErroredTaskCount", {"ConnectorName": r.connector}, "Maximum")
        ingestion_errors = _metric("AWS/Lambda", "Errors", {"FunctionName": r.ingestion_function}, "Sum")
        dead_letters = _metric(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": r.ingestion_dead_letter_queue}, "Maximum"
        )
        producer_failures = _metric(
            "AWS/SQS", "ApproximateNumberOfMessagesVisible", {"QueueName": r.producer_failure_queue}, "Maximum"
        )
        # MWAA publishes Airflow's ti_failures once for all DAGs and tasks, as DAG=All, Task=All.
        task_failures = _metric(
            "AmazonMWAA",
            "TaskInstanceFailures",
            {"Environment": r.airflow_environment, "DAG": "All", "Task": "All"},
            "Sum",
        )
        athena_bytes = _athena_bytes_scanned(r.athena_workgroup)

        for index, metric in enumerate(broker_cpu, start=1):
            self._alarm(f"Broker{index}Cpu", metric, t.broker_cpu_percent, f"MSK broker {index} CPU above threshold")
        for index, metric in enumerate(broker_disk, start=1):
            self._alarm(f"Broker{index}Disk", metric, t.broker_disk_percent, f"MSK broker {index} disk filling up")
        for topic, metric in zip(r.topics, connector_lag, strict=True):
            self._alarm(
                f"SinkLag{topic.replace('.', '')}",
                metric,
                t.connector_lag_seconds,
                f"The Bronze sink is more than {t.connector_lag_seconds:.0f} s behind on {topic}",
            )
        self._alarm("ConnectorErrors", connector_errors, 0, "An MSK Connect task of the Bronze sink failed")
        self._alarm("IngestionErrors", ingestion_errors, 0, "The batch ingestion function failed")
        self._alarm("IngestionDeadLetters", dead_letters, 0, "Ingestion failed all attempts; its record is queued")
        self._alarm("ProducerFailures", producer_failures, 0, "A producer replay failed; its record is in the queue")
        self._alarm("AirflowTaskFailures", task_failures, 0, "An Airflow task failed in MWAA")
        self._alarm("AthenaBytesScanned", athena_bytes, t.athena_bytes_per_hour, "Athena scanned unusually much")

        self.dashboard = cw.Dashboard(self, "Dashboard", dashboard_name=environment.resource_name("lakehouse"))
        self.dashboard.add_widgets(
            _graph("MSK broker CPU (%)", broker_cpu),
            _graph("MSK broker disk used (%)", broker_disk),
            _graph("Bronze sink lag (s)", connector_lag),
        )
        self.dashboard.add_widgets(
            _graph("Bronze sink errored tasks", [connector_errors]),
            _graph("Ingestion errors and dead letters", [ingestion_errors, dead_letters]),
            _graph("Producer replays failed (queued records)", [producer_failures]),
            _graph("Airflow task failures", [task_failures]),
            _graph("Athena bytes scanned per hour", [athena_bytes]),
        )

    def _alarm(self, name: str, metric: cw.IMetric, threshold: float, description: str) -> cw.Alarm:
        alarm = cw.Alarm(
            self,
            name,
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            alarm_description=description,
        )
        alarm.add_alarm_action(self._action)
        return alarm


def _metric(
    namespace: str, name: str, dimensions: dict[str, str], statistic: str, period: cdk.Duration = FIVE_MINUTES
) -> cw.Metric:
    return cw.Metric(
        namespace=namespace, metric_name=name, dimensions_map=dimensions, statistic=statistic, period=period
    )


def _athena_bytes_scanned(workgroup: str) -> cw.MathExpression:
    """Bytes the workgroup's queries scanned per hour, whatever their outcome: failed and cancelled queries are
    billed for what they scanned too. Athena publishes ProcessedBytes per WorkGroup, QueryState and QueryType
    only; dbt's models (CREATE TABLE AS SELECT, INSERT, MERGE) run as DML."""
    states = ("SUCCEEDED", "FAILED", "CANCELED")
    return cw.MathExpression(
        expression="SUM(FILL(METRICS(), 0))",
        using_metrics={
            f"scanned{state.title()}": _metric(
                "AWS/Athena",
                "ProcessedBytes",
                {"WorkGroup": workgroup, "QueryState": state, "QueryType": "DML"},
                "Sum",
                period=cdk.Duration.hours(1),
            )
            for state in states
        },
        label=f"{workgroup} bytes scanned",
        period=cdk.Duration.hours(1),
    )


def _graph(title: str, metrics: list[cw.IMetric]) -> cw.GraphWidget:
    # Labels only on the dashboard: a labelled metric would turn each alarm into a metric-math alarm.
    labelled = [
        metric.with_(label=" ".join(metric.dimensions.values())) if isinstance(metric, cw.Metric) else metric
        for metric in metrics
    ]
    return cw.GraphWidget(title=title, left=labelled, width=6)
