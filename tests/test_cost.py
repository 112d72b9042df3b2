"""`make cost`: an itemized hourly and monthly estimate read from the synthesized templates."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from costs.__main__ import main
from costs.assembly import AssemblyError, read_assembly
from costs.estimate import EPHEMERAL_TARGET_USD_PER_HOUR, LineItem, estimate
from costs.prices import HOURS_PER_MONTH, PRICE_TABLE_DATE, PRICES, UnknownPrice
from costs.report import render
from costs.stream_requests import TRANSFORM_INTERVAL_OPTION
from tests.fixtures.synth import FEATURE_BRANCH

REPO_ROOT = Path(__file__).resolve().parents[1]

MSK = {
    "Type": "AWS::MSK::Cluster",
    "Properties": {
        "NumberOfBrokerNodes": 2,
        "BrokerNodeGroupInfo": {
            "InstanceType": "kafka.t3.small",
            "StorageInfo": {"EBSStorageInfo": {"VolumeSize": 10}},
        },
    },
}
CONNECTOR = {
    "Type": "AWS::KafkaConnect::Connector",
    "Properties": {
        "ConnectorName": "s3-sink",
        "Capacity": {"AutoScaling": {"McuCount": 1, "MinWorkerCount": 1, "MaxWorkerCount": 2}},
    },
}
MWAA = {"Type": "AWS::MWAA::Environment", "Properties": {"EnvironmentClass": "mw1.small", "MinWorkers": 3}}
ENDPOINT = {
    "Type": "AWS::EC2::VPCEndpoint",
    "Properties": {"VpcEndpointType": "Interface", "SubnetIds": ["a", "b"]},
}


def _assembly(tmp_path, stacks: dict[str, dict], *, profile="ephemeral", region="us-east-1"):
    artifacts = {}
    for name, resources in stacks.items():
        (tmp_path / f"{name}.template.json").write_text(json.dumps({"Resources": resources}))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": f"aws://111111111111/{region}",
            "properties": {
                "templateFile": f"{name}.template.json",
                "stackName": name,
                "tags": {"keystone:env": "feat", "keystone:profile": profile},
            },
        }
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return read_assembly(tmp_path)


def _by_item(result) -> dict[str, float]:
    return {item.item: item.usd_per_hour for item in result.items}


def test_each_priced_resource_type_becomes_a_line_item(tmp_path):
    stacks = _assembly(
        tmp_path,
        {
            "Keystone-feat-Streaming": {"Msk": MSK, "Connector": CONNECTOR},
            "Keystone-feat-Orchestration": {"Airflow": MWAA},
            "Keystone-feat-Network": {
                "Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {}},
                "Eip": {"Type": "AWS::EC2::EIP", "Properties": {}},
                "Endpoint": ENDPOINT,
                "Gateway": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcEndpointType": "Gateway"}},
            },
            "Keystone-feat-Storage": {"Key": {"Type": "AWS::KMS::Key", "Properties": {}}},
        },
    )
    items = _by_item(estimate(stacks))
    assert items["MSK broker kafka.t3.small"] == pytest.approx(2 * 0.0456)
    assert items["MSK storage 10 GB x 2"] == pytest.approx(20 * 0.10 / HOURS_PER_MONTH)
    assert items["MSK Connect s3-sink (1 x 1 MCU)"] == pytest.approx(0.11)
    assert items["MWAA mw1.small environment"] == pytest.approx(0.49)
    assert items["MWAA extra workers (mw1.small)"] == pytest.approx(2 * 0.055)  # the first worker is included
    assert items["NAT gateway"] == pytest.approx(0.045)
    assert items["Public IPv4 address (NAT)"] == pytest.approx(0.005)
    assert items["VPC interface endpoints (1)"] == pytest.approx(2 * 0.01)  # one per subnet (AZ); gateways are free
    assert items["KMS customer managed key"] == pytest.approx(1 / HOURS_PER_MONTH)


def test_usage_items_come_from_the_profile_assumptions(tmp_path):
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {"FunctionName": "keystone-feat-ingestion", "MemorySize": 1024, "Architectures": ["arm64"]},
    }
    resources = {"F": function, "B": {"Type": "AWS::S3::Bucket"}, "L": {"Type": "AWS::Logs::LogGroup"}}
    (tmp_path / "e").mkdir()
    (tmp_path / "p").mkdir()
    small = estimate(_assembly(tmp_path / "e", {"Keystone-feat-X": resources}))
    large = estimate(_assembly(tmp_path / "p", {"Keystone-feat-X": resources}, profile="persistent"))
    assert {i.item.split(",")[0] for i in small.items} >= {"S3 Standard", "Logs ingested", "Logs stored"}
    assert any(i.item.startswith("Lambda compute (arm64)") for i in small.items)
    assert large.usd_per_hour > small.usd_per_hour


def _streaming(rotate_interval_ms: int) -> dict[str, dict]:
    sink = {"topics": "orders,items", "file.rotate.interval.ms": str(rotate_interval_ms)}
    return {
        "Msk": MSK,
        "Connector": {
            "Type": CONNECTOR["Type"],
            "Properties": {**CONNECTOR["Properties"], "ConnectorConfiguration": sink},
        },
        "Orders": {"Type": "AWS::MSK::Topic", "Properties": {"TopicName": "orders", "PartitionCount": 2}},
        "Items": {"Type": "AWS::MSK::Topic", "Properties": {"TopicName": "items", "PartitionCount": 3}},
    }


def test_stream_s3_requests_are_priced_from_the_sink_rotation_and_the_transform_schedule(tmp_path):
    """Per stream object (at most one per topic partition per rotation): the sink's PUT and its validation marker,
    the quality gate's GET, and a GET by every transform run whose 3 h Bronze lookback covers it."""
    airflow = {"Type": MWAA["Type"], "Properties": {"AirflowConfigurationOptions": {TRANSFORM_INTERVAL_OPTION: "15"}}}

    def requests(rotate_interval_ms: int) -> dict[str, LineItem]:
        folder = tmp_path / str(rotate_interval_ms)
        folder.mkdir()
        stacks = _assembly(
            folder,
            {"Keystone-feat-Streaming": _streaming(rotate_interval_ms), "Keystone-feat-Orchestration": {"A": airflow}},
        )
        return {item.item.split(",")[0]: item for item in estimate(stacks).items}

    objects_per_hour = 5 * 60  # 5 partitions, an object a minute each
    minute = requests(60_000)
    assert minute["S3 PUT"].quantity * 1000 == pytest.approx(2 * objects_per_hour)
    assert minute["S3 GET"].quantity * 1000 == pytest.approx(objects_per_hour + 4 * 3 * objects_per_hour)
    assert minute["S3 PUT"].usd_per_hour == pytest.approx(2 * objects_per_hour * 0.005 / 1000)
    seconds = requests(3_000)
    assert seconds["S3 PUT"].usd_per_hour == pytest.approx(20 * minute["S3 PUT"].usd_per_hour)
    assert seconds["S3 GET"].usd_per_hour == pytest.approx(20 * minute["S3 GET"].usd_per_hour)
    # The quality gate every 15 min: per topic the 5 hour partitions from 3 h before the last run, and batch/, each
    # with its marks; however long the environment has streamed, and whatever the rotation.
    assert minute["S3 LIST"].quantity * 1000 == pytest.approx(4 * 2 * (2 * 5 + 1))
    assert minute["S3 LIST"].usd_per_hour == pytest.approx(4 * 2 * 11 * 0.005 / 1000)
    assert seconds["S3 LIST"].quantity == minute["S3 LIST"].quantity


