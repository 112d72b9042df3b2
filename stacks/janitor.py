"""The time-to-live janitor: one per account, outside every environment's `cdk deploy --all`.

Deployed from its own entry point: `cdk --app "python janitor_app.py" deploy`.
"""

from __future__ import annotations

import os

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from environments.model import DEFAULT_REGION, OFFLINE_ACCOUNT
from stacks.compliance import acknowledge_wildcards, add_compliance_checks
from stacks.constructs.failure_queue import FailureQueue
from stacks.constructs.python_lambda import LOGGING_REQUIREMENTS, DependencyLayer, LambdaPlatform
from stacks.lakehouse import COMPUTE_COMPONENTS
from stacks.synth_context import REPO_ROOT, offline_app

STACK_NAME = "Keystone-Janitor"
FUNCTION_NAME = "keystone-janitor"
FAILURE_QUEUE_NAME = f"{FUNCTION_NAME}-failures"
# Only the janitor package and the logs it writes through go into the asset, under their import paths.
_ASSET_EXCLUDE = [
    "/*", "!/lambdas/", "/lambdas/*", "!/lambdas/janitor/", "!/lambdas/logs/", "__pycache__/", "*.pyc", "*.txt",
]  # fmt: skip
PLATFORM = LambdaPlatform(lambda_.Runtime.PYTHON_3_14, lambda_.Architecture.ARM_64, "aarch64-manylinux_2_28")


