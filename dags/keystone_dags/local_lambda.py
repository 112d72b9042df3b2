"""Invoke a Lambda handler the way the Lambda runtime does: event JSON on stdin, result JSON on stdout.

    python -m keystone_dags.local_lambda lambdas.ingestion.handler:handler < event.json

The local twin's stand-in for `lambda:Invoke`: the DAG runs this in the project venv, so the handler's code and
dependencies are exactly the function's. The handler's context holds what Powertools' Logger reads of the runtime's
(a fresh request id; the function is named after the handler's module). An exception prints
`{"errorType", "errorMessage"}` and exits 1, like a Lambda function error. Runs outside Airflow: imports nothing
from it.
"""

from __future__ import annotations

import importlib
import json
import sys
import traceback
import uuid
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LocalContext:
    """https://docs.aws.amazon.com/lambda/latest/dg/python-context.html"""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 0
    invoked_function_arn: str = ""


def main(argv: list[str]) -> int:
    if len(argv) != 1 or ":" not in argv[0]:
        print("usage: python -m keystone_dags.local_lambda <module>:<function> < event.json", file=sys.stderr)
        return 2
    module_name, function_name = argv[0].split(":", 1)
    handler = getattr(importlib.import_module(module_name), function_name)
    event = json.load(sys.stdin)
    try:
        result = handler(event, LocalContext(function_name=module_name))
    except Exception as error:  # reported to the caller as the Lambda runtime would
        traceback.print_exc()
        print(json.dumps({"errorType": type(error).__name__, "errorMessage": str(error)}))
        return 1
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
