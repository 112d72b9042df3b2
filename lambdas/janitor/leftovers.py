"""What services leave behind once a stack is gone: buckets, MWAA and Lambda log groups, Lambda ENIs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from botocore.exceptions import ClientError

from lambdas.janitor.records import EPHEMERAL, TAG_ENV, TAG_PROFILE

# MWAA creates one log group per component, named after the environment, and keeps them after it is deleted.
MWAA_LOG_COMPONENTS = ("DAGProcessing", "Scheduler", "Task", "WebServer", "Worker")
_DELETE_BATCH = 1000  # the most keys DeleteObjects takes in one call


class BucketNotOurs(RuntimeError):
    """A bucket named by a stack does not carry the tags of the ephemeral environment being cleaned."""


def mwaa_log_groups(environment_name: str) -> list[str]:
    return [f"airflow-{environment_name}-{component}" for component in MWAA_LOG_COMPONENTS]


def lambda_log_group(function_name: str) -> str:
    return f"/aws/lambda/{function_name}"


def bucket_exists(s3: Any, bucket: str) -> bool:
    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as error:
        if _code(error) in {"404", "NoSuchBucket", "NotFound"}:
            return False
        raise
    return True


def check_bucket_belongs_to(s3: Any, bucket: str, slug: str) -> None:
    """Refuse unless the bucket is tagged as part of ephemeral environment `slug`."""
    try:
        tags = {tag["Key"]: tag["Value"] for tag in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    except ClientError as error:
        if _code(error) != "NoSuchTagSet":
            raise
        tags = {}
    if tags.get(TAG_ENV) != slug or tags.get(TAG_PROFILE) != EPHEMERAL:
        raise BucketNotOurs(
            f"bucket {bucket} is tagged {TAG_ENV}={tags.get(TAG_ENV)!r}, {TAG_PROFILE}={tags.get(TAG_PROFILE)!r}, "
            f"not as ephemeral environment {slug!r}: left alone; check who owns it"
        )


def empty_bucket(s3: Any, bucket: str) -> int:
    """Delete every object version and delete marker; returns how many were deleted."""
    deleted = 0
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
        keys = [
            {"Key": item["Key"], "VersionId": item["VersionId"]}
            for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
        ]
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            response = s3.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})
            if response.get("Errors"):
                first = response["Errors"][0]
                raise RuntimeError(
                    f"could not empty bucket {bucket}: {len(response['Errors'])} objects not deleted, first "
                    f"{first.get('Key')!r}: {first.get('Code')} {first.get('Message')}"
                )
            deleted += len(batch)
    return deleted


def delete_bucket(s3: Any, bucket: str) -> None:
    empty_bucket(s3, bucket)
    s3.delete_bucket(Bucket=bucket)


def delete_log_groups(logs: Any, names: Iterable[str]) -> list[str]:
    """Delete the named log groups; returns the ones that existed."""
    deleted = []
    for name in names:
        try:
            logs.delete_log_group(logGroupName=name)
        except ClientError as error:
            if _code(error) == "ResourceNotFoundException":
                continue
            raise
        deleted.append(name)
    return deleted


def lambda_enis(ec2: Any, *, security_group_ids: list[str], subnet_ids: list[str]) -> list[dict]:
    """The network interfaces Lambda made in these security groups or subnets, attached or not.

    Lambda releases a function's (Hyperplane) interfaces itself, up to about 20 minutes after the function is gone;
    until then they hold the subnets and security groups, and deleting those fails.
    """
    found: dict[str, dict] = {}
    for name, values in (("group-id", security_group_ids), ("subnet-id", subnet_ids)):
        if not values:
            continue
        pages = ec2.get_paginator("describe_network_interfaces").paginate(Filters=[{"Name": name, "Values": values}])
        for interface in (item for page in pages for item in page["NetworkInterfaces"]):
            if _made_by_lambda(interface):
                found[interface["NetworkInterfaceId"]] = interface
    return [found[key] for key in sorted(found)]


def delete_detached_lambda_enis(ec2: Any, security_group_ids: list[str]) -> list[str]:
    """Delete the detached ENIs Lambda made in these security groups: they block deleting the groups and subnets."""
    deleted = []
    for interface in lambda_enis(ec2, security_group_ids=security_group_ids, subnet_ids=[]):
        if interface.get("Status") == "available":
            ec2.delete_network_interface(NetworkInterfaceId=interface["NetworkInterfaceId"])
            deleted.append(interface["NetworkInterfaceId"])
    return deleted


def describe_enis(interfaces: list[dict]) -> str:
    return ", ".join(f"{i['NetworkInterfaceId']} ({i.get('Status', '?')})" for i in interfaces)


def _made_by_lambda(interface: dict) -> bool:
    return interface.get("InterfaceType") == "lambda" or interface.get("Description", "").startswith(
        "AWS Lambda VPC ENI"
    )


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
