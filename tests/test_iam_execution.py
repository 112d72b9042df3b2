"""IAM by execution: each workload's real code runs on moto with IAM enforced, as a role whose one policy is the
synthesized document of its role; a call the policy does not allow fails the test, and dropping any statement the
run needed makes the same code fail with AccessDenied.

Workloads: the ingestion Lambda (its handler on a landing object, into Bronze), the producer Lambda (its download
of a replay prefix; the Kafka side is not moto's), the S3 sink connector's writes (the plugin is Java: its one S3
call, `S3Clients.put`, a single PutObject with content type application/gzip, is made with boto3 here), and the DAG
tasks' S3 work under the MWAA execution role (tests/fixtures/dag_s3_tasks.py, in the Airflow venv). The topic-admin
Lambda is gone: topics are AWS::MSK::Topic resources (tests/test_streaming_stack.py). dbt-athena cannot run on
moto (its Athena runs no SQL): tests/test_mwaa_role.py checks its calls, derived from the pinned source, and the
DAGs' Lambda and SNS calls against the role on their ARNs.

What moto's enforcement does not cover (moto/iam/access_control.py, "This implementation is NOT complete";
https://github.com/getmoto/moto/blob/master/docs/docs/iam.rst: "the current implementation is very basic"):
- condition keys: a Condition in an identity policy is ignored. Every call moto allowed is therefore evaluated
  again with tests/fixtures/policies.py, with the s3:prefix of the request (the producer's ListBucket condition).
- resource ARNs outside S3: every other service authorizes against `*`. These workloads call S3 only.
- resource policies (bucket policies, KMS key policies), and SSE-KMS: the buckets made here have no default KMS
  encryption, so the kms: statements the deployed buckets need are not exercised.
- the 403 S3 answers instead of 404 for a missing key to a caller without s3:ListBucket
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, "Permissions"): moto answers 404.
- managed policies (AWSLambdaBasicExecutionRole: logs) are not attached; only the role's own policy is.
- Kafka IAM (kafka-cluster:*): evaluated by tests/test_streaming_stack.py against the synthesized statements.
- the Lambda service's own use of the role (dead-letter queue, logs): the sqs: statements are not the code's.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import uuid
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest

from contracts import TABLES, layout
from stacks.constructs.mwaa_artifacts import AIRFLOW_STATE_PREFIX
from tests.fixtures.iam_moto import Authorization, EnforcingMoto, enforcing_moto  # noqa: F401
from tests.fixtures.iam_policy import RolePolicy
from tests.fixtures.lambda_context import LambdaContext
from tests.fixtures.policies import Request, evaluate

pytestmark = pytest.mark.slow

TRANSLATION = TABLES["product_category_name_translation"]
# One good row and one with the required Portuguese name missing, so the run writes Parquet and quarantine.
TRANSLATION_CSV = b"product_category_name,product_category_name_english\r\nbeleza_saude,health_beauty\r\n,toys\r\n"
ORDERS = TABLES["orders"]
REPLAY_PREFIX = f"{layout.REPLAY_PREFIX}/iam-check/"

_KAFKA = "Kafka IAM is not moto's: tests/test_streaming_stack.py evaluates the kafka-cluster statements"
_KMS = "SSE-KMS: S3 uses the bucket key as the caller; the buckets here are not KMS-encrypted"
_SQS = "the Lambda service sends the failed invocation to the queue with the role; the code never does"
_MWAA = "MWAA's own use of its execution role (its bucket, logs, metrics, Celery queue), not the DAGs' code"
_ATHENA = "dbt-athena and the statements Athena runs as the caller: tests/test_mwaa_role.py, from the pinned source"
_NOT_S3 = "moto authorizes it against `*` only; tests/test_mwaa_role.py evaluates it on the function and topic ARNs"
_NO_MULTIPART = "objects under the 16 MiB multipart threshold go in one PutObject; a multipart upload needs it"


Outcome = tuple[str, Exception | None]  # the role's name, and what the code raised (None: it ran)


@dataclass(frozen=True)
class Workload:
    component: str
    role_id_part: str
    run: Callable[[EnforcingMoto, object, Path], None]
    # Granted actions the run does not use (`<service>:` for all of a service's), each with why the role has them.
    unused: dict[str, str]

    def unexplained(self, never_used: set[str]) -> set[str]:
        return {action for action in never_used if not {action, action.split(":")[0] + ":"} & self.unused.keys()}

    def stale(self, never_used: set[str]) -> set[str]:
        """Explained as unused, yet used or not granted."""
        return {key for key in self.unused if not key.endswith(":") and key not in never_used}


def _land_and_ingest(moto: EnforcingMoto, env, *, enforce: bool) -> dict:
    """One landing drop through the ingestion handler; its report of the file."""
    from lambdas.ingestion.handler import handler

    landing, bronze = env.bucket_name("landing"), env.bucket_name("bronze")
    moto.empty_buckets(landing, bronze, env.bucket_name("artifacts"))
    key = f"{layout.landing_prefix(TRANSLATION.name)}{TRANSLATION.file_name}"
    moto.admin("s3").put_object(Bucket=landing, Key=key, Body=TRANSLATION_CSV)
    event = {"Records": [{"s3": {"bucket": {"name": landing}, "object": {"key": key}}}]}
    with pytest.MonkeyPatch.context() as patch, moto.enforced() if enforce else nullcontext():
        patch.setenv("BRONZE_BUCKET", bronze)
        [result] = handler(event, LambdaContext())["files"]
    assert (result["rows_loaded"], result["rows_quarantined"]) == (1, 1), result
    return result


def _ingestion(moto: EnforcingMoto, env, workdir: Path) -> None:
    _land_and_ingest(moto, env, enforce=True)


def _dag_tasks(moto: EnforcingMoto, env, workdir: Path) -> None:
    """The DAG tasks' S3 calls (tests/fixtures/dag_s3_tasks.py) in the Airflow venv, with the settings MWAA gets."""
    from localtwin.airflow.venv import REPO_ROOT, ensure_venv
    from stacks.orchestration import airflow_settings

    file_result = _land_and_ingest(moto, env, enforce=False)
    connection = {
        "conn_type": "aws",
        "login": os.environ["AWS_ACCESS_KEY_ID"],
        "password": os.environ["AWS_SECRET_ACCESS_KEY"],
        "extra": {"aws_session_token": os.environ["AWS_SESSION_TOKEN"], "endpoint_url": moto.endpoint},
    }
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "KEYSTONE_"))},
        **{f"AIRFLOW__{option.replace('.', '__').upper()}": value for option, value in airflow_settings(env).items()},
        "AIRFLOW_CONN_AWS_DEFAULT": json.dumps(connection),
        "AIRFLOW_HOME": str(workdir / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": os.pathsep.join([str(REPO_ROOT / "dags"), str(REPO_ROOT)]),
    }
    command = [str(ensure_venv()), "-m", "tests.fixtures.dag_s3_tasks", json.dumps(file_result)]
    with moto.enforced():
        done = subprocess.run(
            command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, timeout=300, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"the DAG tasks failed:\n{done.stderr[-3000:]}")
    docs = f"{AIRFLOW_STATE_PREFIX}/data-docs/iam-check/index.html"  # the prefix dag_s3_tasks uploads to
    head = moto.admin("s3").head_object(Bucket=env.bucket_name("artifacts"), Key=docs)
    assert head["ContentType"] == "text/html", head["ContentType"]


