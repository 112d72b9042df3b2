"""Batch ingestion: CSV drops in the landing bucket become validated Bronze Parquet, exactly once."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_notifications as s3n
from constructs import Construct

from contracts import layout
from environments import Environment
from stacks import names
from stacks.compliance import acknowledge_managed_policy, acknowledge_wildcards
from stacks.constructs.failure_queue import FailureQueue
from stacks.constructs.python_lambda import LOGGING_REQUIREMENTS, DependencyLayer, PythonFunction
from stacks.environment_stack import EnvironmentStack
from stacks.storage import StorageStack
from stacks.synth_context import REPO_ROOT

# A file larger than memory still ingests: the code streams it in chunks (see lambdas/ingestion).
INGESTION_MEMORY_MB = 1024
BRONZE_WRITE_PREFIXES = (layout.BATCH_PREFIX, layout.QUARANTINE_PREFIX, layout.MANIFEST_PREFIX)
# Lambda's maximum. The olist_batch_ingestion DAG waits for a synchronous invoke just past it (its setting
# `ingestion_function_timeout_s`, from this value), so a slow run is never invoked a second time.
FUNCTION_TIMEOUT = cdk.Duration.minutes(15)


class IngestionStack(EnvironmentStack):
    COMPONENT = "Ingestion"
    DESCRIPTION = "Batch CSV ingestion into Bronze"

    def __init__(self, scope: Construct, environment: Environment, *, storage: StorageStack) -> None:
        super().__init__(scope, environment)
        self.add_stack_dependency(storage, "ingestion reads landing and writes Bronze")
        key = storage.key
        landing_bucket_name = environment.bucket_name("landing")
        bronze_bucket_name = environment.bucket_name("bronze")
        layer = DependencyLayer(
            self,
            "IngestionLayer",
            requirements=[REPO_ROOT / "lambdas" / "ingestion" / "requirements.txt", LOGGING_REQUIREMENTS],
            description="pyarrow, tenacity and Powertools' Logger for the Olist batch ingestion",
        ).layer
        self.function = PythonFunction(
            self,
            "Ingestion",
            function_name=names.ingestion_function(environment),
            description="Validates Olist CSV drops and writes typed Parquet, quarantine and manifests to Bronze",
            handler="lambdas.ingestion.handler.handler",
            packages=["lambdas/ingestion", "lambdas/logs", "contracts"],
            layers=[layer],
            environment={"BRONZE_BUCKET": bronze_bucket_name, "LOG_LEVEL": "INFO"},
            timeout=FUNCTION_TIMEOUT,
            memory_size=INGESTION_MEMORY_MB,
            log_retention_days=environment.profile.log_retention_days,
        ).function
        # S3 notifications invoke asynchronously. Two retries: the ingestion is idempotent per file (its manifest),
        # so retrying after a crash or timeout is cheap and may succeed; a rejected file fails again in seconds.
        self.failures = FailureQueue(
            self,
            "Failures",
            function=self.function,
            queue_name=names.ingestion_dead_letter_queue(environment),
            retry_attempts=2,
            key=key,
        ).queue

        landing_arn = f"arn:{self.partition}:s3:::{landing_bucket_name}"
        bronze_arn = f"arn:{self.partition}:s3:::{bronze_bucket_name}"
        bronze_objects = [f"{bronze_arn}/{prefix}/*" for prefix in BRONZE_WRITE_PREFIXES]
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=[f"{landing_arn}/*"]))
        self.function.add_to_role_policy(
            # Large Parquet files upload in parts.
            iam.PolicyStatement(
                actions=["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], resources=bronze_objects
            )
        )
        self.function.add_to_role_policy(iam.PolicyStatement(actions=["s3:ListBucket"], resources=[bronze_arn]))
        key.grant(self.function, "kms:Decrypt", "kms:GenerateDataKey")
        acknowledge_wildcards(
            self.function,
            [f"{landing_arn}/*", *bronze_objects],
            "Object keys are made per file at run time; access is limited to the landing bucket and to the "
            "Bronze batch, quarantine and manifest prefixes.",
        )

        landing = s3.Bucket.from_bucket_name(self, "Landing", landing_bucket_name)
        # No key filter: a file under an unknown prefix must reach the function and fail loudly, not be ignored.
        landing.add_event_notification(s3.EventType.OBJECT_CREATED, s3n.LambdaDestination(self.function))
        self._acknowledge_notification_handler()

    def _acknowledge_notification_handler(self) -> None:
        handler = next(child for child in self.node.children if child.node.id.startswith("BucketNotificationsHandler"))
        acknowledge_managed_policy(
            handler,
            "service-role/AWSLambdaBasicExecutionRole",
            "CDK's bucket-notifications handler only writes its own logs; the framework creates its role.",
        )
        acknowledge_wildcards(
            handler,
            ["*"],
            "s3:PutBucketNotification has no resource-level scoping in CDK's shared notifications handler.",
        )
