"""Ingestion: the Lambda, its S3 trigger, failure queue and least-privilege role (retries: test_async_invocations)."""

import json


def _function(synthesized, purpose):
    name = synthesized.environment.resource_name(purpose)
    functions = synthesized.template("Ingestion").find_resources("AWS::Lambda::Function")
    matches = [f["Properties"] for f in functions.values() if f["Properties"].get("FunctionName") == name]
    assert len(matches) == 1
    return matches[0]


def test_function_runs_the_ingestion_handler_with_the_bronze_bucket(feature_env):
    function = _function(feature_env, "ingestion")
    assert function["Handler"] == "lambdas.ingestion.handler.handler"
    assert function["Environment"]["Variables"]["BRONZE_BUCKET"] == feature_env.environment.bucket_name("bronze")
    assert function["Timeout"] == 900
    assert len(function["Layers"]) == 1


def test_the_dag_waits_on_the_function_for_as_long_as_the_function_may_run(feature_env):
    # keystone_dags.ingestion reads for this long plus a margin, so a slow run is never invoked twice.
    environment = next(iter(feature_env.template("Orchestration").find_resources("AWS::MWAA::Environment").values()))[
        "Properties"
    ]
    options = environment["AirflowConfigurationOptions"]
    assert options["keystone.ingestion_function_timeout_s"] == str(_function(feature_env, "ingestion")["Timeout"])


def test_failure_queue_is_kms_encrypted_and_tls_only(feature_env):
    template = feature_env.template("Ingestion")
    queue = next(iter(template.find_resources("AWS::SQS::Queue").values()))["Properties"]
    assert queue["QueueName"] == feature_env.environment.resource_name("ingestion-dlq")
    assert "KmsMasterKeyId" in queue
    policy = json.dumps(template.find_resources("AWS::SQS::QueuePolicy"))
    assert "aws:SecureTransport" in policy


def test_every_object_created_in_landing_triggers_the_function(feature_env):
    template = feature_env.template("Ingestion")
    notifications = next(iter(template.find_resources("Custom::S3BucketNotifications").values()))["Properties"]
    assert notifications["BucketName"] == feature_env.environment.bucket_name("landing")
    configs = notifications["NotificationConfiguration"]["LambdaFunctionConfigurations"]
    assert [c["Events"] for c in configs] == [["s3:ObjectCreated:*"]]
    assert all("Filter" not in c for c in configs), "unknown prefixes must reach the function and fail loudly"


def test_role_reads_landing_and_writes_only_bronze_batch_prefixes(feature_env):
    env = feature_env.environment
    policies = feature_env.template("Ingestion").find_resources("AWS::IAM::Policy")
    statements = [
        s
        for p in policies.values()
        if "IngestionFunctionServiceRole" in json.dumps(p["Properties"]["Roles"])
        for s in p["Properties"]["PolicyDocument"]["Statement"]
    ]
    writes = [s for s in statements if "s3:PutObject" in s["Action"]]
    assert len(writes) == 1
    resources = json.dumps(writes[0]["Resource"])
    for prefix in ("batch", "quarantine", "manifests"):
        assert f"{env.bucket_name('bronze')}/{prefix}/*" in resources
    assert "streaming" not in resources and env.bucket_name("landing") not in resources
    reads = [s for s in statements if s["Action"] == "s3:GetObject"]
    assert json.dumps(reads[0]["Resource"]).count(env.bucket_name("landing")) == 1
