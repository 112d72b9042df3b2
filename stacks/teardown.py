"""What an environment's teardown takes with it: the profile's one decision, applied once.

`apply_teardown` gives every stateful resource of a stack the environment's removal policy as an aspect, so the
constructs stay at their defaults. Three effects of the same decision are resources or properties, not removal
policies, and are made where their resource is built, from `destroy_on_teardown`: the buckets emptied first
(`emptied_on_teardown`), the Athena workgroup deleted with its queries (stacks/catalog.py), and the log groups
MWAA creates itself removed (stacks/orchestration.py).
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct

# The types that hold the environment's data. The failure queues are not among them: they keep sqs.Queue's
# default (DESTROY) everywhere. tests/test_teardown.py checks every stateful type in the templates.
STATEFUL_TYPES = (
    "AWS::S3::Bucket",
    "AWS::KMS::Key",
    "AWS::Logs::LogGroup",
    "AWS::MSK::Cluster",
    # The retained cluster keeps pointing at its configuration revision.
    "AWS::MSK::Configuration",
    # Deleting a topic deletes its events.
    "AWS::MSK::Topic",
)


def apply_teardown(scope: IConstruct, *, destroy_on_teardown: bool) -> None:
    """DESTROY for what an ephemeral environment's teardown takes with it, else RETAIN (also on replacement)."""
    # RemovalPolicies overrides the policy a construct set and applies it to DeletionPolicy and
    # UpdateReplacePolicy alike: https://docs.aws.amazon.com/cdk/api/v2/python/aws_cdk/RemovalPolicies.html
    policy = cdk.RemovalPolicy.DESTROY if destroy_on_teardown else cdk.RemovalPolicy.RETAIN
    cdk.RemovalPolicies.of(scope).apply(policy, apply_to_resource_types=list(STATEFUL_TYPES))


def emptied_on_teardown(destroy_on_teardown: bool) -> dict:
    """The s3.Bucket options that delete a bucket's objects before the bucket (a custom resource, which the
    L2 only creates beside an explicit DESTROY); none on an environment that keeps its data."""
    if not destroy_on_teardown:
        return {}
    return {"removal_policy": cdk.RemovalPolicy.DESTROY, "auto_delete_objects": True}