def test_a_paused_environment_has_no_stream_requests(tmp_path):
    stacks = _assembly(tmp_path, {"Keystone-feat-Storage": {"B": {"Type": "AWS::S3::Bucket"}}})
    assert not [item for item in estimate(stacks).items if item.item.startswith("S3 PUT")]


def test_the_same_stacks_cost_more_in_sao_paulo(tmp_path):
    stacks = _assembly(tmp_path, {"Keystone-feat-Streaming": {"Msk": MSK, "Connector": CONNECTOR}})
    virginia, ireland, sao_paulo = (estimate(stacks, region=r) for r in ("us-east-1", "eu-west-1", "sa-east-1"))
    assert virginia.usd_per_hour < ireland.usd_per_hour < sao_paulo.usd_per_hour
    assert not virginia.has_approximate_prices and sao_paulo.has_approximate_prices
    assert "~" in render(sao_paulo)


def test_an_instance_type_without_a_price_is_a_clear_error(tmp_path):
    msk = json.loads(json.dumps(MSK))
    msk["Properties"]["BrokerNodeGroupInfo"]["InstanceType"] = "kafka.m5.24xlarge"
    with pytest.raises(UnknownPrice, match=r"kafka\.m5\.24xlarge.*costs/prices\.py"):
        estimate(_assembly(tmp_path, {"Keystone-feat-Streaming": {"Msk": msk}}))


