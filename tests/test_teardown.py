"""Teardown: every stateful resource is retained on `main` and deleted with its stack everywhere else.

Which resource types are stateful is not listed here: cfn-lint (pinned in requirements-dev.txt) ships the list
AWS keeps for its I3011 rule (cfnlint/data/AdditionalSpecs/StatefulResources.json), the same list the CDK's
service spec imports as `isStateful` (cdklabs/awscdk-service-spec, "Stateful Resources": "When used as part of
a L2 Construct, these resources will have a default deletion policy of RETAIN").
"""

import pytest
from cfnlint.data import AdditionalSpecs
from cfnlint.helpers import load_resource

# Not in that list, but they hold the events: the brokers' volumes, each topic's log (deleting a topic deletes
# its events), and the configuration the retained cluster keeps pointing at.
MSK_TYPES = {"AWS::MSK::Cluster", "AWS::MSK::Configuration", "AWS::MSK::Topic"}
# In that list, but the failure queues hold only records of failed invocations, which their alarms already
# raised: they keep sqs.Queue's default (DESTROY) on every environment.
DELETED_EVERYWHERE = {"AWS::SQS::Queue"}
STATEFUL_TYPES = set(load_resource(AdditionalSpecs, "StatefulResources.json")["ResourceTypes"]) | MSK_TYPES


def _resources(synthesized):
    for template in synthesized.templates.values():
        yield from template.to_json()["Resources"].items()


@pytest.mark.parametrize(("which", "policy"), [("main_env", "Retain"), ("feature_env", "Delete")])
def test_every_stateful_resource_is_retained_on_main_and_deleted_elsewhere(which, policy, request):
    synthesized = request.getfixturevalue(which)
    found = set()
    for logical_id, resource in _resources(synthesized):
        if resource["Type"] not in STATEFUL_TYPES:
            continue
        found.add(resource["Type"])
        expected = "Delete" if resource["Type"] in DELETED_EVERYWHERE else policy
        policies = (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
        assert policies == (expected, expected), (logical_id, resource["Type"])
    # The environment has all of these; a type that disappears from the templates should be noticed here.
    assert found == {"AWS::S3::Bucket", "AWS::KMS::Key", "AWS::Logs::LogGroup", "AWS::SQS::Queue", *MSK_TYPES}


def test_main_retains_nothing_but_its_stateful_resources(main_env):
    retained = {resource["Type"] for _, resource in _resources(main_env) if "Retain" in resource.values()}
    assert retained <= STATEFUL_TYPES - DELETED_EVERYWHERE


def test_the_ephemeral_workgroup_goes_with_the_queries_in_it(main_env, feature_env):
    """Not a removal policy: a workgroup that holds named queries or query executions is deleted only with
    RecursiveDeleteOption (https://docs.aws.amazon.com/athena/latest/APIReference/API_DeleteWorkGroup.html)."""
    for synthesized, recursive in ((main_env, False), (feature_env, True)):
        workgroups = synthesized.template("Catalog").find_resources("AWS::Athena::WorkGroup").values()
        assert [w["Properties"]["RecursiveDeleteOption"] for w in workgroups] == [recursive]
