"""Start a producer replay: the producer CLI against the local broker, or the producer function on AWS.

The function receives `{"speed": "<max|Nx|N/s>", "tables": [..] | null}`; the producer finds its input and the
MSK cluster from its own configuration (set by the streaming stack).
"""

from __future__ import annotations

import json
import re
from typing import Any

from contracts.olist import STREAMED_TABLES
from keystone_dags import processes
from keystone_dags.settings import SettingMissing, Settings

REPLAY_TIMEOUT_S = 3 * 60 * 60
STREAMED = tuple(table.name for table in STREAMED_TABLES)
# max, <N>x (times historical speed) or <N>/s (events per second); also the DAG's `speed` parameter pattern.
SPEED_PATTERN = r"^(max|\d+(\.\d+)?x|\d+(\.\d+)?/s)$"


class ReplayFailed(RuntimeError):
    """The producer replay did not deliver everything (or could not start)."""


def check_request(speed: str, tables: list[str] | None) -> None:
    if not re.match(SPEED_PATTERN, speed):
        raise ValueError(f"speed {speed!r} is not max, <N>x (times historical speed) or <N>/s (events per second)")
    unknown = sorted(set(tables or ()) - set(STREAMED))
    if unknown:
        raise ValueError(f"tables {unknown} are not streamed; choose among {', '.join(STREAMED)}")


def start_replay(config: Settings, speed: str, tables: list[str] | None, input_dir: str | None) -> dict[str, Any]:
    check_request(speed, tables)
    if config.is_local:
        return _replay_locally(config, speed, tables, input_dir)
    return _invoke_producer(config, speed, tables)


def _replay_locally(config: Settings, speed: str, tables: list[str] | None, input_dir: str | None) -> dict[str, Any]:
    source = input_dir or config.replay_input_dir
    if not source:
        raise SettingMissing("no replay input: pass the DAG param input_dir or set KEYSTONE_REPLAY_INPUT_DIR")
    if not config.kafka_bootstrap_servers:
        raise SettingMissing("setting 'kafka_bootstrap_servers' (KEYSTONE_KAFKA_BOOTSTRAP_SERVERS) is not configured")
    command = [
        config.project_python, "-m", "producers", "produce", "--input", source,
        "--bootstrap-servers", config.kafka_bootstrap_servers, "--speed", speed, "--create-topics", "--no-progress",
    ]  # fmt: skip
    if tables:
        command += ["--tables", ",".join(tables)]
    if config.topic_suffix:
        command += ["--topic-suffix", config.topic_suffix]
    env = {"PYTHONPATH": processes.project_pythonpath()}
    try:
        processes.run(command, "producer replay (local)", env, REPLAY_TIMEOUT_S)
    except processes.CommandFailed as error:
        raise ReplayFailed(str(error)) from error
    return {"mode": "local", "speed": speed, "tables": list(tables or STREAMED), "input": source}


def _invoke_producer(config: Settings, speed: str, tables: list[str] | None) -> dict[str, Any]:
    from airflow.providers.amazon.aws.hooks.lambda_function import LambdaHook

    if not config.producer_function:
        raise SettingMissing("setting 'producer_function' (keystone.producer_function) is not configured")
    # Asynchronous: a replay at historical speed outlives any task; the function's own logs and DLQ track it.
    response = LambdaHook(aws_conn_id=config.aws_conn_id).invoke_lambda(
        function_name=config.producer_function,
        invocation_type="Event",
        payload=json.dumps({"speed": speed, "tables": tables}),
    )
    status = response.get("StatusCode")
    if status != 202:
        raise ReplayFailed(f"{config.producer_function} did not accept the replay (status {status}): {response}")
    return {"mode": "aws", "function": config.producer_function, "speed": speed, "tables": list(tables or STREAMED)}