def test_a_missing_assembly_says_to_synthesize_first(tmp_path):
    with pytest.raises(AssemblyError, match="make synth"):
        read_assembly(tmp_path)


def test_the_price_table_is_dated_and_covers_the_same_items_in_every_region():
    assert PRICE_TABLE_DATE
    assert {"us-east-1", "eu-west-1", "sa-east-1"} <= set(PRICES)
    keys = set(PRICES["us-east-1"])
    for region, prices in PRICES.items():
        assert set(prices) == keys, region
        assert all(price.usd > 0 for price in prices.values())


@pytest.mark.slow
def test_feature_and_main_print_different_itemized_estimates(feature_env, main_env):
    outputs = {}
    for which in (feature_env, main_env):
        result = subprocess.run(
            [sys.executable, "-m", "costs", "--cdk-out", str(which.outdir)], capture_output=True, text=True, check=True
        )
        outputs[which.environment.profile.name] = result.stdout
    assert outputs["ephemeral"] != outputs["persistent"]
    for text in outputs.values():
        assert "USD/hour" in text and "TOTAL" in text
        assert "MSK broker" in text and "MSK Connect" in text and "MWAA" in text and "NAT gateway" in text
    assert "Ephemeral target" in outputs["ephemeral"]


@pytest.mark.slow
def test_the_ephemeral_environment_meets_its_hourly_target(feature_env, main_env):
    ephemeral = estimate(read_assembly(feature_env.outdir))
    persistent = estimate(read_assembly(main_env.outdir))
    assert feature_env.environment.branch == FEATURE_BRANCH
    assert ephemeral.usd_per_hour <= EPHEMERAL_TARGET_USD_PER_HOUR, render(ephemeral)
    assert persistent.usd_per_hour > ephemeral.usd_per_hour


def test_the_command_line_fails_clearly_without_an_assembly(tmp_path, capsys):
    assert main(["--cdk-out", str(tmp_path)]) == 2
    assert "make synth" in capsys.readouterr().err


def _documented(pattern: str) -> float:
    match = re.search(pattern, (REPO_ROOT / "docs" / "cost.md").read_text())
    assert match, pattern
    return float(match.group(1))


def test_the_totals_the_cost_docs_quote_are_todays_estimate(feature_env, main_env):
    """docs/cost.md quotes the hourly totals of both profiles; they must be what `make cost` prints today."""
    ephemeral = estimate(read_assembly(feature_env.outdir)).usd_per_hour
    persistent = estimate(read_assembly(main_env.outdir)).usd_per_hour
    assert _documented(r"\*\*total\*\* \| \*\*≈ ([0-9.]+)\*\*") == pytest.approx(ephemeral, abs=0.005)
    assert _documented(r"comes to about\s+([0-9.]+) USD/hour") == pytest.approx(persistent, abs=0.005)
    sao_paulo = estimate(read_assembly(feature_env.outdir), region="sa-east-1").usd_per_hour
    assert _documented(r"`sa-east-1` come to about ([0-9.]+) USD/hour") == pytest.approx(sao_paulo, abs=0.005)
