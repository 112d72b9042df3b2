"""Where an asynchronously invoked function's failures go: an on-failure destination queue, never discarded.

Lambda retries a failed asynchronous invocation 0 to 2 times and then discards the event, unless a destination
or dead-letter queue keeps it. An on-failure destination gets the whole invocation record (the request, the
error message, the condition and attempt count), a dead-letter queue only the event, so destinations are used.
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_destinations as destinations
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from stacks.compliance import acknowledge

# SQS's maximum: two weeks for someone to read what failed.
RETENTION = cdk.Duration.days(14)
# Lambda's maximum (and default) time an event waits in the asynchronous queue, e.g. while throttled.
MAX_EVENT_AGE = cdk.Duration.hours(6)


class FailureQueue(Construct):
    """A KMS-encrypted, TLS-only queue holding the invocation records of one function's failed async runs."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        function: lambda_.IFunction,
        queue_name: str,
        retry_attempts: int,
        key: kms.IKey | None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.queue = sqs.Queue(
            self,
            "Queue",
            queue_name=queue_name,
            # Without a key of the stack's own, the AWS-managed SQS key: still KMS, and usable by Lambda's role.
            encryption=sqs.QueueEncryption.KMS if key else sqs.QueueEncryption.KMS_MANAGED,
            encryption_master_key=key,
            enforce_ssl=True,
            retention_period=RETENTION,
        )
        acknowledge(
            self.queue,
            "AwsSolutions-SQS3",
            "This queue is itself where failed invocations are kept; nothing consumes it but people.",
        )
        function.configure_async_invoke(
            retry_attempts=retry_attempts,
            max_event_age=MAX_EVENT_AGE,
            on_failure=destinations.SqsDestination(self.queue),
        )
        # With a key of the stack's own, the destination grants the function that key. The AWS-managed one needs no
        # grant: its key policy admits every principal of the account allowed to use SQS
        # (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html).
        for action in ("kms:GenerateDataKey*", "kms:ReEncrypt*") if key else ():
            acknowledge(
                function,
                f"AwsSolutions-IAM5[Action::{action}]",
                "The SQS destination grants the function the queue key's encrypt/decrypt actions, which SQS needs "
                "to encrypt the records the function sends; the statement names that one key.",
            )
