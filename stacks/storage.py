"""Storage: the environment's KMS key and one bucket per lake layer."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from environments import Environment
from stacks import names
from stacks.constructs.lake_bucket import LakeBucket
from stacks.constructs.mwaa_artifacts import artifacts_lifecycle_rules
from stacks.environment_stack import EnvironmentStack
from stacks.teardown import emptied_on_teardown


class StorageStack(EnvironmentStack):
    COMPONENT = "Storage"
    DESCRIPTION = "KMS key and lake buckets"

    def __init__(self, scope: Construct, environment: Environment) -> None:
        super().__init__(scope, environment)
        profile = environment.profile

        self.key = kms.Key(
            self,
            "LakeKey",
            alias=f"alias/{environment.resource_name('lake')}",
            description="Encrypts every bucket, log and topic of this lakehouse environment",
            enable_key_rotation=True,
            pending_window=cdk.Duration.days(7),
        )
        self._allow_service_principals(names.airflow_environment(environment), names.alert_topic(environment))

        # Server access logs can only be delivered to SSE-S3 buckets, so this one bucket is not on the KMS key.
        self.access_logs = s3.Bucket(
            self,
            "AccessLogs",
            bucket_name=environment.bucket_name("access-logs"),
            encryption=s3.BucketEncryption.S3_MANAGED,
            enforce_ssl=True,
            minimum_tls_version=1.2,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            lifecycle_rules=[s3.LifecycleRule(id="expire-access-logs", expiration=cdk.Duration.days(365))],
            **emptied_on_teardown(profile.destroy_on_teardown),
        )

        def lake_bucket(purpose: str, **options) -> s3.Bucket:
            return LakeBucket(
                self,
                purpose.title().replace("-", ""),
                bucket_name=environment.bucket_name(purpose),
                key=self.key,
                access_logs=self.access_logs,
                destroy_on_teardown=profile.destroy_on_teardown,
                **options,
            ).bucket

        self.landing = lake_bucket("landing")
        self.bronze = lake_bucket(
            "bronze",
            lifecycle_rules=_tiering(profile.bronze_infrequent_access_after_days, profile.bronze_archive_after_days),
        )
        self.silver = lake_bucket("silver")
        self.gold = lake_bucket("gold")
        self.query_results = lake_bucket(
            "query-results",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-query-results", expiration=cdk.Duration.days(profile.query_results_expire_after_days)
                )
            ],
        )
        self.artifacts = lake_bucket("artifacts", versioned=True, lifecycle_rules=artifacts_lifecycle_rules())

    def _allow_service_principals(self, airflow_environment_name: str, alert_topic_name: str) -> None:
        """The two services that call KMS as themselves, not with a role's credentials, get a statement each.

        Every other user of the key (S3, SQS, MSK, Athena through a role, the roles themselves) is authorized
        by the account's IAM policies, which the default statement of the key policy delegates to.
        """
        # MWAA encrypts its log groups (airflow-<environment>-<log type>) with this key; CloudWatch Logs then
        # uses the key with the log group's ARN as encryption context.
        airflow_logs = self.format_arn(
            service="logs",
            resource="log-group",
            resource_name=f"airflow-{airflow_environment_name}-*",
            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
        )
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AirflowLogGroups",
                principals=[iam.ServicePrincipal(f"logs.{self.region}.amazonaws.com")],
                actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                resources=["*"],
                conditions={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": airflow_logs}},
            )
        )
        # Alarms publish to the encrypted alert topic as CloudWatch; SNS binds each data key to the topic's ARN.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AlarmsToAlertTopic",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                resources=["*"],
                conditions={
                    "StringEquals": {
                        "kms:EncryptionContext:aws:sns:topicArn": self.format_arn(
                            service="sns", resource=alert_topic_name
                        )
                    }
                },
            )
        )


def _tiering(infrequent_access_after_days: int | None, archive_after_days: int | None) -> list[s3.LifecycleRule]:
    transitions = []
    if infrequent_access_after_days is not None:
        transitions.append(
            s3.Transition(
                storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                transition_after=cdk.Duration.days(infrequent_access_after_days),
            )
        )
    if archive_after_days is not None:
        transitions.append(
            s3.Transition(
                storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                transition_after=cdk.Duration.days(archive_after_days),
            )
        )
    return [s3.LifecycleRule(id="tier-bronze", transitions=transitions)] if transitions else []
