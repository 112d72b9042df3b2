"""The MWAA execution role allows what dbt-athena, Athena and the DAG tasks call, on this environment only.

The calls are derived from the pinned dbt-athena-community source and the DAG code (tests/fixtures/aws_calls.py),
compared with the one checked-in list (stacks/mwaa_access.py), and the synthesized role is evaluated against every
(action, resource) they imply, and against the resources of an environment whose names share a prefix.
"""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

import botocore.session
import pytest
import yaml
from botocore import xform_name

from environments import resolve_environment
from stacks import mwaa_access as access
from stacks.constructs.mwaa_artifacts import AIRFLOW_STATE_PREFIX
from stacks.orchestration import LOG_TYPES
from stacks.synth_context import REPO_ROOT
from tests.fixtures.aws_calls import aws_calls
from tests.fixtures.iam_policy import RolePolicy

DBT_ATHENA_SOURCE = Path(__import__("dbt.adapters.athena", fromlist=["impl"]).__file__).parent
# An environment whose slug starts with the feature environment's: `feat` and `feat-airflow-x` share the Glue
# prefix `feat_` and the MWAA log group prefix `airflow-keystone-feat-airflow-`.
SHORT_BRANCH = "feat"
LONGER_BRANCH = "feat-airflow-x"


def _granted(table: dict) -> set[str]:
    return {action for action in table.values() if isinstance(action, str)}


def _role(synthesized) -> RolePolicy:
    return RolePolicy(synthesized, "Orchestration", "ExecutionRole")


def _arn(env, service: str, resource: str) -> str:
    return f"arn:aws:{service}:{env.region}:{env.account}:{resource}"


def _catalog_tables(synthesized) -> dict[str, set[str]]:
    """Glue database -> the tables the Catalog stack creates in it."""
    template = synthesized.template("Catalog")
    tables: dict[str, set[str]] = {
        db["Properties"]["DatabaseInput"]["Name"]: set()
        for db in template.find_resources("AWS::Glue::Database").values()
    }
    for table in template.find_resources("AWS::Glue::Table").values():
        tables[table["Properties"]["DatabaseName"]].add(table["Properties"]["TableInput"]["Name"])
    return tables


def _dbt_tables() -> dict[str, set[str]]:
    """layer -> the tables dbt builds in it, from the manifest the DAGs ship with."""
    from stacks.constructs.mwaa_artifacts import STAGING_DIR

    manifest = json.loads((STAGING_DIR / "dags" / "dbt_project" / "target" / "manifest.json").read_text())
    tables: dict[str, set[str]] = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            tables.setdefault(node["config"]["schema"], set()).add(node["alias"])
    return tables


def test_the_scanned_dbt_athena_is_the_one_mwaa_runs():
    """The source scanned below is the version the MWAA dbt virtualenv installs, so a pinned upgrade that adds a call
    fails the next test instead of failing a task in the cloud."""
    pins = (REPO_ROOT / "dags" / "requirements-dbt.txt").read_text().splitlines()
    assert f"dbt-athena-community=={version('dbt-athena-community')}" in pins


def test_dbt_athena_calls_are_the_checked_in_list():
    derived = aws_calls(sorted(DBT_ATHENA_SOURCE.rglob("*.py")))
    assert derived == access.DBT_ATHENA_CALLS.keys(), (
        f"new in dbt-athena: {sorted(derived - access.DBT_ATHENA_CALLS.keys())}; "
        f"gone: {sorted(access.DBT_ATHENA_CALLS.keys() - derived)}"
    )
    session = botocore.session.get_session()
    for (service, method), action in access.DBT_ATHENA_CALLS.items():
        if isinstance(action, str) and service != "s3":
            operations = {xform_name(name): name for name in session.get_service_model(service).operation_names}
            assert action == f"{service}:{operations[method]}", (service, method)


def test_dag_calls_are_the_checked_in_list():
    sources = sorted([*(REPO_ROOT / "dags").rglob("*.py"), *(REPO_ROOT / "quality").rglob("*.py")])
    assert aws_calls(sources) == access.DAG_CALLS.keys()


