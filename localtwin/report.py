"""The run report: a Markdown page with the reconciliation, timings, quarantine and three charts, and the same
content as one self-contained `report.html` (localtwin/report_page.py)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from localtwin.reconcile import Check, EntityCounts
from localtwin.report_page import render_page
from localtwin.warehouse import Warehouse

CHARTS = {
    "orders_per_day.png": "Orders per day",
    "revenue_by_category.png": "Revenue by category (top 15)",
    "late_rate_by_state.png": "Late-delivery rate by customer state",
}
# Where the transform DAG's quality checkpoint publishes Great Expectations Data Docs when the DAGs run against the
# twin with the run folder as their artifacts location: DOCS_PREFIX/<run id>/ (dags/keystone_dags/quality_gate.py).
DATA_DOCS_PREFIX = "data-docs"


@dataclass(frozen=True)
class QuarantinedRow:
    entity: str
    source: str
    row: int
    reason: str


def draw_charts(warehouse: Warehouse, run_dir: Path) -> list[Path]:
    gold = functools.partial(warehouse.table, "gold")
    daily = warehouse.rows(f"select sales_date, orders from {gold('agg_daily_sales')} order by sales_date")
    categories = warehouse.rows(
        "select coalesce(category_name_english, 'unknown') as category, sum(price) as revenue "
        f"from {gold('fct_order_items')} group by 1 order by revenue desc limit 15"
    )
    states = warehouse.rows(
        f"select customer_state, late_rate from {gold('agg_delivery_by_state')} "
        "where late_rate is not null order by late_rate desc"
    )
    paths = []
    for file_name, title in CHARTS.items():
        figure, axes = plt.subplots(figsize=(10, 4.5))
        if file_name == "orders_per_day.png":
            axes.plot([row[0] for row in daily], [row[1] for row in daily], linewidth=1)
            axes.set_ylabel("orders")
        elif file_name == "revenue_by_category.png":
            axes.barh([row[0] for row in reversed(categories)], [float(row[1]) for row in reversed(categories)])
            axes.set_xlabel("revenue (BRL)")
        else:
            axes.bar([row[0] for row in states], [float(row[1]) for row in states])
            axes.set_ylabel("share of delivered orders that were late")
        axes.set_title(title)
        figure.tight_layout()
        path = run_dir / file_name
        figure.savefig(path, dpi=110)
        plt.close(figure)
        paths.append(path)
    return paths


def write_report(
    run_dir: Path,
    *,
    origin: str,
    entities: dict[str, EntityCounts],
    checks: list[Check],
    timings: dict[str, float],
    quarantined: list[QuarantinedRow],
    dbt_outcome: str,
    dbt_warnings: list[str],
    charts: list[Path],
    warehouse: str,
    lineage: Path,
    sections: Sequence[str] = (),
) -> Path:
    """`warehouse`: where Gold is (`Warehouse.where`); `sections`: further Markdown lines, after the timings (e.g.
    follow mode's freshness, the named queries on Athena's engine)."""
    lines = [
        "# Keystone Nexus local run",
        "",
        f"Data: {origin}.",
        "",
        f"- Warehouse: {warehouse}.",
        f"- Lineage and model docs: [{lineage.name}]({lineage.relative_to(run_dir)}) (dbt docs, opens offline).",
        f"- {_data_docs_line(run_dir)}",
        "",
        "## Rows per entity",
        "",
        "| entity | path | source | Bronze | quarantined | Bronze keys | Silver | Gold |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for counts in entities.values():
        gold = f"{counts.gold_rows} ({counts.gold_model})" if counts.gold_model else "—"
        lines.append(
            f"| {counts.entity} | {counts.path} | {counts.source_rows} | {counts.bronze_rows} | {counts.quarantined} "
            f"| {counts.bronze_keys} | {counts.silver_rows} | {gold} |"
        )
    lines += ["", "## Reconciliation", "", "| check | expected | actual | verdict |", "| --- | ---: | ---: | --- |"]
    lines += [f"| {c.name} | {c.expected} | {c.actual} | {'ok' if c.ok else '**MISMATCH**'} |" for c in checks]
    lines += ["", "## Timings", "", "| stage | seconds |", "| --- | ---: |"]
    lines += [f"| {stage} | {seconds:.1f} |" for stage, seconds in timings.items()]
    if sections:
        lines += ["", *sections]
    lines += ["", f"## Quarantined rows ({len(quarantined)})", ""]
    if quarantined:
        lines += ["| entity | source | row | reason |", "| --- | --- | ---: | --- |"]
        lines += [f"| {q.entity} | {q.source} | {q.row} | {q.reason.replace('|', '/')} |" for q in quarantined[:200]]
        if len(quarantined) > 200:
            lines.append(f"\n… and {len(quarantined) - 200} more (see the quarantine prefix in Bronze).")
    else:
        lines.append("None.")
    lines += ["", "## Data tests", "", f"`dbt build`: {dbt_outcome}.", "", f"Warnings ({len(dbt_warnings)}):", ""]
    lines += [f"- {warning}" for warning in dbt_warnings] or ["None."]
    lines += ["", "## Charts", ""]
    lines += [f"![{CHARTS[chart.name]}]({chart.name})" for chart in charts]
    markdown = "\n".join(lines) + "\n"
    report = run_dir / "report.md"
    report.write_text(markdown)
    (run_dir / "report.html").write_text(render_page(markdown, run_dir))
    return report


def _data_docs_line(run_dir: Path) -> str:
    sites = sorted(run_dir.glob(f"{DATA_DOCS_PREFIX}/*/index.html"))
    if not sites:
        return (
            "Great Expectations Data Docs: none in this run folder (the transform DAG's quality checkpoint writes "
            f"them, to `{DATA_DOCS_PREFIX}/<run id>/` when the DAGs run against the twin)."
        )
    links = ", ".join(f"[{site.parent.name}]({site.relative_to(run_dir).as_posix()})" for site in sites)
    return f"Great Expectations Data Docs: {links}."
