"""Orchestration: an MWAA environment running this repository's DAGs and dbt project."""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_mwaa as mwaa
from aws_cdk import aws_s3 as s3
from aws_cdk import custom_resources as cr
from constructs import Construct

from environments import Environment
from stacks import mwaa_access as access
from stacks import names
from stacks.catalog import LAYERS
from stacks.compliance import acknowledge_wildcards
from stacks.constructs.mwaa_artifacts import (
    AIRFLOW_STATE_PREFIX,
    DAGS_PREFIX,
    PLUGINS_KEY,
    REQUIREMENTS_KEY,
    STARTUP_SCRIPT_KEY,
    MwaaArtifacts,
)
from stacks.constructs.mwaa_plugins import TOOLS
from stacks.environment_stack import EnvironmentStack
from stacks.ingestion import FUNCTION_TIMEOUT as INGESTION_FUNCTION_TIMEOUT
from stacks.network import NetworkStack
from stacks.storage import StorageStack
from stacks.synth_context import REPO_ROOT

AIRFLOW_VERSION = "3.0.6"
LOG_TYPES = ("DAGProcessing", "Scheduler", "Task", "WebServer", "Worker")


UPSTREAM_REASON = "DAGs use the buckets, catalog, producer and ingestion"


def airflow_settings(environment: Environment) -> dict[str, str]:
    """What the DAGs and dbt read to find this environment.

    MWAA exposes each option `keystone.<name>` as AIRFLOW__KEYSTONE__<NAME>; `dags/keystone_dags/settings.py`
    reads them, and hands them to dbt as KEYSTONE_<NAME> (dbt_project/profiles.yml, target `athena`).
    """
    alert_topic = f"arn:aws:sns:{environment.region}:{environment.account}:{names.alert_topic(environment)}"
    return {
        "keystone.runtime": "aws",
        "keystone.slug": environment.slug,
        "keystone.region": environment.region,
        "keystone.aws_region": environment.region,
        "keystone.landing_bucket": environment.bucket_name("landing"),
        "keystone.bronze_bucket": environment.bucket_name("bronze"),
        "keystone.artifacts_bucket": environment.bucket_name("artifacts"),
        "keystone.alert_topic_arn": alert_topic,
        "keystone.ingestion_function": names.ingestion_function(environment),
        "keystone.ingestion_function_timeout_s": str(int(INGESTION_FUNCTION_TIMEOUT.to_seconds())),
        "keystone.producer_function": names.producer_function(environment),
        "keystone.dbt_target": "athena",
        "keystone.transform_interval_minutes": str(environment.profile.freshness.transform_interval_minutes),
        "keystone.athena_workgroup": names.athena_workgroup(environment),
        "keystone.athena_s3_staging_dir": f"s3://{environment.bucket_name('query-results')}/dbt/",
        "keystone.athena_silver_data_dir": f"s3://{environment.bucket_name('silver')}/",
        "keystone.athena_gold_data_dir": f"s3://{environment.bucket_name('gold')}/",
        # The Glue databases the Catalog stack creates: dbt's athena target builds Silver and Gold in them and reads
        # Bronze from there (dbt_project/profiles.yml, macros/generate_schema_name.sql).
        **{f"keystone.{layer}_database": environment.glue_database(layer) for layer in LAYERS},
    }


