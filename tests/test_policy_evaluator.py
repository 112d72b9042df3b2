"""The policy evaluator the stack tests rely on decides as the IAM User Guide's evaluation logic does."""

import pytest

from tests.fixtures.policies import Request, Resolver, UnsupportedPolicy, evaluate

ACCOUNT = "111111111111"
LOGS = {"Service": "logs.us-east-1.amazonaws.com"}


def _policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def _allow(**extra):
    return {"Effect": "Allow", "Principal": {"Service": LOGS["Service"]}, "Action": "kms:*", "Resource": "*", **extra}


def _logs_request(context):
    return Request(principal=LOGS, action="kms:GenerateDataKey", context=context)


def test_an_explicit_deny_wins_over_an_allow():
    deny = {"Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*"}
    assert evaluate(_policy(_allow(), deny), _logs_request({})) == "Deny"
    assert evaluate(_policy(_allow()), _logs_request({})) == "Allow"


def test_nothing_matching_is_an_implicit_deny():
    assert evaluate(_policy(_allow()), Request(principal={"Service": "s3.amazonaws.com"}, action="kms:Decrypt")) == (
        "ImplicitDeny"
    )
    assert evaluate(_policy(_allow(Action="kms:Decrypt")), _logs_request({})) == "ImplicitDeny"


def test_actions_match_case_insensitively_with_wildcards():
    statement = _allow(Action=["kms:GenerateDataKey*"])
    assert evaluate(_policy(statement), Request(principal=LOGS, action="KMS:generatedatakeywithoutplaintext")) == (
        "Allow"
    )


def test_arnlike_wildcards_stay_within_one_arn_field():
    group = "arn:aws:logs:us-east-1:111111111111:log-group:airflow-env-*"
    statement = _allow(Condition={"ArnLike": {"kms:EncryptionContext:aws:logs:arn": group}})
    key = "kms:EncryptionContext:aws:logs:arn"
    assert evaluate(_policy(statement), _logs_request({key: group.replace("*", "Task")})) == "Allow"
    # The region field of the pattern is literal: a wildcard in the resource cannot swallow it.
    across = "arn:aws:logs:eu-west-1:111111111111:log-group:airflow-env-Task"
    assert evaluate(_policy(statement), _logs_request({key: across})) == "ImplicitDeny"
    assert evaluate(_policy(statement), _logs_request({})) == "ImplicitDeny"  # a missing key fails the condition


def test_condition_keys_are_case_insensitive_and_ifexists_tolerates_absence():
    statement = _allow(Condition={"StringEqualsIfExists": {"aws:SourceAccount": ACCOUNT}})
    assert evaluate(_policy(statement), _logs_request({})) == "Allow"
    assert evaluate(_policy(statement), _logs_request({"AWS:SOURCEACCOUNT": ACCOUNT})) == "Allow"
    assert evaluate(_policy(statement), _logs_request({"aws:SourceAccount": "222222222222"})) == "ImplicitDeny"


def test_an_account_principal_stands_for_the_principals_of_that_account_only():
    root = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
    statement = {"Effect": "Allow", "Principal": root, "Action": "*", "Resource": "*"}
    own = Request(principal={"AWS": f"arn:aws:iam::{ACCOUNT}:role/x"}, action="kms:Decrypt")
    other = Request(principal={"AWS": "arn:aws:iam::222222222222:role/x"}, action="kms:Decrypt")
    assert evaluate(_policy(statement), own) == "Allow"
    assert evaluate(_policy(statement), other) == "ImplicitDeny"


def test_unknown_operators_and_elements_are_refused_not_guessed():
    with pytest.raises(UnsupportedPolicy, match="NumericLessThan"):
        evaluate(_policy(_allow(Condition={"NumericLessThan": {"x": "1"}})), _logs_request({"x": "0"}))
    with pytest.raises(UnsupportedPolicy, match="NotPrincipal"):
        evaluate(_policy({**_allow(), "NotPrincipal": {"AWS": "x"}}), _logs_request({}))


def test_resolver_follows_imports_joins_and_given_attributes():
    templates = {
        "A": {"Resources": {}, "Outputs": {"K": {"Value": {"Fn::GetAtt": ["Key", "Arn"]}, "Export": {"Name": "k"}}}},
        "B": {"Resources": {}},
    }
    resolver = Resolver(templates, account=ACCOUNT, region="us-east-1", attributes={("A", "Key", "Arn"): "arn:key"})
    value = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":", {"Fn::ImportValue": "k"}]]}
    assert resolver.resolve(value, "B") == "arn:aws:arn:key"
    with pytest.raises(UnsupportedPolicy, match="Fn::Select"):
        resolver.resolve({"Fn::Select": [0, ["a"]]}, "B")