def _producer(moto: EnforcingMoto, env, workdir: Path) -> None:
    from lambdas.producer.handler import _download_csvs

    landing = env.bucket_name("landing")
    moto.empty_buckets(landing)
    moto.admin("s3").put_object(Bucket=landing, Key=f"{REPLAY_PREFIX}{ORDERS.file_name}", Body=b"order_id\r\n")
    with moto.enforced():
        assert _download_csvs(landing, REPLAY_PREFIX, workdir) == [ORDERS.file_name]
    assert (workdir / ORDERS.file_name).read_bytes() == b"order_id\r\n"


def _connector(moto: EnforcingMoto, env, workdir: Path) -> None:
    bronze = env.bucket_name("bronze")
    moto.empty_buckets(bronze)
    topic = ORDERS.topic
    key = (
        layout.streaming_table_prefix(topic)
        + layout.partition_path(layout.STREAMING_PARTITIONS, datetime.now(UTC))
        + layout.streaming_object_name(str(topic), 0, 0, uuid.uuid4().hex)
    )
    body = gzip.compress(json.dumps({"event_id": "x"}).encode() + b"\n")
    with moto.enforced():
        boto3.client("s3").put_object(Bucket=bronze, Key=key, Body=body, ContentType="application/gzip")


WORKLOADS = {
    "ingestion": Workload(
        "Ingestion",
        "IngestionFunctionServiceRole",
        _ingestion,
        {
            "s3:AbortMultipartUpload": _NO_MULTIPART,
            "s3:ListBucket": "read_json's missing manifest is a 404 (not a 403) only with s3:ListBucket",
            "sqs:GetQueueAttributes": _SQS,
            "sqs:GetQueueUrl": _SQS,
            "sqs:SendMessage": _SQS,
            "kms:Decrypt": _KMS,
            "kms:Encrypt": _KMS,
            "kms:GenerateDataKey": _KMS,
            "kms:GenerateDataKey*": _KMS,
            "kms:ReEncrypt*": _KMS,
        },
    ),
    "producer": Workload(
        "Streaming",
        "ProducerFunctionServiceRole",
        _producer,
        {
            "kafka-cluster:Connect": _KAFKA,
            "kafka-cluster:WriteDataIdempotently": _KAFKA,
            "kafka-cluster:DescribeTopic": _KAFKA,
            "kafka-cluster:WriteData": _KAFKA,
            "sqs:GetQueueAttributes": _SQS,
            "sqs:GetQueueUrl": _SQS,
            "sqs:SendMessage": _SQS,
            "kms:Decrypt": _KMS,
            "kms:Encrypt": _KMS,
            "kms:GenerateDataKey*": _KMS,
            "kms:ReEncrypt*": _KMS,
        },
    ),
    "connector": Workload(
        "Streaming",
        "BronzeSinkExecutionRole",
        _connector,
        {
            "kafka-cluster:Connect": _KAFKA,
            "kafka-cluster:DescribeCluster": _KAFKA,
            "kafka-cluster:DescribeTopic": _KAFKA,
            "kafka-cluster:ReadData": _KAFKA,
            "kafka-cluster:CreateTopic": _KAFKA,
            "kafka-cluster:WriteData": _KAFKA,
            "kafka-cluster:AlterGroup": _KAFKA,
            "kafka-cluster:DescribeGroup": _KAFKA,
            "kms:Decrypt": _KMS,
            "kms:GenerateDataKey": _KMS,
        },
    ),
    "dag-tasks": Workload(
        "Orchestration",
        "ExecutionRole",
        _dag_tasks,
        {
            "airflow:": _MWAA,
            "cloudwatch:": _MWAA,
            "logs:": _MWAA,
            "sqs:": _MWAA,
            "kms:": _KMS,
            "glue:": _ATHENA,
            "athena:": _ATHENA,
            "lambda:": _NOT_S3,
            "sns:": _NOT_S3,
            "s3:GetObjectVersion": _MWAA,
            "s3:GetBucketVersioning": _MWAA,
            "s3:GetBucketPublicAccessBlock": _MWAA,
            "s3:GetAccountPublicAccessBlock": _MWAA,
            "s3:GetEncryptionConfiguration": _MWAA,
            "s3:ListBucketVersions": _MWAA,
            "s3:GetBucketLocation": _ATHENA,
            "s3:DeleteObject": _ATHENA,
            "s3:AbortMultipartUpload": _ATHENA,
            "s3:ListBucketMultipartUploads": _ATHENA,
            "s3:ListMultipartUploadParts": _ATHENA,
        },
    ),
}