class JanitorStack(cdk.Stack):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        schedule: events.Schedule,
        bootstrap_qualifier: str,
        sweep_lookback_days: int,
        **kwargs,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Deletes run as CDK's CloudFormation execution role: the janitor never needs rights on MSK, MWAA, VPCs...
        deploy_role_arn = self.format_arn(
            service="iam",
            region="",
            resource="role",
            resource_name=f"cdk-{bootstrap_qualifier}-cfn-exec-role-{self.account}-{self.region}",
        )
        log_group = logs.LogGroup(
            self,
            "Logs",
            log_group_name=f"/aws/lambda/{FUNCTION_NAME}",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )
        role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Keystone janitor: deletes expired ephemeral Keystone environments and their leftovers",
        )
        for statement in self._statements(deploy_role_arn, log_group):
            role.add_to_principal_policy(statement)

        self.function = lambda_.Function(
            self,
            "Function",
            function_name=FUNCTION_NAME,
            description="Deletes expired ephemeral Keystone environments (keystone:expires-at) and their leftovers",
            runtime=PLATFORM.runtime,
            architecture=PLATFORM.architecture,
            handler="lambdas.janitor.handler.handler",
            code=lambda_.Code.from_asset(str(REPO_ROOT), exclude=_ASSET_EXCLUDE, ignore_mode=cdk.IgnoreMode.GIT),
            layers=[
                DependencyLayer(
                    self,
                    "LoggingLayer",
                    requirements=[LOGGING_REQUIREMENTS],
                    description="Powertools' Logger for the Keystone janitor",
                    platform=PLATFORM,
                ).layer
            ],
            role=role,
            log_group=log_group,
            timeout=cdk.Duration.minutes(15),
            memory_size=256,
            # Two overlapping runs would race on the same stacks.
            reserved_concurrent_executions=1,
            environment={
                "CLOUDFORMATION_ROLE_ARN": deploy_role_arn,
                "SWEEP_LOOKBACK_DAYS": str(sweep_lookback_days),
                # What a pause removes (branches deployed with on_expiry=pause); ordered by imports, as a teardown.
                "COMPUTE_COMPONENTS": ",".join(COMPUTE_COMPONENTS),
            },
        )
        events.Rule(
            self,
            "Schedule",
            description="Run the Keystone janitor",
            schedule=schedule,
            targets=[targets.LambdaFunction(self.function, retry_attempts=0)],
        )
        # EventBridge invokes asynchronously. No Lambda retries either: the next scheduled run sweeps again.
        FailureQueue(
            self, "Failures", function=self.function, queue_name=FAILURE_QUEUE_NAME, retry_attempts=0, key=None
        )
        cloudwatch.Alarm(
            self,
            "FailedSweeps",
            metric=cloudwatch.Metric(
                namespace="AWS/SQS",
                metric_name="ApproximateNumberOfMessagesVisible",
                dimensions_map={"QueueName": FAILURE_QUEUE_NAME},
                statistic="Maximum",
                period=cdk.Duration.minutes(5),
            ),
            threshold=0,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
            alarm_description="A janitor sweep failed; its invocation record is in the failure queue",
        )
        self._acknowledge_scoped_wildcards(role.node.find_child("DefaultPolicy"))

    def _statements(self, deploy_role_arn: str, log_group: logs.LogGroup) -> list[iam.PolicyStatement]:
        return [
            iam.PolicyStatement(
                sid="FindStacks",
                actions=["cloudformation:ListStacks", "cloudformation:ListExports"],
                resources=["*"],
            ),
            iam.PolicyStatement(
                sid="ReadKeystoneStacks",
                actions=[
                    "cloudformation:DescribeStacks",
                    "cloudformation:GetTemplate",
                    "cloudformation:ListStackResources",
                ],
                resources=[self._keystone_stacks],
            ),
            iam.PolicyStatement(
                sid="DeleteEphemeralKeystoneStacks",
                actions=["cloudformation:DeleteStack"],
                resources=[self._keystone_stacks],
                conditions={"StringEquals": {"aws:ResourceTag/keystone:profile": "ephemeral"}},
            ),
            iam.PolicyStatement(
                sid="DeleteThroughTheDeployRole",
                actions=["iam:PassRole"],
                resources=[deploy_role_arn],
                conditions={"StringEquals": {"iam:PassedToService": "cloudformation.amazonaws.com"}},
            ),
            iam.PolicyStatement(
                sid="EmptyAndDeleteKeystoneBuckets",
                actions=["s3:ListBucket", "s3:ListBucketVersions", "s3:GetBucketTagging", "s3:DeleteBucket"],
                resources=[self._keystone_buckets],
            ),
            iam.PolicyStatement(
                sid="DeleteKeystoneObjects",
                actions=["s3:DeleteObject", "s3:DeleteObjectVersion"],
                resources=[self._keystone_objects],
            ),
            iam.PolicyStatement(
                sid="DeleteLeftoverLogGroups", actions=["logs:DeleteLogGroup"], resources=self._leftover_log_groups
            ),
            iam.PolicyStatement(sid="FindLambdaEnis", actions=["ec2:DescribeNetworkInterfaces"], resources=["*"]),
            iam.PolicyStatement(sid="ReadSinkLag", actions=["cloudwatch:GetMetricData"], resources=["*"]),
            iam.PolicyStatement(
                sid="DeleteDetachedLambdaEnis",
                actions=["ec2:DeleteNetworkInterface"],
                resources=[self._network_interfaces],
            ),
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn],
            ),
        ]

    @property
    def _keystone_stacks(self) -> str:
        return self.format_arn(service="cloudformation", resource="stack", resource_name="Keystone-*/*")

    @property
    def _keystone_buckets(self) -> str:
        return f"arn:{self.partition}:s3:::keystone-*"

    @property
    def _keystone_objects(self) -> str:
        return f"arn:{self.partition}:s3:::keystone-*/*"

    @property
    def _leftover_log_groups(self) -> list[str]:
        # MWAA names its groups `airflow-<environment>-<component>`; functions without an explicit log group
        # get `/aws/lambda/<function>`, and CDK-generated function names start with the stack name.
        return [
            self.format_arn(
                service="logs", resource="log-group", resource_name=name, arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME
            )
            for name in ("airflow-keystone-*", "/aws/lambda/keystone-*", "/aws/lambda/Keystone-*")
        ]

    @property
    def _network_interfaces(self) -> str:
        return self.format_arn(service="ec2", resource="network-interface", resource_name="*")

    def _acknowledge_scoped_wildcards(self, policy: Construct) -> None:
        acknowledge_wildcards(
            policy,
            ["*"],
            "ListStacks, ListExports, DescribeNetworkInterfaces and GetMetricData have no resource-level permissions "
            "in IAM; every write below is scoped to Keystone names or tags.",
        )
        acknowledge_wildcards(
            policy,
            [self._keystone_stacks],
            "The janitor reads every Keystone-* stack to find expired ones; DeleteStack is further limited by "
            "the condition aws:ResourceTag/keystone:profile=ephemeral, so persistent stacks cannot be deleted.",
        )
        acknowledge_wildcards(
            policy,
            [self._keystone_buckets, self._keystone_objects],
            "Environment bucket names are only known once deployed (keystone-<slug>-<purpose>-<hash>); the "
            "janitor also checks each bucket's keystone:env and keystone:profile=ephemeral tags before emptying it.",
        )
        acknowledge_wildcards(
            policy,
            self._leftover_log_groups,
            "Log groups MWAA and Lambda create for an environment outlive its stacks; names are taken from the "
            "deleted ephemeral stack's own resources, the wildcard only bounds them to Keystone prefixes.",
        )
        acknowledge_wildcards(
            policy,
            [self._network_interfaces],
            "Lambda's VPC ENIs carry no tags of ours; the janitor deletes only detached Lambda ENIs in the "
            "security groups of an expired environment's own stack.",
        )


def create_janitor_app(context: dict | None = None, *, outdir: str | None = None) -> cdk.App:
    """The janitor app, with cdk-nag in its synth path; account and region as for the environments' app."""
    app = offline_app(context, outdir)
    account = app.node.try_get_context("account") or os.environ.get("CDK_DEFAULT_ACCOUNT") or OFFLINE_ACCOUNT
    region = app.node.try_get_context("region") or os.environ.get("CDK_DEFAULT_REGION") or DEFAULT_REGION
    stack = JanitorStack(
        app,
        STACK_NAME,
        stack_name=STACK_NAME,
        description="Deletes expired ephemeral Keystone environments and what their services leave behind",
        env=cdk.Environment(account=account, region=region),
        schedule=events.Schedule.rate(cdk.Duration.hours(1)),
        # `cdk bootstrap --qualifier` changes CDK's default qualifier, and so must `-c bootstrap_qualifier=`.
        bootstrap_qualifier=app.node.try_get_context("bootstrap_qualifier")
        or cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER,
        sweep_lookback_days=7,
    )
    cdk.Tags.of(stack).add("keystone:component", "janitor")
    add_compliance_checks(app)
    return app
