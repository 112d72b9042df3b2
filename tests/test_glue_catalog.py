"""The twin's Glue catalog holds the Catalog stack's databases and tables as its synthesized template defines them."""

import copy
import json

import boto3
import pytest

from localtwin.glue_catalog import TemplateNotLiteral, register_catalog
from tests.fixtures.moto import MOTO_ENVIRONMENT, moto_server

TWIN_BUCKET = "twin-run-bronze"


@pytest.fixture(scope="module")
def glue():
    with moto_server() as endpoint:
        yield boto3.client(
            "glue",
            endpoint_url=endpoint,
            region_name=MOTO_ENVIRONMENT["AWS_REGION"],
            aws_access_key_id=MOTO_ENVIRONMENT["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=MOTO_ENVIRONMENT["AWS_SECRET_ACCESS_KEY"],
        )


def _resources(template: dict, kind: str) -> list[dict]:
    return [resource["Properties"] for resource in template["Resources"].values() if resource["Type"] == kind]


def test_every_table_is_the_templates_but_for_the_bronze_bucket(glue, main_env):
    template = main_env.template("Catalog").to_json()
    bronze = main_env.environment.bucket_name("bronze")
    assert f"s3://{bronze}/" in json.dumps(template)  # the relocation below has something to move

    databases = register_catalog(glue, template, {bronze: TWIN_BUCKET})
    register_catalog(glue, template, {bronze: TWIN_BUCKET})  # a second run of the twin updates, never fails

    assert databases == [main_env.environment.glue_database(layer) for layer in ("bronze", "silver", "gold")]
    tables = _resources(template, "AWS::Glue::Table")
    assert len(tables) == 13
    for table in tables:
        expected = json.loads(json.dumps(table["TableInput"]).replace(f"s3://{bronze}/", f"s3://{TWIN_BUCKET}/"))
        stored = glue.get_table(DatabaseName=table["DatabaseName"], Name=expected["Name"])["Table"]
        assert stored["Parameters"] == expected["Parameters"]  # partition projection included
        assert stored["PartitionKeys"] == expected["PartitionKeys"]
        descriptor = {key: stored["StorageDescriptor"][key] for key in expected["StorageDescriptor"]}
        assert descriptor == expected["StorageDescriptor"]
        assert stored["StorageDescriptor"]["Location"].startswith(f"s3://{TWIN_BUCKET}/")


def test_a_template_function_the_twin_cannot_resolve_is_named(glue, main_env):
    template = copy.deepcopy(main_env.template("Catalog").to_json())
    table = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Glue::Table")
    table["Properties"]["DatabaseName"] = {"Ref": "SomeDatabase"}
    with pytest.raises(TemplateNotLiteral, match="literal Glue inputs only"):
        register_catalog(glue, template, {})
