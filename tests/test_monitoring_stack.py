"""Monitoring: alert topic, alarms on every moving part, one dashboard."""

import json

import pytest
from aws_cdk.assertions import Template

from contracts import STREAMED_TABLES
from stacks.application import create_app
from tests.fixtures.policies import Request, Resolver, deployed_attributes, evaluate
from tests.fixtures.synth import FEATURE_BRANCH, SYNTH_TIME


def test_alert_topic_is_encrypted_and_tls_only(feature_env):
    template = feature_env.template("Monitoring")
    topic = next(iter(template.find_resources("AWS::SNS::Topic").values()))["Properties"]
    assert topic["TopicName"] == feature_env.environment.resource_name("alerts")
    assert "KmsMasterKeyId" in topic
    assert "aws:SecureTransport" in json.dumps(template.find_resources("AWS::SNS::TopicPolicy"))
    template.resource_count_is("AWS::SNS::Subscription", 0)  # no alert_email given


def test_alarms_cover_brokers_sink_ingestion_airflow_and_athena(main_env, feature_env):
    for synthesized in (main_env, feature_env):
        env = synthesized.environment
        alarms = synthesized.template("Monitoring").find_resources("AWS::CloudWatch::Alarm").values()
        by_metric = {}
        for alarm in alarms:
            for metric in _watched_metrics(alarm["Properties"]):
                by_metric.setdefault(metric["MetricName"], []).append(alarm["Properties"])
            assert len(alarm["Properties"]["AlarmActions"]) == 1
        brokers = env.profile.msk.broker_count
        assert len(by_metric["CpuUser"]) == brokers and len(by_metric["KafkaDataLogsDiskUsed"]) == brokers
        assert len(by_metric["EstimatedMaxTimeLag"]) == len(STREAMED_TABLES)
        for metric in ("ErroredTaskCount", "Errors", "TaskInstanceFailures"):
            assert len(by_metric[metric]) == 1, metric
        queues = {d["Value"] for a in by_metric["ApproximateNumberOfMessagesVisible"] for d in a["Dimensions"]}
        assert queues == {env.resource_name("ingestion-dlq"), env.resource_name("producer-failures")}
        lag = json.dumps(by_metric["EstimatedMaxTimeLag"])
        assert f"connect-{env.resource_name('bronze-sink')}" in lag
        athena = by_metric["ProcessedBytes"][0]
        assert athena["Threshold"] == env.profile.athena_bytes_scanned_cutoff * 5


def test_one_dashboard_per_environment(feature_env):
    dashboards = feature_env.template("Monitoring").find_resources("AWS::CloudWatch::Dashboard")
    assert [d["Properties"]["DashboardName"] for d in dashboards.values()] == [
        feature_env.environment.resource_name("lakehouse")
    ]


# --- Every alarm watches a metric the service really emits ----------------------------------------------------

MSK_METRICS = "https://docs.aws.amazon.com/msk/latest/developerguide/metrics-details.html"
MSK_CONNECT_METRICS = "https://docs.aws.amazon.com/msk/latest/developerguide/mkc-monitoring-overview.html"
LAMBDA_METRICS = "https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html"
SQS_METRICS = (
    "https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html"
)
MWAA_METRICS = "https://docs.aws.amazon.com/mwaa/latest/userguide/access-metrics-cw.html"
ATHENA_METRICS = "https://docs.aws.amazon.com/athena/latest/ug/query-metrics-viewing.html"

# (namespace, metric) -> (the exact dimension set the service publishes it with, the MSK monitoring level it
# needs, the page that lists it). A CloudWatch metric is identified by all its dimensions: an alarm naming a
# subset or a superset watches a metric that never receives data.
EMITTED = {
    ("AWS/Kafka", "CpuUser"): ({"Cluster Name", "Broker ID"}, "DEFAULT", MSK_METRICS),
    ("AWS/Kafka", "KafkaDataLogsDiskUsed"): ({"Cluster Name", "Broker ID"}, "DEFAULT", MSK_METRICS),
    # Consumer lag of any group that commits offsets (an MSK Connect sink's connect-<name>), per topic.
    ("AWS/Kafka", "EstimatedMaxTimeLag"): ({"Cluster Name", "Consumer Group", "Topic"}, "DEFAULT", MSK_METRICS),
    ("AWS/KafkaConnect", "ErroredTaskCount"): ({"ConnectorName"}, None, MSK_CONNECT_METRICS),
    ("AWS/Lambda", "Errors"): ({"FunctionName"}, None, LAMBDA_METRICS),
    ("AWS/SQS", "ApproximateNumberOfMessagesVisible"): ({"QueueName"}, None, SQS_METRICS),
    # Airflow's ti_failures counter, published for all DAGs and tasks at once (DAG=All, Task=All).
    ("AmazonMWAA", "TaskInstanceFailures"): ({"Environment", "DAG", "Task"}, None, MWAA_METRICS),
    ("AWS/Athena", "ProcessedBytes"): ({"WorkGroup", "QueryState", "QueryType"}, None, ATHENA_METRICS),
}
# Dimensions whose values the service fixes, not the environment.
FIXED_VALUES = {
    ("AmazonMWAA", "DAG"): {"All"},
    ("AmazonMWAA", "Task"): {"All"},
    ("AWS/Athena", "QueryState"): {"SUCCEEDED", "FAILED", "CANCELED"},
    ("AWS/Athena", "QueryType"): {"DML", "DDL", "UTILITY"},
}
MSK_LEVELS = ("DEFAULT", "PER_BROKER", "PER_TOPIC_PER_BROKER", "PER_TOPIC_PER_PARTITION")


