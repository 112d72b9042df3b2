"""What `make run` prints at the end: one screen, mismatches spelled out, dbt's outcome in words, the report last."""

from collections import Counter
from pathlib import Path

from localtwin.__main__ import summary
from localtwin.pipeline import RunResult
from localtwin.reconcile import Check, EntityCounts
from localtwin.transform import DbtResult


def _result(checks: list[Check]) -> RunResult:
    orders = EntityCounts("orders", "stream", 10, 9, 1, 9, 9, "fct_orders", 9)
    return RunResult(Path("run"), Path("run/report.md"), Path("run/warehouse.duckdb"), {"orders": orders}, checks)


def test_a_clean_run_says_how_many_checks_passed_and_ends_with_the_report():
    text = summary(_result([Check("a", 1, 1), Check("b", 2, 2)]))
    assert "reconciliation: 2 of 2 checks ok" in text
    assert "[ok]" not in text
    assert text.splitlines()[-1] == "report: run/report.html (open in a browser; Markdown: report.md)"


def test_a_mismatch_is_listed_with_what_was_expected():
    text = summary(_result([Check("a", 1, 1), Check("orders: silver rows = keys", 9, 8)]))
    assert "reconciliation: 1 of 2 checks ok" in text
    assert "[MISMATCH] orders: silver rows = keys: expected 9, got 8" in text


def test_dbts_outcome_is_one_line_of_words():
    result = DbtResult(Counter({"success": 23, "pass": 119, "warn": 1}), ["w"], Path("dbt.log"))
    assert result.render() == "dbt build: 23 built, 119 passed, 1 warned (report.md lists the warnings)"
    assert DbtResult(Counter(), [], Path("dbt.log")).render() == "dbt build: nothing to do"


def test_the_lambdas_json_lines_go_to_the_run_folder_not_the_console(tmp_path, capsys):
    from lambdas.ingestion.logs import logger
    from lambdas.logs import written_to

    level = logger.log_level  # another test's CLI run may have left the shared logger at WARNING
    logger.setLevel("INFO")
    try:
        with written_to(tmp_path / "lambdas.log"):
            logger.info("file_ingested", extra={"table": "orders"})
        logger.info("after_the_run")
    finally:
        logger.setLevel(level)
    (line,) = (tmp_path / "lambdas.log").read_text().splitlines()
    assert '"message":"file_ingested"' in line and '"table":"orders"' in line
    console = capsys.readouterr().err
    assert "file_ingested" not in console and "after_the_run" in console