def test_the_calls_left_out_are_never_reached():
    """Each NotCalled reason holds for this project: no Lake Formation configs, no Python models, the Glue catalog."""
    athena = yaml.safe_load((REPO_ROOT / "dbt_project" / "profiles.yml").read_text())["keystone"]["outputs"]["athena"]
    assert athena["database"] == "awsdatacatalog"
    # connection_manager: pyathena would send the queries through pyathena's client, whose calls are not scanned.
    assert not {"assume_role_arn", "lf_tags_database", "connection_manager"} & athena.keys()
    project = REPO_ROOT / "dbt_project"
    assert not list((project / "models").rglob("*.py"))
    configs = [*project.rglob("*.yml"), *project.rglob("*.sql")]
    reaching = ("lf_tags", "lf_grants", "drop_glue_database")
    assert not [path for path in configs if any(word in path.read_text() for word in reaching)]


def test_every_statement_dbt_sends_needs_only_granted_glue_actions():
    glue_calls = {a for a in _granted(access.DBT_ATHENA_CALLS) if a.startswith("glue:")}
    statements = {a for actions in access.ATHENA_STATEMENT_GLUE_ACTIONS.values() for a in actions}
    assert (glue_calls | statements) - set(access.GLUE_LIST_DATABASES_ACTIONS) == set(access.GLUE_WRITE_ACTIONS)
    s3_calls = {a for a in _granted(access.DBT_ATHENA_CALLS) if a.startswith("s3:")}
    assert s3_calls <= set(access.S3_WRITE_ACTIONS)


def _required(synthesized) -> list[tuple[str, str]]:
    """Every (action, resource ARN) dbt-athena, Athena and the DAG tasks hit in this environment."""
    env = synthesized.environment
    catalog = _arn(env, "glue", "catalog")
    catalog_tables = _catalog_tables(synthesized)
    dbt_tables = _dbt_tables()
    workgroup = _arn(env, "athena", f"workgroup/{env.resource_name('lakehouse')}")
    pairs = [(action, workgroup) for action in access.ATHENA_WORKGROUP_ACTIONS]
    # Every Athena query needs these on the catalog and `default`, and the statements dbt sends need the Glue actions
    # of https://docs.aws.amazon.com/athena/latest/ug/fine-grained-access-to-glue-resources.html on the database,
    # its tables and the catalog (ancestors included).
    for action in access.ATHENA_DEFAULT_DATABASE_ACTIONS:
        pairs += [(action, catalog), (action, _arn(env, "glue", f"database/{access.DEFAULT_DATABASE}"))]
    for database in catalog_tables:
        pairs += [("glue:GetDatabases", catalog), ("glue:GetDatabases", _arn(env, "glue", f"database/{database}"))]
    grants = ((access.READ_LAYERS, access.GLUE_READ_ACTIONS), (access.WRITE_LAYERS, access.GLUE_WRITE_ACTIONS))
    for layers, actions in grants:
        for layer in layers:
            database = env.glue_database(layer)
            assert database in catalog_tables, f"{database} is not a database the Catalog stack creates"
            tables = catalog_tables[database] | dbt_tables.get(layer, set())
            assert tables, layer
            for action in actions:
                pairs += [(action, catalog), (action, _arn(env, "glue", f"database/{database}"))]
                pairs += [(action, _arn(env, "glue", f"table/{database}/{table}")) for table in sorted(tables)]
    buckets = {
        access.S3_LIST_ACTIONS: ["landing"],
        access.S3_READ_ACTIONS: ["bronze"],
        access.S3_WRITE_ACTIONS: ["silver", "gold", "query-results"],
    }
    for actions, purposes in buckets.items():
        for purpose in purposes:
            bucket = f"arn:aws:s3:::{env.bucket_name(purpose)}"
            for action in actions:
                bucket_level = action in ("s3:ListBucket", "s3:GetBucketLocation", "s3:ListBucketMultipartUploads")
                pairs.append((action, bucket if bucket_level else f"{bucket}/dbt/some/object"))
    artifacts = f"arn:aws:s3:::{env.bucket_name('artifacts')}"
    pairs += [("s3:PutObject", f"{artifacts}/airflow/ledger/x"), ("s3:ListBucket", artifacts)]
    for function in ("ingestion", "producer"):
        pairs.append(("lambda:InvokeFunction", _arn(env, "lambda", f"function:{env.resource_name(function)}")))
    pairs.append(("sns:Publish", _arn(env, "sns", env.resource_name("alerts"))))
    return pairs


