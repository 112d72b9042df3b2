"""Start a producer replay: the producer CLI against the local broker, or the producer function on AWS.

On AWS the function receives a `contracts.replay_request.ReplayRequest`: the replay set's S3 prefix (the DAG
param `source`, under the landing bucket's `replay/`), the speed and the tables; it finds the MSK cluster from
its own configuration (set by the streaming stack). Locally the CSVs come from the DAG param `input_dir`.
"""

from __future__ import annotations

from typing import Any

from contracts.replay_request import STREAMED, ReplayRequest, check_speed, check_tables
from keystone_dags import processes
from keystone_dags.settings import SettingMissing, Settings

REPLAY_TIMEOUT_S = 3 * 60 * 60


class ReplayFailed(RuntimeError):
    """The producer replay did not deliver everything (or could not start)."""


def start_replay(
    config: Settings, speed: str, tables: list[str] | None, input_dir: str | None, source: str | None
) -> dict[str, Any]:
    if config.is_local:
        return _replay_locally(config, check_speed(speed), check_tables(tables), input_dir)
    return _invoke_producer(config, replay_request(config, speed, tables, source))


def replay_request(config: Settings, speed: str, tables: list[str] | None, source: str | None) -> ReplayRequest:
    """The producer function's request for the DAG params; `source` is a prefix of the landing bucket."""
    if not source:
        raise SettingMissing(
            "no replay source: pass the DAG param source, the landing bucket prefix of the CSVs to replay "
            "(e.g. replay/2026-11-25/)"
        )
    return ReplayRequest(source=f"s3://{config.landing_bucket}/{source.lstrip('/')}", speed=speed, tables=tables)


def _replay_locally(
    config: Settings, speed: str, tables: tuple[str, ...] | None, input_dir: str | None
) -> dict[str, Any]:
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


def _invoke_producer(config: Settings, request: ReplayRequest) -> dict[str, Any]:
    from airflow.providers.amazon.aws.hooks.lambda_function import LambdaHook

    if not config.producer_function:
        raise SettingMissing("setting 'producer_function' (keystone.producer_function) is not configured")
    # Asynchronous: a replay at historical speed outlives any task; the function's logs and failure queue track it.
    response = LambdaHook(aws_conn_id=config.aws_conn_id).invoke_lambda(
        function_name=config.producer_function, invocation_type="Event", payload=request.to_payload()
    )
    status = response.get("StatusCode")
    if status != 202:
        raise ReplayFailed(f"{config.producer_function} did not accept the replay (status {status}): {response}")
    return {
        "mode": "aws",
        "function": config.producer_function,
        "source": request.source,
        "speed": request.speed,
        "tables": request.streamed_tables,
    }