def _watched_metrics(alarm: dict) -> list[dict]:
    """The metrics an alarm reads: its own, or each one of its metric-math expression."""
    if "MetricName" in alarm:
        return [{key: alarm[key] for key in ("Namespace", "MetricName", "Dimensions")}]
    return [query["MetricStat"]["Metric"] for query in alarm["Metrics"] if "MetricStat" in query]


@pytest.mark.parametrize("which", ["main_env", "feature_env"])
def test_every_alarm_watches_a_metric_the_service_emits(which, request):
    synthesized = request.getfixturevalue(which)
    alarms = synthesized.template("Monitoring").find_resources("AWS::CloudWatch::Alarm")
    (cluster,) = synthesized.template("Streaming").find_resources("AWS::MSK::Cluster").values()
    cluster_level = cluster["Properties"].get("EnhancedMonitoring", "DEFAULT")
    watched = [(name, metric) for name, alarm in alarms.items() for metric in _watched_metrics(alarm["Properties"])]
    assert watched
    for name, metric in watched:
        key = (metric["Namespace"], metric["MetricName"])
        assert key in EMITTED, f"{name}: {key} is not a metric the service publishes"
        dimensions, level, doc = EMITTED[key]
        given = {d["Name"]: d["Value"] for d in metric["Dimensions"]}
        assert set(given) == dimensions, f"{name}: {key} is published with {sorted(dimensions)} ({doc})"
        for dimension, value in given.items():
            allowed = FIXED_VALUES.get((metric["Namespace"], dimension))
            assert allowed is None or value in allowed, f"{name}: {dimension}={value} ({doc})"
        if level is not None:
            assert MSK_LEVELS.index(cluster_level) >= MSK_LEVELS.index(level), f"{name} needs {level} monitoring"


def test_athena_alarm_counts_bytes_of_failed_and_cancelled_queries_too(feature_env):
    # Failed and cancelled queries are billed for the bytes they scanned (Athena pricing), so the alarm sums
    # every query state; dbt's CREATE TABLE AS SELECT and INSERT run as DML (Athena API, QueryExecution).
    alarms = feature_env.template("Monitoring").find_resources("AWS::CloudWatch::Alarm").values()
    athena = [
        metric
        for alarm in alarms
        for metric in _watched_metrics(alarm["Properties"])
        if metric["MetricName"] == "ProcessedBytes"
    ]
    states = {d["Value"] for metric in athena for d in metric["Dimensions"] if d["Name"] == "QueryState"}
    assert states == FIXED_VALUES[("AWS/Athena", "QueryState")]
    workgroups = {d["Value"] for metric in athena for d in metric["Dimensions"] if d["Name"] == "WorkGroup"}
    assert workgroups == {feature_env.environment.resource_name("lakehouse")}


# --- The alert topic accepts what the alarms publish ----------------------------------------------------------


def _topic_policy(synthesized):
    env = synthesized.environment
    templates = {name: template.to_json() for name, template in synthesized.templates.items()}
    attributes = deployed_attributes(templates, account=env.account, region=env.region)
    resolver = Resolver(templates, account=env.account, region=env.region, attributes=attributes)
    monitoring = env.stack_name("Monitoring")
    (policy,) = (r for r in templates[monitoring]["Resources"].values() if r["Type"] == "AWS::SNS::TopicPolicy")
    return resolver.resolve(policy["Properties"]["PolicyDocument"], monitoring)


def _alarm_publishes(synthesized, *, over_tls: bool, account: str | None = None) -> Request:
    # An alarm publishes as cloudwatch.amazonaws.com with the alarm's ARN as aws:SourceArn; a topic policy that
    # replaces SNS's default one must allow it ("Why didn't I receive an SNS notification for my CloudWatch
    # alarm trigger?", https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
    env = synthesized.environment
    account = account or env.account
    return Request(
        principal={"Service": "cloudwatch.amazonaws.com"},
        action="sns:Publish",
        resource=f"arn:aws:sns:{env.region}:{env.account}:{env.resource_name('alerts')}",
        context={
            "aws:SourceArn": f"arn:aws:cloudwatch:{env.region}:{account}:alarm:{env.stack_name('Monitoring')}-x",
            "aws:SourceAccount": account,
            "aws:SecureTransport": over_tls,
        },
    )


@pytest.mark.parametrize("which", ["main_env", "feature_env"])
def test_alert_topic_lets_this_accounts_alarms_publish_over_tls_only(which, request):
    synthesized = request.getfixturevalue(which)
    policy = _topic_policy(synthesized)
    assert evaluate(policy, _alarm_publishes(synthesized, over_tls=True)) == "Allow"
    assert evaluate(policy, _alarm_publishes(synthesized, over_tls=False)) == "Deny"
    assert evaluate(policy, _alarm_publishes(synthesized, over_tls=True, account="222222222222")) == "ImplicitDeny"


# --- The alert e-mail comes with the deploy (from its variable: tests/test_deployment_branch.py) --------------

ALERT_EMAIL = "oncall@example.com"


def test_alert_email_from_context_subscribes_to_the_alert_topic(tmp_path):
    _app, _environment, lakehouse = create_app(
        {"branch": FEATURE_BRANCH, "alert_email": ALERT_EMAIL}, outdir=str(tmp_path), now=SYNTH_TIME
    )
    template = Template.from_stack(lakehouse.monitoring)
    subscriptions = template.find_resources("AWS::SNS::Subscription")
    assert [s["Properties"]["Protocol"] for s in subscriptions.values()] == ["email"]
    assert [s["Properties"]["Endpoint"] for s in subscriptions.values()] == [ALERT_EMAIL]
    (topic,) = template.find_resources("AWS::SNS::Topic")
    assert next(iter(subscriptions.values()))["Properties"]["TopicArn"] == {"Ref": topic}