def test_the_role_allows_every_call_on_its_resource(feature_env):
    role = _role(feature_env)
    missing = [pair for pair in _required(feature_env) if not role.allows(*pair)]
    assert not missing, f"{len(missing)} calls denied, e.g. {missing[:8]}"


def test_the_role_writes_the_log_groups_mwaa_creates(feature_env):
    """MWAA names its log groups itself, `airflow-<environment>-<LogType>`: the CloudFormation property
    ModuleLoggingConfiguration.CloudWatchLogGroupArn is a return value only ("Any value you provide ... is discarded
    by Amazon MWAA", AWS::MWAA::Environment ModuleLoggingConfiguration), so they cannot live under /aws/vendedlogs/.
    MWAA writes them with the execution role (MWAA User Guide, "Amazon MWAA execution role", sample policy), not
    through a CloudWatch Logs resource policy, so the resource-policy size limit does not apply to them.
    """
    env = feature_env.environment
    role = _role(feature_env)
    for log_type in LOG_TYPES:
        group = _arn(env, "logs", f"log-group:airflow-{env.resource_name('airflow')}-{log_type}")
        for action in ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:GetLogEvents"):
            assert role.allows(action, f"{group}:*") or role.allows(action, group), (action, group)
        assert role.allows("logs:PutLogEvents", f"{group}:log-stream:scheduler_1"), group
    assert role.allows("logs:DescribeLogGroups", "*")


def test_the_role_reaches_no_environment_that_shares_its_prefix(synth):
    short = synth(SHORT_BRANCH)
    role = _role(short)
    other = resolve_environment(LONGER_BRANCH, account=short.environment.account, region=short.environment.region)
    assert other.glue_database("bronze").startswith(short.environment.glue_database(""))
    reached = []
    for layer in ("bronze", "silver", "gold"):
        database = other.glue_database(layer)
        for action in access.GLUE_WRITE_ACTIONS:
            for resource in (f"database/{database}", f"table/{database}/orders"):
                if role.allows(action, _arn(other, "glue", resource)):
                    reached.append((action, resource))
        bucket = f"arn:aws:s3:::{other.bucket_name(layer)}"
        for action in access.S3_WRITE_ACTIONS:
            if role.allows(action, bucket) or role.allows(action, f"{bucket}/x"):
                reached.append((action, bucket))
    for log_type in LOG_TYPES:
        group = _arn(other, "logs", f"log-group:airflow-{other.resource_name('airflow')}-{log_type}:*")
        reached += [("logs:PutLogEvents", group)] if role.allows("logs:PutLogEvents", group) else []
    assert not reached, f"the {SHORT_BRANCH} role reaches {LONGER_BRANCH}: {reached[:6]}"


def test_the_role_grants_nothing_beyond_the_list(feature_env):
    env = feature_env.environment
    role = _role(feature_env)
    mwaa_own = {
        "airflow:PublishMetrics",
        "cloudwatch:PutMetricData",
        "s3:GetAccountPublicAccessBlock",
        "s3:GetObjectVersion",
        "s3:GetBucketVersioning",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetEncryptionConfiguration",
        "s3:ListBucketVersions",
        "logs:CreateLogStream",
        "logs:CreateLogGroup",
        "logs:PutLogEvents",
        "logs:GetLogEvents",
        "logs:GetLogRecord",
        "logs:GetLogGroupFields",
        "logs:GetQueryResults",
        "logs:DescribeLogGroups",
        "sqs:ChangeMessageVisibility",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "sqs:GetQueueUrl",
        "sqs:ReceiveMessage",
        "sqs:SendMessage",
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:GenerateDataKey",
        "kms:Encrypt",
    }
    listed = (
        set(access.ATHENA_WORKGROUP_ACTIONS)
        | set(access.GLUE_LIST_DATABASES_ACTIONS)
        | set(access.GLUE_WRITE_ACTIONS)
        | set(access.S3_WRITE_ACTIONS)
        | set(access.DAG_CALLS.values())
    )
    assert role.actions <= mwaa_own | listed, sorted(role.actions - mwaa_own - listed)
    assert not [a for a in role.actions if "*" in a.split(":", 1)[1].rstrip("*")] and not any(
        a.endswith(":*") for a in role.actions
    )
    databases = {env.glue_database(layer) for layer in ("bronze", "silver", "gold")} | {access.DEFAULT_DATABASE}
    allowed_glue = {_arn(env, "glue", "catalog")}
    allowed_glue |= {_arn(env, "glue", f"database/{db}") for db in databases}
    allowed_glue |= {_arn(env, "glue", f"table/{db}/*") for db in databases - {access.DEFAULT_DATABASE}}
    for action in sorted(a for a in role.actions if a.startswith("glue:")):
        extra = role.resources_of(action) - allowed_glue
        # The one `*`: GetDatabases lists the catalog, and the Athena page above grants it on `database/*`.
        if action in access.GLUE_LIST_DATABASES_ACTIONS:
            extra -= {_arn(env, "glue", "database/*")}
        assert not extra, (action, extra)
    assert not role.allows("glue:DeleteDatabase", _arn(env, "glue", f"database/{env.glue_database('silver')}"))
    _assert_s3_scope(env, role)


