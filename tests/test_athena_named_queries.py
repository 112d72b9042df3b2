"""A named query of the Catalog stack that Athena's engine cannot run fails the twin's run, naming the query."""

import copy

import pytest

from localtwin.athena import CatalogStack, NamedQueryFailed, run_named_queries

pytestmark = pytest.mark.slow


def test_a_named_query_that_does_not_parse_fails_with_its_name(local_engines, main_env):
    template = copy.deepcopy(main_env.template("Catalog").to_json())
    query = next(r for r in template["Resources"].values() if r["Type"] == "AWS::Athena::NamedQuery")
    query["Properties"]["QueryString"] = "select customer_state, count(*) from fct_orders group customer_state"
    with pytest.raises(NamedQueryFailed, match=f"named query {query['Properties']['Name']} failed on Trino: .*SYNTAX"):
        run_named_queries(local_engines.start_trino(), CatalogStack(main_env.environment, template))
