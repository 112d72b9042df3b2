"""Read-only AWS access for the make targets, through CDK's lookup role.

The credentials CI holds may only assume CDK's bootstrap roles (docs/deploying.md); the lookup role is the one
of them that reads (ReadOnlyAccess). Everything that changes a stack still goes through the CDK CLI.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import botocore.session
from botocore.credentials import CredentialProvider, RefreshableCredentials

from lambdas.janitor.records import TAG_ENV
from stacks.synth_context import REPO_ROOT

DEFAULT_QUALIFIER = "hnb659fds"  # `cdk bootstrap`'s default; cdk.json may name another


@dataclass(frozen=True)
class LiveStack:
    name: str
    stack_id: str
    status: str


def bootstrap_qualifier() -> str:
    context = json.loads((REPO_ROOT / "cdk.json").read_text()).get("context", {})
    return context.get("@aws-cdk/core:bootstrapQualifier", DEFAULT_QUALIFIER)


def reader_session() -> boto3.Session:
    """A session as `cdk-<qualifier>-lookup-role-<account>-<region>`, assumed with the caller's credentials.

    A role assumed with a role's credentials lasts at most an hour (IAM role chaining), shorter than a wait for a
    stack: the credentials are assumed again before they expire.
    """
    base = boto3.Session()
    sts = base.client("sts")
    identity = sts.get_caller_identity()
    partition, account, region = identity["Arn"].split(":")[1], identity["Account"], base.region_name
    role = f"arn:{partition}:iam::{account}:role/cdk-{bootstrap_qualifier()}-lookup-role-{account}-{region}"
    session = botocore.session.get_session()
    session.get_component("credential_provider").insert_before("env", _AssumedRole(sts, role))
    return boto3.Session(botocore_session=session, region_name=region)


class _AssumedRole(CredentialProvider):
    METHOD = CANONICAL_NAME = "keystone-lookup-role"

    def __init__(self, sts, role_arn: str) -> None:
        super().__init__()
        self._sts, self._role_arn = sts, role_arn

    def load(self) -> RefreshableCredentials:
        return RefreshableCredentials.create_from_metadata(self._fetch(), self._fetch, self.METHOD)

    def _fetch(self) -> dict[str, str]:
        credentials = self._sts.assume_role(RoleArn=self._role_arn, RoleSessionName="keystone-make")["Credentials"]
        return {
            "access_key": credentials["AccessKeyId"],
            "secret_key": credentials["SecretAccessKey"],
            "token": credentials["SessionToken"],
            "expiry_time": credentials["Expiration"].isoformat(),
        }


def environment_stacks(cloudformation, slug: str) -> list[LiveStack]:
    """The existing stacks tagged as environment `slug` (by tag: `Keystone-feat-` also prefixes `Keystone-feat-x-`)."""
    return sorted(
        (
            LiveStack(stack["StackName"], stack["StackId"], stack["StackStatus"])
            for stack in _stacks(cloudformation)
            if {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}.get(TAG_ENV) == slug
        ),
        key=lambda stack: stack.name,
    )


def _stacks(cloudformation) -> Iterator[dict]:
    for page in cloudformation.get_paginator("describe_stacks").paginate():
        yield from page["Stacks"]