def _assert_s3_scope(env, role: RolePolicy) -> None:
    """Each S3 action on the buckets the lists give it and no other: writes only where Athena or the DAGs write."""

    def buckets(*purposes: str) -> set[str]:
        return {f"arn:aws:s3:::{env.bucket_name(p)}{suffix}" for p in purposes for suffix in ("", "/*")}

    artifacts = buckets("artifacts")
    read = buckets(*access.READ_LAYERS, *access.WRITE_LAYERS, "query-results") | artifacts
    written = buckets(*access.WRITE_LAYERS, "query-results")
    state = {f"arn:aws:s3:::{env.bucket_name('artifacts')}/{AIRFLOW_STATE_PREFIX}/*"}
    scope = {action: written for action in set(access.S3_WRITE_ACTIONS) - set(access.S3_READ_ACTIONS)}
    scope |= {action: read for action in access.S3_READ_ACTIONS}
    scope["s3:ListBucket"] = read | buckets("landing")
    scope["s3:PutObject"] = written | state
    for action in sorted(a for a in role.actions if a.startswith("s3:") and a != "s3:GetAccountPublicAccessBlock"):
        # Anything else is MWAA's own read of its artifacts bucket.
        extra = role.resources_of(action) - scope.get(action, artifacts)
        assert not extra, (action, extra)
    assert not role.allows("s3:PutObject", f"arn:aws:s3:::{env.bucket_name('bronze')}/x")
    assert not role.allows("s3:PutObject", f"arn:aws:s3:::{env.bucket_name('landing')}/x")


@pytest.mark.slow
def test_athena_relations_land_in_the_catalog_databases(feature_env, tmp_path, monkeypatch):
    """dbt parses the athena target with exactly what MWAA hands the tasks (keystone.<name> options, exposed as
    AIRFLOW__KEYSTONE__<NAME> and passed on by keystone_dags.settings), and every relation it would create or read,
    and the profile's own schema (Athena's query context), is a database the synthesized Catalog stack creates."""
    import sys

    from stacks.orchestration import airflow_settings
    from tests.fixtures.dbt_cli import DbtProject
    from tests.fixtures.moto import MOTO_ENVIRONMENT

    env = feature_env.environment
    for option, value in airflow_settings(env).items():
        monkeypatch.setenv(f"AIRFLOW__{option.replace('.', '__').upper()}", value)
    monkeypatch.syspath_prepend(str(REPO_ROOT / "dags"))
    sys.modules.pop("keystone_dags.settings", None)
    from keystone_dags import settings

    project = DbtProject(tmp_path, {**MOTO_ENVIRONMENT, **settings.keystone_environment()})
    project.run("parse", "--target", "athena")
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    databases = set(_catalog_tables(feature_env))
    nodes = list(manifest["nodes"].values())
    models = [node for node in nodes if node["resource_type"] == "model"]
    assert {node["schema"] for node in models} == {env.glue_database("silver"), env.glue_database("gold")}
    for node in models:
        assert node["relation_name"] == f'"awsdatacatalog"."{node["schema"]}"."{node["alias"]}"'
    assert {node["schema"] for node in nodes} <= databases, {node["schema"] for node in nodes} - databases
    assert {source["schema"] for source in manifest["sources"].values()} == {env.glue_database("bronze")}
