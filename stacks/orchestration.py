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

from environments.profiles import MwaaSettings
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
from stacks.synth_context import REPO_ROOT

AIRFLOW_VERSION = "3.0.6"
LOG_TYPES = ("DAGProcessing", "Scheduler", "Task", "WebServer", "Worker")


class OrchestrationStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment_name: str,
        settings: MwaaSettings,
        vpc: ec2.IVpc,
        security_group: ec2.ISecurityGroup,
        artifacts_bucket_name: str,
        key: kms.IKey,
        data_bucket_names: Sequence[str],
        glue_database_prefix: str,
        workgroup_name: str,
        invokable_function_names: Sequence[str],
        alert_topic_name: str,
        airflow_settings: dict[str, str],
        destroy_logs_on_teardown: bool,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        artifacts_bucket = s3.Bucket.from_bucket_name(self, "ArtifactsBucket", artifacts_bucket_name)
        artifacts = MwaaArtifacts(
            self,
            "Artifacts",
            bucket=artifacts_bucket,
            key=key,
            requirements=REPO_ROOT / "dags" / "requirements-mwaa.txt",
            startup=REPO_ROOT / "dags" / "startup.sh",
            tools={tool: REPO_ROOT / "dags" / f"requirements-{tool}.txt" for tool in TOOLS},
        )
        role = self._execution_role(
            environment_name,
            artifacts_bucket,
            key,
            data_bucket_names,
            glue_database_prefix,
            workgroup_name,
            invokable_function_names,
            alert_topic_name,
        )
        private_subnets = vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids
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
                security_group_ids=[security_group.security_group_id], subnet_ids=private_subnets
            ),
            logging_configuration=mwaa.CfnEnvironment.LoggingConfigurationProperty(
                dag_processing_logs=logging,
                scheduler_logs=logging,
                task_logs=logging,
                webserver_logs=logging,
                worker_logs=logging,
            ),
            airflow_configuration_options=airflow_settings,
        )
        for deployment in artifacts.deployments:
            self.airflow.node.add_dependency(deployment)
        self.airflow.node.add_dependency(role)
        if destroy_logs_on_teardown:
            self._remove_log_groups_on_delete(environment_name)

    def _execution_role(
        self,
        environment_name: str,
        artifacts_bucket: s3.IBucket,
        key: kms.IKey,
        data_bucket_names: Sequence[str],
        glue_database_prefix: str,
        workgroup_name: str,
        invokable_function_names: Sequence[str],
        alert_topic_name: str,
    ) -> iam.Role:
        role = iam.Role(
            self,
            "ExecutionRole",
            assumed_by=iam.CompositePrincipal(
                iam.ServicePrincipal("airflow.amazonaws.com"), iam.ServicePrincipal("airflow-env.amazonaws.com")
            ),
            description=f"MWAA {environment_name}: run the lakehouse DAGs",
        )
        arn = self.format_arn
        log_groups = arn(
            service="logs",
            resource="log-group",
            resource_name=f"airflow-{environment_name}-*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        celery_queues = f"arn:{self.partition}:sqs:{self.region}:*:airflow-celery-*"
        data_buckets = [f"arn:{self.partition}:s3:::{name}" for name in data_bucket_names]
        glue = [
            arn(service="glue", resource="catalog"),
            arn(service="glue", resource="database", resource_name=f"{glue_database_prefix}_*"),
            arn(service="glue", resource="table", resource_name=f"{glue_database_prefix}_*/*"),
        ]
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
                resources=[log_groups],
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
                actions=["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket", "s3:GetBucketLocation"],
                resources=[*data_buckets, *(f"{bucket}/*" for bucket in data_buckets)],
            ),
            # The DAGs keep their state (ingestion ledger, published batches) and Data Docs here.
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:DeleteObject"],
                resources=[artifacts_bucket.arn_for_objects(f"{AIRFLOW_STATE_PREFIX}/*")],
            ),
            iam.PolicyStatement(
                actions=[
                    "glue:GetDatabase",
                    "glue:GetDatabases",
                    "glue:GetTable",
                    "glue:GetTables",
                    "glue:CreateTable",
                    "glue:UpdateTable",
                    "glue:DeleteTable",
                    "glue:GetPartition",
                    "glue:GetPartitions",
                    "glue:BatchCreatePartition",
                    "glue:BatchDeletePartition",
                ],
                resources=glue,
            ),
            iam.PolicyStatement(
                actions=[
                    "athena:StartQueryExecution",
                    "athena:GetQueryExecution",
                    "athena:GetQueryResults",
                    "athena:StopQueryExecution",
                    "athena:GetWorkGroup",
                ],
                resources=[arn(service="athena", resource="workgroup", resource_name=workgroup_name)],
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
                    for name in invokable_function_names
                ],
            ),
            iam.PolicyStatement(actions=["sns:Publish"], resources=[arn(service="sns", resource=alert_topic_name)]),
        ]
        for statement in statements:
            role.add_to_policy(statement)
        # These two actions take no resource: MWAA publishes metrics and checks that its bucket is not public.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": "AmazonMWAA"}},
            )
        )
        role.add_to_policy(iam.PolicyStatement(actions=["s3:GetAccountPublicAccessBlock"], resources=["*"]))
        key.grant(role, "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Encrypt")
        acknowledge_wildcards(
            role,
            [
                log_groups,
                celery_queues,
                *(f"{bucket}/*" for bucket in data_buckets),
                artifacts_bucket.arn_for_objects("*"),
                artifacts_bucket.arn_for_objects(f"{AIRFLOW_STATE_PREFIX}/*"),
                *glue[1:],
                "*",
            ],
            "MWAA's documented execution-role scope: its own log groups and Celery queues (named by MWAA at run "
            "time), this environment's buckets' objects and Glue databases, and the two resource-less actions.",
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
