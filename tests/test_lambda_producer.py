"""The cloud producer's handler: replays a replay/ prefix of S3 into Kafka, failing loudly when it cannot.

The olist_replay DAG and the function agree on one request (contracts/replay_request.py): the contract test runs
the DAG on its AWS path, takes the bytes it sent to Lambda's Invoke API, and feeds exactly those to the handler.
"""

import json
import re
import shutil

import pytest

from contracts import TABLES
from lambdas.producer.handler import ReplayFailed, handler
from localtwin.engines.process import free_port
from producers.kafka_config import BrokerUnreachable, KafkaConnection
from producers.topics import DEFAULT_PARTITIONS, ensure_topics, olist_topics
from tests.fixtures.airflow import (  # noqa: F401
    airflow_python,
    dbt_manifest,
    duckdb_extension_dir,
    make_twin,
    migrated_airflow_db,
)
from tests.fixtures.lambda_api import lambda_api
from tests.fixtures.lambda_context import LambdaContext

pytestmark = pytest.mark.slow

PRODUCER_FUNCTION = "keystone-test-producer"


@pytest.fixture
def producer_environment(local_engines, monkeypatch):
    for name, value in local_engines.aws_environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("BOOTSTRAP_SERVERS", local_engines.bootstrap_servers)
    monkeypatch.setenv("KAFKA_AUTH", "plaintext")
    ensure_topics(KafkaConnection(local_engines.bootstrap_servers).client_config(), olist_topics(DEFAULT_PARTITIONS, 1))


def test_handler_replays_the_csvs_of_a_replay_prefix(producer_environment, local_s3, olist_sample_dir, capsys):
    local_s3.create_bucket(Bucket="replay-ok")
    reviews = TABLES["order_reviews"].file_name
    local_s3.upload_file(str(olist_sample_dir / reviews), "replay-ok", f"replay/run-1/{reviews}")
    context = LambdaContext()
    source = "s3://replay-ok/replay/run-1/"
    result = handler({"source": source, "speed": "max", "tables": ["order_reviews"]}, context)
    assert result == {"events_by_topic": {"olist.order_reviews.v1": 6123}, "delivered": 6123}
    logged = {line["message"]: line for line in map(json.loads, capsys.readouterr().err.splitlines())}
    assert logged["replay_started"]["files"] == [reviews] and logged["replay_finished"]["exit_code"] == 0
    for line in (logged["replay_started"], logged["replay_finished"]):
        assert line["correlation_id"] == source and line["function_request_id"] == context.aws_request_id


def test_handler_fails_loudly_on_an_unreadable_file(producer_environment, local_s3, olist_sample_dir, tmp_path):
    local_s3.create_bucket(Bucket="replay-bad")
    broken = tmp_path / TABLES["order_items"].file_name
    shutil.copyfile(olist_sample_dir / TABLES["sellers"].file_name, broken)  # wrong header for order items
    local_s3.upload_file(str(broken), "replay-bad", f"replay/run-2/{broken.name}")
    with pytest.raises(ReplayFailed, match="NOT READ"):
        handler({"source": "s3://replay-bad/replay/run-2/", "tables": ["order_items"]}, LambdaContext())


def test_handler_fails_within_seconds_naming_an_address_where_no_broker_answers(producer_environment, monkeypatch):
    closed = free_port()
    monkeypatch.setenv("BOOTSTRAP_SERVERS", f"127.0.0.1:{closed}")
    # The metadata probe's error, not the client's retries until the function times out.
    with pytest.raises(BrokerUnreachable, match=f"BOOTSTRAP_SERVERS=127.0.0.1:{closed}: no Kafka broker answered"):
        handler({"source": "s3://replay-ok/replay/run-1/"}, LambdaContext())


def test_handler_rejects_a_source_that_is_not_s3(producer_environment):
    with pytest.raises(ValueError, match="s3://<bucket>/<prefix>/"):
        handler({"source": "/tmp/somewhere"}, LambdaContext())


def test_handler_says_when_the_prefix_holds_no_csv(producer_environment, local_s3):
    local_s3.create_bucket(Bucket="replay-empty")
    with pytest.raises(FileNotFoundError, match=re.escape("no .csv files under s3://replay-empty/replay/none/")):
        handler({"source": "s3://replay-empty/replay/none/"}, LambdaContext())


def test_handler_refuses_two_files_of_the_same_name(producer_environment, local_s3, olist_sample_dir):
    local_s3.create_bucket(Bucket="replay-twice")
    reviews = TABLES["order_reviews"].file_name
    for folder in ("a", "b"):
        local_s3.upload_file(str(olist_sample_dir / reviews), "replay-twice", f"replay/run-3/{folder}/{reviews}")
    with pytest.raises(ValueError, match=f"two files named {reviews} .*run-3/a/{reviews} and .*run-3/b/{reviews}"):
        handler({"source": "s3://replay-twice/replay/run-3/"}, LambdaContext())


def test_the_replay_dags_request_is_what_the_function_replays(producer_environment, make_twin, olist_sample_dir):  # noqa: F811
    twin = make_twin("replay-contract")
    reviews = TABLES["order_reviews"].file_name
    twin.s3.upload_file(str(olist_sample_dir / reviews), twin.landing, f"replay/contract/{reviews}")
    with lambda_api() as api:
        run = twin.on_aws(api.endpoint, KEYSTONE_PRODUCER_FUNCTION=PRODUCER_FUNCTION).dags_test(
            "olist_replay", conf={"speed": "max", "tables": ["order_reviews"], "source": "replay/contract/"}
        )
    assert run.state == "success", run.failure_report()
    [invocation] = api.calls_to(PRODUCER_FUNCTION)
    assert invocation.invocation_type == "Event"
    result = handler(json.loads(invocation.payload), LambdaContext())
    assert result == {"events_by_topic": {"olist.order_reviews.v1": 6123}, "delivered": 6123}


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"speed": "max", "tables": None}, "source is required"),
        ({"source": "s3://landing/replay/a/", "speed": "fast"}, "speed 'fast' is not"),
        ({"source": "s3://landing/replay/a/", "tables": ["sellers"]}, "tables ['sellers'] are not streamed"),
        ({"source": "s3://landing/replay/a/", "tables": "orders"}, "tables must be a list"),
        ({"source": "s3://landing/replay/a/", "tabels": ["orders"]}, "unknown field 'tabels'"),
        ({"source": "s3://landing/orders/"}, "source must be under replay/"),
        (["s3://landing/replay/a/"], "a JSON object"),
    ],
)
def test_a_malformed_request_fails_naming_the_field(event, message):
    # Raised before anything is read or sent; the producer is not retried (MaximumRetryAttempts 0), so the
    # record with this message goes straight to its on-failure queue.
    with pytest.raises(ValueError, match=re.escape(message)):
        handler(event, LambdaContext())
