"""cdk-nag in the synth path, and the ways to acknowledge a finding.

cdk-nag 3 matches an acknowledgment only against the exact finding id, so wildcard findings are
acknowledged one resource at a time: an acknowledgment can never cover more than it names.
"""

from __future__ import annotations

from collections.abc import Iterable

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_compliance_checks(app: cdk.App) -> None:
    """Every synth of the app runs AwsSolutions; an unacknowledged finding fails the synth."""
    cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(scope: IConstruct, finding: str, reason: str) -> None:
    """Accept one cdk-nag finding on `scope` (and below) for a stated, specific reason."""
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=finding, reason=reason))


def acknowledge_wildcards(scope: IConstruct, resources: Iterable[str], reason: str) -> None:
    """Accept AwsSolutions-IAM5 for exactly these wildcard resources (as cdk-nag prints them)."""
    for resource in resources:
        acknowledge(scope, f"AwsSolutions-IAM5[Resource::{resource}]", reason)


def acknowledge_managed_policy(scope: IConstruct, policy: str, reason: str) -> None:
    """Accept AwsSolutions-IAM4 for one AWS-managed policy, e.g. `service-role/AWSLambdaBasicExecutionRole`."""
    acknowledge(scope, f"AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]", reason)


def token_arn(resource: cdk.CfnResource) -> str:
    """How cdk-nag prints the ARN attribute of a resource in the same stack: `<LogicalId.Arn>`."""
    return f"<{cdk.Stack.of(resource).get_logical_id(resource)}.Arn>"


# The construct id aws-cdk-lib gives the one function behind every AwsCustomResource of a stack.
AWS_CUSTOM_RESOURCE_SINGLETON = "AWS679f53fac002430cb0da5b7982bd2287"


def acknowledge_framework_function(function: IConstruct) -> None:
    """Accept what cdk-nag says of a function aws-cdk-lib creates for itself (custom resources, deployments)."""
    acknowledge_managed_policy(
        function,
        "service-role/AWSLambdaBasicExecutionRole",
        "A CDK framework function that only writes its own logs; aws-cdk-lib creates its role.",
    )
    acknowledge(
        function,
        "AwsSolutions-L1",
        "The runtime of CDK's framework functions is chosen and kept current by aws-cdk-lib.",
    )
