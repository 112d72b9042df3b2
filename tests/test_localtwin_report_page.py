"""The run report written twice from one Markdown text: report.md, and report.html with its charts inlined."""

import base64
from pathlib import Path

import pytest

from localtwin.airflow.home import DAGS_FOLDER
from localtwin.reconcile import Check, EntityCounts
from localtwin.report import DATA_DOCS_PREFIX, write_report
from localtwin.report_page import render_page

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    (tmp_path / "lineage.html").write_text("<!doctype html>")
    (tmp_path / "orders_per_day.png").write_bytes(PNG)
    return tmp_path


def _write(run_dir: Path) -> Path:
    return write_report(
        run_dir,
        origin="generated",
        entities={"orders": EntityCounts("orders", "stream", 3, 3, 0, 3, 3, "fct_orders", 3)},
        checks=[Check("orders: Bronze = Silver", 3, 3)],
        timings={"dbt build": 12.34},
        quarantined=[],
        dbt_outcome="23 built, 119 passed",
        dbt_warnings=["test.orphan: Got 2 results, configured to warn if != 0"],
        charts=[run_dir / "orders_per_day.png"],
        warehouse=run_dir / "warehouse.duckdb",
        lineage=run_dir / "lineage.html",
    )


def test_the_page_has_the_tables_and_the_charts_inline(run_dir):
    markdown = "# Run\n\n| stage | seconds |\n| --- | ---: |\n| dbt | 1.0 |\n\n![chart](orders_per_day.png)\n"
    page = render_page(markdown, run_dir)
    assert "<title>Run</title>" in page
    assert '<td style="text-align:right">1.0</td>' in page
    assert f'src="data:image/png;base64,{base64.b64encode(PNG).decode()}"' in page
    assert "orders_per_day.png" not in page


def test_text_from_the_data_is_escaped_not_markup(run_dir):
    page = render_page("| reason |\n| --- |\n| <script>alert(1)</script> value < 0 |\n", run_dir)
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_report_html_is_written_beside_report_md_from_the_same_content(run_dir):
    report = _write(run_dir)
    page = (run_dir / "report.html").read_text()
    for text in ("Rows per entity", "Reconciliation", "Timings", "12.3", "23 built, 119 passed", "test.orphan"):
        assert text in report.read_text() and text in page, text
    assert 'href="lineage.html"' in page


def test_without_data_docs_the_report_says_where_they_come_from(run_dir):
    report = _write(run_dir).read_text()
    assert "Great Expectations Data Docs: none in this run folder" in report


def test_data_docs_in_the_run_folder_are_linked(run_dir):
    site = run_dir / DATA_DOCS_PREFIX / "manual__2026-12-03T07_00_00" / "index.html"
    site.parent.mkdir(parents=True)
    site.write_text("<!doctype html>")
    page = (_write(run_dir).parent / "report.html").read_text()
    assert f'href="{DATA_DOCS_PREFIX}/manual__2026-12-03T07_00_00/index.html"' in page


def test_the_data_docs_folder_is_the_one_the_transform_dag_publishes_to(monkeypatch):
    monkeypatch.syspath_prepend(str(DAGS_FOLDER))
    from keystone_dags.quality_gate import DOCS_PREFIX

    assert DATA_DOCS_PREFIX == DOCS_PREFIX