def _execute(moto: EnforcingMoto, workload: Workload, document: dict, env, workdir: Path) -> Outcome:
    """Run the workload as a fresh role whose one policy is `document`."""
    workdir.mkdir(parents=True, exist_ok=True)
    with moto.acting_as(document) as role, pytest.MonkeyPatch.context() as patch:
        for name, value in role.environment.items():
            patch.setenv(name, value)
        # A default session made earlier would keep its credentials: the code's boto3.client() must read these.
        patch.setattr(boto3, "DEFAULT_SESSION", None)
        try:
            workload.run(moto, env, workdir)
        except Exception as error:
            return role.name, error
    return role.name, None


def _allowing(statements: list[dict], request: Request) -> list[int]:
    """The indexes of the statements that allow the request on their own."""
    return [
        index
        for index, statement in enumerate(statements)
        if evaluate({"Statement": [statement]}, request, identity=True) == "Allow"
    ]


def _request(authorization: Authorization) -> Request:
    return Request(
        principal={"AWS": authorization.role},
        action=authorization.action,
        resource=authorization.resource,
        context=authorization.context,
    )


@pytest.mark.parametrize("name", WORKLOADS)
def test_the_workload_runs_under_its_synthesized_role(name, feature_env, enforcing_moto, tmp_path):  # noqa: F811
    workload = WORKLOADS[name]
    policy = RolePolicy(feature_env, workload.component, workload.role_id_part)
    role, error = _execute(enforcing_moto, workload, policy.document, feature_env.environment, tmp_path)
    authorizations = enforcing_moto.authorized(role)
    denied = [a for a in authorizations if not a.allowed]
    assert error is None and not denied, f"{name} failed under its role: {error!r}; denied {denied}"
    # moto ignores conditions: the same calls, evaluated with their context keys, must be allowed too.
    refused = [a for a in authorizations if evaluate(policy.document, _request(a), identity=True) != "Allow"]
    assert not refused, f"moto allowed, the policy does not: {refused}"
    used = {a.action for a in authorizations}
    never_used = policy.actions - used
    print(f"\n{name}: used {sorted(used)}; granted {sorted(policy.actions)}; granted, never used {sorted(never_used)}")
    assert not workload.unexplained(never_used), f"granted, unused, unexplained: {workload.unexplained(never_used)}"
    assert not workload.stale(never_used), f"explained as unused, but used or not granted: {workload.stale(never_used)}"


