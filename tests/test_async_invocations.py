"""Every function invoked asynchronously keeps what failed: an on-failure SQS destination, KMS-encrypted, and an alarm.

An asynchronous invocation that fails is retried by Lambda (0 to 2 times, as configured) and then discarded unless
the function has a destination or dead-letter queue. Destinations carry the whole invocation record (request,
error message, condition, attempts); a dead-letter queue gets the event only, without the error.
- https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
- https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html

Who invokes asynchronously: S3 event notifications and EventBridge rules (their Lambda permissions name the
service principal), and the olist_replay DAG, which invokes the producer with InvocationType=Event.
"""

from __future__ import annotations

from typing import Any

import pytest

from stacks.janitor import FUNCTION_NAME as JANITOR_FUNCTION
from stacks.janitor import STACK_NAME as JANITOR_STACK
from stacks.janitor import create_janitor_app

ASYNC_PRINCIPALS = {"s3.amazonaws.com", "events.amazonaws.com"}
# Retries per function, chosen: a failed replay is re-run by hand (a retry would re-send up to 15 minutes of
# events); the ingestion is idempotent per file, so a retry after a crash or timeout is cheap and may succeed.
EXPECTED_RETRIES = {"producer": 0, "ingestion": 2}


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in template["Resources"].items() if value["Type"] == kind}


def _function_logical_id(template: dict[str, Any], name: str) -> str:
    matches = [
        key
        for key, value in _resources(template, "AWS::Lambda::Function").items()
        if value["Properties"].get("FunctionName") == name
    ]
    assert len(matches) == 1, f"function {name} not found once in the template"
    return matches[0]


def _asynchronously_invoked(template: dict[str, Any]) -> set[str]:
    """Logical ids of the functions an AWS service is allowed to invoke asynchronously."""
    found = set()
    for permission in _resources(template, "AWS::Lambda::Permission").values():
        properties = permission["Properties"]
        target = properties["FunctionName"]
        if properties.get("Principal") in ASYNC_PRINCIPALS and isinstance(target, dict) and "Fn::GetAtt" in target:
            found.add(target["Fn::GetAtt"][0])
    return found


def _on_failure_queue(template: dict[str, Any], function_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The function's EventInvokeConfig and the SQS queue its on-failure destination names (same template)."""
    configs = [
        value["Properties"]
        for value in _resources(template, "AWS::Lambda::EventInvokeConfig").values()
        if value["Properties"]["FunctionName"] == {"Ref": function_id}
    ]
    assert len(configs) == 1, f"{function_id} has {len(configs)} asynchronous invocation configurations"
    config = configs[0]
    destination = config.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    assert destination is not None, f"{function_id} discards events that fail every attempt: no on-failure destination"
    queue_id = destination["Fn::GetAtt"][0]
    queue = template["Resources"][queue_id]
    assert queue["Type"] == "AWS::SQS::Queue", f"{function_id}'s on-failure destination is a {queue['Type']}"
    return config, queue["Properties"]


def _queue_alarms(templates: list[dict[str, Any]], queue_name: str) -> list[dict[str, Any]]:
    return [
        alarm["Properties"]
        for template in templates
        for alarm in _resources(template, "AWS::CloudWatch::Alarm").values()
        if alarm["Properties"].get("Namespace") == "AWS/SQS"
        and alarm["Properties"].get("MetricName") == "ApproximateNumberOfMessagesVisible"
        and {"Name": "QueueName", "Value": queue_name} in alarm["Properties"].get("Dimensions", [])
    ]


def _environment_functions(synthesized) -> list[tuple[str, dict[str, Any], str]]:
    """(purpose, template, logical id) of every asynchronously invoked function of an environment."""
    env = synthesized.environment
    found = []
    for stack in synthesized.lakehouse.stacks:
        template = synthesized.templates[stack.stack_name].to_json()
        ids = _asynchronously_invoked(template)
        if stack is synthesized.lakehouse.streaming:
            ids.add(_function_logical_id(template, env.resource_name("producer")))
        for function_id in sorted(ids):
            name = template["Resources"][function_id]["Properties"]["FunctionName"]
            found.append((name.removeprefix(env.resource_name("")), template, function_id))
    return found


@pytest.mark.parametrize("branch", ["main", "feature/Add_Thing-123"])
def test_every_asynchronously_invoked_function_keeps_its_failures_and_alarms(synth, branch):
    synthesized = synth(branch)
    templates = [template.to_json() for template in synthesized.templates.values()]
    functions = _environment_functions(synthesized)
    assert {purpose for purpose, _, _ in functions} == set(EXPECTED_RETRIES)
    for purpose, template, function_id in functions:
        config, queue = _on_failure_queue(template, function_id)
        assert "KmsMasterKeyId" in queue, f"{purpose}: the failure queue is not encrypted with the KMS key"
        assert config["MaximumRetryAttempts"] == EXPECTED_RETRIES[purpose], purpose
        alarms = _queue_alarms(templates, queue["QueueName"])
        assert alarms and all(alarm.get("AlarmActions") for alarm in alarms), (
            f"{purpose}: no alarm with an action on ApproximateNumberOfMessagesVisible of {queue['QueueName']}"
        )


def test_the_janitor_keeps_its_failures_and_alarms(tmp_path):
    app = create_janitor_app(outdir=str(tmp_path))
    template = app.synth().get_stack_by_name(JANITOR_STACK).template
    function_id = _function_logical_id(template, JANITOR_FUNCTION)
    assert function_id in _asynchronously_invoked(template), "the janitor is run by an EventBridge schedule"
    config, queue = _on_failure_queue(template, function_id)
    assert "KmsMasterKeyId" in queue
    # A failed sweep is not retried at once: the next hourly run sweeps again.
    assert config["MaximumRetryAttempts"] == 0
    assert _queue_alarms([template], queue["QueueName"])
