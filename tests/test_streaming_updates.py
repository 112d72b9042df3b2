"""A second deploy of the Streaming stack with changed inputs updates in place or replaces under a new name.

CloudFormation replaces a resource when one of its create-only properties changes ("Update requires:
Replacement" in the resource reference), and unless the type's `replacementStrategy` is `delete_then_create`
it creates the replacement before deleting the original: a replacement that keeps its name fails with
"already exists" and the whole update rolls back. Which properties are create-only, and which types delete
first, is read from the CloudFormation registry schemas the pinned cfn-lint ships (the data behind
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-kafkaconnect-workerconfiguration.html,
...-kafkaconnect-connector.html, ...-kafkaconnect-customplugin.html, ...-msk-configuration.html, ...-msk-topic.html).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from aws_cdk.assertions import Template
from cfnlint.schema import PROVIDER_SCHEMA_MANAGER

import environments.model
import stacks.constructs.s3_sink_connector as sink_module
from connector.s3_sink import connector_config, worker_properties_file
from environments.profiles import EPHEMERAL, Profile
from stacks.application import create_app
from stacks.constructs import kafka_cluster
from tests.fixtures.synth import FEATURE_BRANCH, SYNTH_TIME

pytestmark = pytest.mark.slow

REGION = "us-east-1"
# The property that holds each streaming type's physical name.
NAME_PROPERTY = {
    "AWS::KafkaConnect::Connector": "ConnectorName",
    "AWS::KafkaConnect::CustomPlugin": "Name",
    "AWS::KafkaConnect::WorkerConfiguration": "Name",
    "AWS::MSK::Cluster": "ClusterName",
    "AWS::MSK::Configuration": "Name",
    "AWS::MSK::Topic": "TopicName",
}


def _schema(resource_type: str) -> dict:
    """The registry schema (custom resources get AWS::CloudFormation::CustomResource's)."""
    return PROVIDER_SCHEMA_MANAGER.get_resource_schema(REGION, resource_type).schema


def _at(properties: dict, pointer: str) -> object:
    value: object = properties
    for part in pointer.removeprefix("/properties/").split("/"):
        if not isinstance(value, dict):
            return value  # a list: compare it whole
        value = value.get(part)
    return value


def _references(value: object) -> set[str]:
    if isinstance(value, dict):
        if "Ref" in value:
            return {value["Ref"]}
        if "Fn::GetAtt" in value:
            return {value["Fn::GetAtt"][0]}
        return set().union(*(_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value))
    return set()


def replacements(before: dict, after: dict) -> dict[str, list[str]]:
    """Logical id -> the create-only properties whose change makes CloudFormation replace the resource.

    A replaced resource gets a new physical id and ARN, so every Ref/GetAtt of it changes too.
    """
    replaced: dict[str, list[str]] = {}
    grew = True
    while grew:
        grew = False
        for logical_id, resource in after["Resources"].items():
            schema = _schema(resource["Type"])
            if logical_id in replaced or logical_id not in before["Resources"]:
                continue
            old, new = before["Resources"][logical_id].get("Properties", {}), resource.get("Properties", {})
            changed = [
                pointer
                for pointer in schema.get("createOnlyProperties", [])
                if _at(old, pointer) != _at(new, pointer) or _references(_at(new, pointer)) & replaced.keys()
            ]
            if changed:
                replaced[logical_id] = changed
                grew = True
    return replaced


def _synth_streaming(profile: Profile, outdir: Path) -> dict:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(environments.model, "profile_for_branch", lambda _branch: profile)
        _app, _environment, lakehouse = create_app({"branch": FEATURE_BRANCH}, outdir=str(outdir), now=SYNTH_TIME)
        return Template.from_stack(lakehouse.streaming).to_json()


@pytest.fixture(scope="module")
def before(feature_env) -> dict:
    return feature_env.template("Streaming").to_json()


@pytest.fixture(scope="module")
def after_settings_change(tmp_path_factory) -> Iterator[dict]:
    """Connector config, worker properties, broker config and topic partitions all changed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            sink_module,
            "connector_config",
            lambda settings: connector_config(dataclasses.replace(settings, rotate_interval_ms=120_000)),
        )
        patch.setattr(
            sink_module, "worker_properties_file", lambda: worker_properties_file(offset_flush_interval_ms=30_000)
        )
        patch.setitem(kafka_cluster.SERVER_PROPERTIES, "log.retention.hours", "72")
        msk = dataclasses.replace(EPHEMERAL.msk, topic_partitions=4)
        yield _synth_streaming(dataclasses.replace(EPHEMERAL, msk=msk), tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="module")
def after_kafka_upgrade(tmp_path_factory) -> dict:
    msk = dataclasses.replace(EPHEMERAL.msk, kafka_version="3.9.x")
    return _synth_streaming(dataclasses.replace(EPHEMERAL, msk=msk), tmp_path_factory.mktemp("cdk.out"))


def _assert_replacements_get_new_names(before: dict, after: dict) -> dict[str, str]:
    replaced = replacements(before, after)
    types = {}
    for logical_id, changed in replaced.items():
        resource_type = after["Resources"][logical_id]["Type"]
        if not resource_type.startswith(("AWS::KafkaConnect::", "AWS::MSK::")):
            continue
        types[logical_id] = resource_type
        if _schema(resource_type).get("replacementStrategy") == "delete_then_create":
            continue  # the original is gone before the replacement is created: the name is free
        name = NAME_PROPERTY[resource_type]
        old_name = before["Resources"][logical_id]["Properties"][name]
        new_name = after["Resources"][logical_id]["Properties"][name]
        assert old_name != new_name, (
            f"{logical_id} ({resource_type}) is replaced because {changed} changed, "
            f"but keeps the name {old_name!r}: creating the replacement fails"
        )
    return types


def test_a_settings_change_replaces_only_under_new_names(before, after_settings_change):
    replaced = _assert_replacements_get_new_names(before, after_settings_change)
    # Not vacuous: new worker properties replace the worker configuration, and with it the connector.
    assert {"AWS::KafkaConnect::WorkerConfiguration", "AWS::KafkaConnect::Connector"} <= set(replaced.values())


def test_a_kafka_upgrade_replaces_the_broker_configuration_under_a_new_name(before, after_kafka_upgrade):
    replaced = _assert_replacements_get_new_names(before, after_kafka_upgrade)
    assert "AWS::MSK::Configuration" in replaced.values()
    assert "AWS::MSK::Cluster" not in replaced.values()


def test_a_changed_connector_config_is_an_in_place_update(before, after_settings_change):
    (connector_id,) = [k for k, r in before["Resources"].items() if r["Type"] == "AWS::KafkaConnect::Connector"]
    old = before["Resources"][connector_id]["Properties"]["ConnectorConfiguration"]
    new = after_settings_change["Resources"][connector_id]["Properties"]["ConnectorConfiguration"]
    assert old != new
    # Since January 2025 MSK Connect updates a connector's configuration in place (UpdateConnector).
    assert "/properties/ConnectorConfiguration" not in _schema("AWS::KafkaConnect::Connector")["createOnlyProperties"]


def test_the_cluster_follows_the_latest_broker_configuration_revision(before, after_settings_change):
    """ServerProperties is updated in place as a new revision; a cluster pinned to revision 1 never sees it."""
    (config_id,) = [k for k, r in before["Resources"].items() if r["Type"] == "AWS::MSK::Configuration"]
    assert "/properties/ServerProperties" not in _schema("AWS::MSK::Configuration")["createOnlyProperties"]
    old, new = before["Resources"][config_id], after_settings_change["Resources"][config_id]
    assert old["Properties"]["ServerProperties"] != new["Properties"]["ServerProperties"]
    assert old["Properties"]["Name"] == new["Properties"]["Name"]  # the same configuration, a new revision
    for template in (before, after_settings_change):
        (cluster,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::MSK::Cluster"]
        assert cluster["Properties"]["ConfigurationInfo"] == {
            "Arn": {"Fn::GetAtt": [config_id, "Arn"]},
            "Revision": {"Fn::GetAtt": [config_id, "LatestRevision.Revision"]},
        }


def test_more_partitions_grow_the_topics_in_place(before, after_settings_change):
    def partitions(template: dict) -> dict[str, tuple[str, int]]:
        return {
            logical_id: (r["Properties"]["TopicName"], r["Properties"]["PartitionCount"])
            for logical_id, r in template["Resources"].items()
            if r["Type"] == "AWS::MSK::Topic"
        }

    old, new = partitions(before), partitions(after_settings_change)
    assert old, "the topics are not AWS::MSK::Topic resources"
    assert old.keys() == new.keys()
    assert {count for _, count in old.values()} == {EPHEMERAL.msk.topic_partitions}
    assert {count for _, count in new.values()} == {4}
    assert "/properties/PartitionCount" not in _schema("AWS::MSK::Topic")["createOnlyProperties"]
    assert not replacements(before, after_settings_change).keys() & new.keys()