class OrchestrationStack(EnvironmentStack):
    COMPONENT = "Orchestration"
    DESCRIPTION = "MWAA environment, DAGs and dbt project"

    def __init__(
        self, scope: Construct, environment: Environment, *, network: NetworkStack, storage: StorageStack
    ) -> None:
        super().__init__(scope, environment)
        self.add_stack_dependency(storage, UPSTREAM_REASON)
        key = storage.key
        settings = environment.profile.mwaa
        environment_name = names.airflow_environment(environment)
        artifacts_bucket = s3.Bucket.from_bucket_name(self, "ArtifactsBucket", environment.bucket_name("artifacts"))
        artifacts = MwaaArtifacts(
            self,
            "Artifacts",
            bucket=artifacts_bucket,
            key=key,
            requirements=REPO_ROOT / "dags" / "requirements-mwaa.txt",
            startup=REPO_ROOT / "dags" / "startup.sh",
            tools={tool: REPO_ROOT / "dags" / f"requirements-{tool}.txt" for tool in TOOLS},
        )
        role = self._execution_role(environment, artifacts_bucket, key)
        private_subnets = network.vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids
        logging = mwaa.CfnEnvironment.ModuleLoggingConfigurationProperty(enabled=True, log_level="INFO")
        self.airflow = mwaa.CfnEnvironment(
            self,
            "Environment",
            name=environment_name,
            airflow_version=AIRFLOW_VERSION,
            environment_class=settings.environment_class,
            min_workers=settings.min_workers,
            max_workers=settings.max_workers,
            webserver_access_mode=settings.webserver_access_mode,
            execution_role_arn=role.role_arn,
            kms_key=key.key_arn,
            source_bucket_arn=artifacts_bucket.bucket_arn,
            dag_s3_path=DAGS_PREFIX,
            requirements_s3_path=REQUIREMENTS_KEY,
            requirements_s3_object_version=artifacts.requirements_version,
            startup_script_s3_path=STARTUP_SCRIPT_KEY,
            startup_script_s3_object_version=artifacts.startup_script_version,
            plugins_s3_path=PLUGINS_KEY,
            plugins_s3_object_version=artifacts.plugins_version,
            network_configuration=mwaa.CfnEnvironment.NetworkConfigurationProperty(
                security_group_ids=[network.mwaa_security_group.security_group_id], subnet_ids=private_subnets
            ),
            logging_configuration=mwaa.CfnEnvironment.LoggingConfigurationProperty(
                dag_processing_logs=logging,
                scheduler_logs=logging,
                task_logs=logging,
                webserver_logs=logging,
                worker_logs=logging,
            ),
            airflow_configuration_options=airflow_settings(environment),
        )
        for deployment in artifacts.deployments:
            self.airflow.node.add_dependency(deployment)
        self.airflow.node.add_dependency(role)
        if environment.profile.destroy_on_teardown:
            self._remove_log_groups_on_delete(environment_name)

    def _execution_role(self, environment: Environment, artifacts_bucket: s3.IBucket, key: kms.IKey) -> iam.Role:
        """MWAA's documented execution role plus what dbt-athena, Athena and the DAG tasks call (stacks/mwaa_access)."""
        environment_name = names.airflow_environment(environment)
        role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("airflow.amazonaws.com"), iam.ServicePrincipal("airflow-env.amazonaws.com")
            ),
            description=f"MWAA {environment_name}: run the lakehouse DAGs",
        )
        arn = self.format_arn
        # Exactly the groups MWAA creates (airflow-<environment>-<LogType>): a prefix wildcard would also match the
        # log groups of an environment whose name starts with this one's.
        log_groups = [
            arn(
                service="logs",
                resource="log-group",
                resource_name=f"airflow-{environment_name}-{log_type}{suffix}",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            for log_type in LOG_TYPES
            for suffix in ("", ":*")
        ]
        celery_queues = f"arn:{self.partition}:sqs:{self.region}:*:airflow-celery-*"
        catalog = arn(service="glue", resource="catalog")

        def database(name: str) -> str:
            return arn(service="glue", resource="database", resource_name=name)

        def tables(name: str) -> str:
            return arn(service="glue", resource="table", resource_name=f"{name}/*")

        def bucket(purpose: str) -> list[str]:
            bucket_arn = f"arn:{self.partition}:s3:::{environment.bucket_name(purpose)}"
            return [bucket_arn, f"{bucket_arn}/*"]

        def layer_catalog(layers: Sequence[str]) -> list[str]:
            return [catalog, *(database(environment.glue_database(layer)) for layer in layers)] + [
                tables(environment.glue_database(layer)) for layer in layers
            ]

        written_buckets = [*access.WRITE_LAYERS, "query-results"]
        statements = [
            iam.PolicyStatement(
                actions=["airflow:PublishMetrics"],
                resources=[arn(service="airflow", resource="environment", resource_name=environment_name)],
            ),
            iam.PolicyStatement(
                actions=[
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:GetBucketLocation",
                    "s3:GetBucketVersioning",
                    "s3:GetBucketPublicAccessBlock",
                    "s3:GetEncryptionConfiguration",
                    "s3:ListBucket",
                    "s3:ListBucketVersions",
                ],
                resources=[artifacts_bucket.bucket_arn, artifacts_bucket.arn_for_objects("*")],
            ),
            iam.PolicyStatement(
                actions=[
                    "logs:CreateLogStream",
                    "logs:CreateLogGroup",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:GetLogRecord",
                    "logs:GetLogGroupFields",
                    "logs:GetQueryResults",
                ],
                resources=log_groups,
            ),
            iam.PolicyStatement(
                actions=[
                    "sqs:ChangeMessageVisibility",
                    "sqs:DeleteMessage",
                    "sqs:GetQueueAttributes",
                    "sqs:GetQueueUrl",
                    "sqs:ReceiveMessage",
                    "sqs:SendMessage",
                ],
                resources=[celery_queues],
            ),
            iam.PolicyStatement(
                actions=list(access.ARTIFACT_STATE_ACTIONS),
                resources=[artifacts_bucket.arn_for_objects(f"{AIRFLOW_STATE_PREFIX}/*")],
            ),
            iam.PolicyStatement(actions=list(access.S3_LIST_ACTIONS), resources=bucket("landing")[:1]),
            iam.PolicyStatement(
                actions=list(access.S3_READ_ACTIONS),
                resources=[r for layer in access.READ_LAYERS for r in bucket(layer)],
            ),
            iam.PolicyStatement(
                actions=list(access.S3_WRITE_ACTIONS),
                resources=[r for purpose in written_buckets for r in bucket(purpose)],
            ),
            iam.PolicyStatement(
                actions=list(access.ATHENA_DEFAULT_DATABASE_ACTIONS),
                resources=[catalog, database(access.DEFAULT_DATABASE)],
            ),
            iam.PolicyStatement(actions=list(access.GLUE_LIST_DATABASES_ACTIONS), resources=[catalog, database("*")]),
            iam.PolicyStatement(actions=list(access.GLUE_READ_ACTIONS), resources=layer_catalog(access.READ_LAYERS)),
            iam.PolicyStatement(actions=list(access.GLUE_WRITE_ACTIONS), resources=layer_catalog(access.WRITE_LAYERS)),
            iam.PolicyStatement(
                actions=list(access.ATHENA_WORKGROUP_ACTIONS),
                resources=[
                    arn(service="athena", resource="workgroup", resource_name=names.athena_workgroup(environment))
                ],
            ),
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[
                    arn(
                        service="lambda",
                        resource="function",
                        resource_name=name,
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                    for name in (names.ingestion_function(environment), names.producer_function(environment))
                ],
            ),
            iam.PolicyStatement(
                actions=["sns:Publish"], resources=[arn(service="sns", resource=names.alert_topic(environment))]
            ),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        # These actions take no resource: MWAA publishes metrics, checks that its bucket is not public, and lists
        # log groups (MWAA User Guide, "Amazon MWAA execution role", sample policy:
        # https://docs.aws.amazon.com/mwaa/latest/userguide/mwaa-create-role.html).
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "AmazonMWAA"}},
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetAccountPublicAccessBlock", "logs:DescribeLogGroups"], resources=["*"])
        )
        key.grant(role, "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt")
        acknowledge_wildcards(
            role,
            [
                *(group for group in log_groups if group.endswith(":*")),
                celery_queues,
                *(bucket(purpose)[1] for purpose in (*access.READ_LAYERS, *written_buckets)),
                artifacts_bucket.arn_for_objects("*"),
                artifacts_bucket.arn_for_objects(f"{AIRFLOW_STATE_PREFIX}/*"),
                database("*"),
                *(tables(environment.glue_database(layer)) for layer in (*access.READ_LAYERS, *access.WRITE_LAYERS)),
                "*",
            ],
            "MWAA's documented execution-role scope (its log streams and Celery queues, named by MWAA at run time, "
            "and the resource-less actions), the objects of this environment's buckets and the tables of its own Glue "
            "databases that dbt builds, and GetDatabases, which Glue authorizes on every database it lists.",
        )
        return role

    def _remove_log_groups_on_delete(self, environment_name: str) -> None:
        """MWAA creates its log groups itself and leaves them behind; an ephemeral environment takes them along."""
        names = [f"airflow-{environment_name}-{log_type}" for log_type in LOG_TYPES]
        for name in names:
            log_group = self.format_arn(
                service="logs",
                resource="log-group",
                resource_name=f"{name}:*",
                arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
            )
            remover = cr.AwsCustomResource(
                self,
                f"Remove{name.rsplit('-', 1)[1]}Logs",
                on_delete=cr.AwsSdkCall(
                    service="CloudWatchLogs",
                    action="deleteLogGroup",
                    parameters={"logGroupName": name},
                    ignore_error_codes_matching="ResourceNotFoundException",
                ),
                policy=cr.AwsCustomResourcePolicy.from_sdk_calls(resources=[log_group]),
                install_latest_aws_sdk=False,
            )
            remover.node.add_dependency(self.airflow)
            acknowledge_wildcards(
                remover, [log_group], "A log group's ARN ends in :* (its streams); the name itself is exact."
            )
