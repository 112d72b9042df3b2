"""Monitoring: alert topic, alarms on every moving part, one dashboard."""

import json

from contracts import STREAMED_TABLES


def test_alert_topic_is_encrypted_and_tls_only(feature_env):
    template = feature_env.template("Monitoring")
    topic = next(iter(template.find_resources("AWS::SNS::Topic").values()))["Properties"]
    assert topic["TopicName"] == feature_env.environment.resource_name("alerts")
    assert "KmsMasterKeyId" in topic
    assert "aws:SecureTransport" in json.dumps(template.find_resources("AWS::SNS::TopicPolicy"))
    template.resource_count_is("AWS::SNS::Subscription", 0)  # no e-mail in the profile


def test_alarms_cover_brokers_sink_ingestion_airflow_and_athena(main_env, feature_env):
    for synthesized in (main_env, feature_env):
        env = synthesized.environment
        alarms = synthesized.template("Monitoring").find_resources("AWS::CloudWatch::Alarm").values()
        by_metric = {}
        for alarm in alarms:
            by_metric.setdefault(alarm["Properties"]["MetricName"], []).append(alarm["Properties"])
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
