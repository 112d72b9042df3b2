"""summary.json's numbers: every Gold table, every numeric column, integers exact and fractions rounded."""

import duckdb

from localtwin.summary import gold_summary
from localtwin.warehouse import Warehouse


def test_the_summary_sums_numeric_columns_of_every_gold_table_only():
    warehouse = duckdb.connect()
    warehouse.execute("create schema gold; create schema silver")
    warehouse.execute(
        "create table gold.facts as select * from (values "
        "(1, 2.50::decimal(12,2), 0.1::double, 'a', true), (2, 1.25::decimal(12,2), 0.2::double, 'b', false)"
        ") as t(n, amount, ratio, label, flag)"
    )
    warehouse.execute("create table gold.empty (id varchar, total bigint)")
    warehouse.execute("create table silver.other as select 1 as n")

    summary = gold_summary(Warehouse("duckdb", warehouse, {"silver": "silver", "gold": "gold"}, "in memory"))

    assert summary == {
        "engine": "duckdb",
        "gold": {
            "empty": {"rows": 0, "sums": {"total": None}},
            "facts": {"rows": 2, "sums": {"n": 3, "amount": 3.75, "ratio": 0.3}},
        },
    }
