"""The physical names more than one stack addresses, each derived once from the environment.

A stack that creates the resource and the stacks that point at it (IAM policies, metrics, DAG settings)
call the same function, so no name travels between stacks.
"""

from __future__ import annotations

from environments import Environment


def airflow_environment(env: Environment) -> str:
    return env.resource_name("airflow")


def alert_topic(env: Environment) -> str:
    return env.resource_name("alerts")


def athena_workgroup(env: Environment) -> str:
    return env.resource_name("lakehouse")


def ingestion_function(env: Environment) -> str:
    return env.resource_name("ingestion")


def ingestion_dead_letter_queue(env: Environment) -> str:
    return env.resource_name("ingestion-dlq")


def producer_function(env: Environment) -> str:
    return env.resource_name("producer")


def producer_failure_queue(env: Environment) -> str:
    return env.resource_name("producer-failures")


def kafka_cluster(env: Environment) -> str:
    return env.resource_name("kafka")


def sink_connector(env: Environment) -> str:
    return env.resource_name("bronze-sink")
