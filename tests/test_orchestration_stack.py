"""Orchestration: MWAA on the pinned Airflow, artifacts with pinned object versions, scoped role."""

import json

from aws_cdk import FileSystem

from stacks.constructs.mwaa_artifacts import REQUIREMENTS_KEY, STARTUP_SCRIPT_KEY
from stacks.orchestration import AIRFLOW_VERSION, LOG_TYPES
from stacks.synth_context import REPO_ROOT


def _environment(synthesized):
    environments = synthesized.template("Orchestration").find_resources("AWS::MWAA::Environment")
    assert len(environments) == 1
    return next(iter(environments.items()))


def test_mwaa_runs_the_pinned_airflow_with_profile_sizes(main_env, feature_env):
    assert AIRFLOW_VERSION == "3.0.6"
    for synthesized in (main_env, feature_env):
        settings = synthesized.environment.profile.mwaa
        _, environment = _environment(synthesized)
        props = environment["Properties"]
        assert props["Name"] == synthesized.environment.resource_name("airflow")
        assert props["AirflowVersion"] == AIRFLOW_VERSION
        assert props["EnvironmentClass"] == settings.environment_class
        assert (props["MinWorkers"], props["MaxWorkers"]) == (settings.min_workers, settings.max_workers)
        assert props["WebserverAccessMode"] == settings.webserver_access_mode
        assert "KmsKey" in props
        assert len(props["NetworkConfiguration"]["SubnetIds"]) == 2


def test_all_five_log_types_at_info(feature_env):
    _, environment = _environment(feature_env)
    logging = environment["Properties"]["LoggingConfiguration"]
    assert len(logging) == 5
    assert all(config == {"Enabled": True, "LogLevel": "INFO"} for config in logging.values())


def test_requirements_and_startup_script_versions_are_pinned(feature_env):
    template = feature_env.template("Orchestration")
    _, environment = _environment(feature_env)
    props = environment["Properties"]
    assert props["RequirementsS3Path"] == REQUIREMENTS_KEY
    assert props["StartupScriptS3Path"] == STARTUP_SCRIPT_KEY
    lookups = template.find_resources("Custom::AWS")
    for field, source in (
        ("RequirementsS3ObjectVersion", "requirements-mwaa.txt"),
        ("StartupScriptS3ObjectVersion", "startup.sh"),
    ):
        lookup_id = props[field]["Fn::GetAtt"][0]
        rendered = json.dumps(lookups[lookup_id]["Properties"]["Create"])
        assert "headObject" in rendered
        # The content fingerprint is part of the physical id, so a changed file re-reads the version.
        assert FileSystem.fingerprint(str(REPO_ROOT / "dags" / source)) in rendered


def test_environment_waits_for_every_artifact_deployment(feature_env):
    template = feature_env.template("Orchestration")
    _, environment = _environment(feature_env)
    deployments = template.find_resources("Custom::CDKBucketDeployment")
    assert len(deployments) == 4
    assert set(deployments) <= set(environment["DependsOn"])
    dags = [d for d in deployments.values() if d["Properties"].get("DestinationBucketKeyPrefix") == "dags/"]
    assert len(dags) == 1 and dags[0]["Properties"]["Prune"] is True


def test_ephemeral_environments_remove_the_log_groups_mwaa_leaves(main_env, feature_env):
    def removers(synthesized):
        lookups = synthesized.template("Orchestration").find_resources("Custom::AWS").values()
        return [json.dumps(r["Properties"].get("Delete", "")) for r in lookups if "deleteLogGroup" in json.dumps(r)]

    found = removers(feature_env)
    assert len(found) == len(LOG_TYPES)
    name = feature_env.environment.resource_name("airflow")
    for log_type in LOG_TYPES:
        assert any(f"airflow-{name}-{log_type}" in remover for remover in found)
    assert removers(main_env) == []


def test_mwaa_log_groups_keep_their_names_and_need_no_logs_resource_policy(main_env, feature_env):
    """The /aws/vendedlogs/ prefix is for vended log deliveries, which add each destination group to the account's
    CloudWatch Logs resource policy (5,120 characters; "Enabling logging from AWS services",
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html). MWAA is not one:
    it names its groups airflow-<environment>-<log type> itself (LoggingConfiguration takes no group name) and
    writes them with the execution role ("Amazon MWAA execution role",
    https://docs.aws.amazon.com/mwaa/latest/userguide/mwaa-create-role.html), so they stay where MWAA puts them."""
    for synthesized in (main_env, feature_env):
        _, environment = _environment(synthesized)
        logging = environment["Properties"]["LoggingConfiguration"]
        assert len(logging) == len(LOG_TYPES)
        for settings in logging.values():
            assert set(settings) == {"Enabled", "LogLevel"}, settings
        for template in synthesized.templates.values():
            assert not template.find_resources("AWS::Logs::ResourcePolicy")


def test_execution_role_is_scoped_to_this_environment(feature_env):
    env = feature_env.environment
    policies = feature_env.template("Orchestration").find_resources("AWS::IAM::Policy")
    role_policy = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in policies.values()
        if "ExecutionRole" in json.dumps(p["Properties"]["Roles"])
    ]
    assert len(role_policy) == 1
    statements = role_policy[0]
    rendered = json.dumps(statements)
    assert f"airflow-{env.resource_name('airflow')}-*" in rendered
    assert f"database/{env.glue_database('')}*" in rendered
    assert env.resource_name("ingestion") in rendered
    assert f"sns:{env.region}:{env.account}:{env.resource_name('alerts')}" in rendered
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.endswith("*") for a in actions), statement
        if statement["Resource"] == "*":
            assert set(actions) <= {"cloudwatch:PutMetricData", "s3:GetAccountPublicAccessBlock"}


def test_dags_read_this_environment_from_airflow_configuration(feature_env):
    _, environment = _environment(feature_env)
    options = environment["Properties"]["AirflowConfigurationOptions"]
    env = feature_env.environment
    assert options["keystone.bronze_bucket"] == env.bucket_name("bronze")
    assert options["keystone.athena_workgroup"] == env.resource_name("lakehouse")
    assert options["keystone.runtime"] == "aws"
    assert options["keystone.alert_topic_arn"].endswith(f":{env.resource_name('alerts')}")
    arns = [value for value in options.values() if str(value).startswith("arn:")]
    assert arns == [options["keystone.alert_topic_arn"]]


def test_the_dags_folder_ships_the_dbt_manifest_cosmos_renders_from(feature_env):
    from stacks.constructs.mwaa_artifacts import STAGING_DIR

    manifest = json.loads((STAGING_DIR / "dags" / "dbt_project" / "target" / "manifest.json").read_text())
    models = {node["name"] for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    assert {"stg_olist__orders", "fct_orders", "agg_daily_sales"} <= models
    for package in ("olist_transform.py", "keystone_dags", "contracts", "quality", "dbt_project"):
        assert (STAGING_DIR / "dags" / package).exists(), package


def test_dags_may_write_their_state_under_the_agreed_prefix(feature_env):
    import sys

    from stacks.orchestration import AIRFLOW_STATE_PREFIX

    sys.path.insert(0, str(REPO_ROOT / "dags"))
    try:
        from keystone_dags.settings import ARTIFACTS_PREFIX
    finally:
        sys.path.remove(str(REPO_ROOT / "dags"))
    assert AIRFLOW_STATE_PREFIX == ARTIFACTS_PREFIX
    policies = json.dumps(feature_env.template("Orchestration").find_resources("AWS::IAM::Policy"))
    assert f"/{AIRFLOW_STATE_PREFIX}/*" in policies