@pytest.mark.parametrize("name", WORKLOADS)
def test_without_any_statement_it_needs_the_workload_fails(name, feature_env, enforcing_moto, tmp_path):  # noqa: F811
    """Each statement that alone allowed a call of the full run is dropped in turn: the same code then fails."""
    workload = WORKLOADS[name]
    policy = RolePolicy(feature_env, workload.component, workload.role_id_part)
    env = feature_env.environment
    role, error = _execute(enforcing_moto, workload, policy.document, env, tmp_path / "full")
    assert error is None, error
    needed = sorted(
        {
            index
            for a in enforcing_moto.authorized(role)
            if len(allowing := _allowing(policy.statements, _request(a))) == 1
            for index in allowing
        }
    )
    assert needed, f"no statement of the {name} role was needed"
    for index in needed:
        statements = [s for i, s in enumerate(policy.statements) if i != index]
        document = {**policy.document, "Statement": statements}
        role, error = _execute(enforcing_moto, workload, document, env, tmp_path / f"without-{index}")
        denied = [a for a in enforcing_moto.authorized(role) if not a.allowed]
        dropped = policy.statements[index]
        assert error is not None and denied, f"{name} still runs without {dropped}"
        assert "AccessDenied" in str(error) or "403" in str(error), error


def test_a_condition_moto_ignores_is_evaluated_on_the_recorded_call(feature_env, enforcing_moto, tmp_path):  # noqa: F811
    """The producer may list the landing bucket under replay/ only (an s3:prefix condition): moto lets it list
    elsewhere, the re-evaluation of the recorded call does not."""
    policy = RolePolicy(feature_env, "Streaming", "ProducerFunctionServiceRole")
    landing = feature_env.environment.bucket_name("landing")

    def list_outside_replay(moto: EnforcingMoto, env, workdir: Path) -> None:
        from lambdas.producer.handler import _download_csvs

        moto.empty_buckets(landing)
        with moto.enforced():
            _download_csvs(landing, f"{layout.BATCH_PREFIX}/", workdir)

    outside = Workload("Streaming", "ProducerFunctionServiceRole", list_outside_replay, {})
    role, error = _execute(enforcing_moto, outside, policy.document, feature_env.environment, tmp_path)
    assert isinstance(error, FileNotFoundError), error  # moto listed the prefix: nothing there, no AccessDenied
    [listing] = enforcing_moto.authorized(role)
    assert (listing.action, listing.allowed, listing.context) == ("s3:ListBucket", True, {"s3:prefix": "batch/"})
    assert evaluate(policy.document, _request(listing), identity=True) == "ImplicitDeny"
