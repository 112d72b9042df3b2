"""What make and CI hand the app through the environment: the branch and the alert e-mail, checked up front."""

import pytest

from deployment.branch import (
    ALERT_EMAIL_VARIABLE,
    BRANCH_VARIABLE,
    ON_EXPIRY_VARIABLE,
    deploy_context,
    environment_or_exit,
)
from stacks.application import create_app
from tests.fixtures.synth import FEATURE_BRANCH, SYNTH_TIME

ALERT_EMAIL = "oncall@example.com"


def test_the_context_holds_what_is_set_and_nothing_else():
    assert deploy_context({BRANCH_VARIABLE: FEATURE_BRANCH, ALERT_EMAIL_VARIABLE: ALERT_EMAIL}) == {
        "branch": FEATURE_BRANCH,
        "alert_email": ALERT_EMAIL,
    }
    assert deploy_context({BRANCH_VARIABLE: "", ALERT_EMAIL_VARIABLE: "", ON_EXPIRY_VARIABLE: ""}) == {}
    assert deploy_context({ON_EXPIRY_VARIABLE: "pause"}) == {"on_expiry": "pause"}


def test_the_variable_reaches_the_environment_as_app_py_passes_it(tmp_path):
    # `cdk deploy -c alert_email=…` still wins: the CLI's context reaches the app as CDK_CONTEXT_JSON, which
    # aws-cdk-lib's App.loadContext applies after the context given to the constructor.
    given = deploy_context(
        {BRANCH_VARIABLE: FEATURE_BRANCH, ALERT_EMAIL_VARIABLE: ALERT_EMAIL, ON_EXPIRY_VARIABLE: "pause"}
    )
    app, environment, lakehouse = create_app(given, outdir=str(tmp_path), now=SYNTH_TIME)
    assert environment.alert_email == ALERT_EMAIL
    assert environment.on_expiry == "pause"
    # What the janitor reads on every stack (lambdas/janitor/records.py).
    assembly = app.synth()
    for stack in lakehouse.stacks:
        tags = assembly.get_stack_by_name(stack.stack_name).tags
        assert (tags["keystone:on-expiry"], tags["keystone:destroy-at"]) == ("pause", "2026-12-05T12:00:00Z")


def test_a_malformed_alert_email_stops_make_before_any_aws_call(monkeypatch, capsys):
    monkeypatch.setenv(BRANCH_VARIABLE, FEATURE_BRANCH)
    monkeypatch.setenv(ALERT_EMAIL_VARIABLE, "oncall@example")
    with pytest.raises(SystemExit) as exited:
        environment_or_exit()
    assert exited.value.code == 2
    assert capsys.readouterr().err == "error: alert_email 'oncall@example' is not an e-mail address (name@domain)\n"
