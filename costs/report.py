"""The estimate as a table for people (terminal, CI log, PR comment)."""

from __future__ import annotations

from costs.estimate import EPHEMERAL_TARGET_USD_PER_HOUR, Estimate
from costs.prices import PRICE_TABLE_DATE


def render(estimate: Estimate) -> str:
    rows = [("stack", "item", "quantity", "unit price (USD)", "USD/hour", "USD/month")]
    for item in sorted(estimate.items, key=lambda i: (i.stack, -i.usd_per_hour, i.item)):
        marker = "~" if item.unit_price.confidence == "approx" else ""
        rows.append(
            (
                item.stack,
                item.item,
                f"{_quantity(item.quantity)} {item.quantity_unit}",
                f"{marker}{item.unit_price.usd:g} / {item.unit_price.unit}",
                f"{item.usd_per_hour:.4f}",
                f"{item.usd_per_month:,.2f}",
            )
        )
    rows.append(("TOTAL", "", "", "", f"{estimate.usd_per_hour:.4f}", f"{estimate.usd_per_month:,.2f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    right = {2, 4, 5}

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(w) if i in right else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        return "  ".join(cells).rstrip()

    out = [
        f"Cost estimate: environment {estimate.environment} ({estimate.profile}), prices for {estimate.region}",
        f"Price table costs/prices.py dated {PRICE_TABLE_DATE}: list prices to re-check before relying on them"
        + ("; ~ marks a regional approximation" if estimate.has_approximate_prices else ""),
        "Usage-based items use the profile's assumptions in costs/assumptions.py; data transfer is not included.",
        "",
        line(rows[0]),
        line(tuple("-" * w for w in widths)),
        *(line(row) for row in rows[1:-1]),
        line(tuple("-" * w for w in widths)),
        line(rows[-1]),
    ]
    if estimate.profile == "ephemeral":
        verdict = "within" if estimate.usd_per_hour <= EPHEMERAL_TARGET_USD_PER_HOUR else "OVER"
        out.append(
            f"\nEphemeral target: <= {EPHEMERAL_TARGET_USD_PER_HOUR:.2f} USD/hour while it runs: "
            f"{verdict} ({estimate.usd_per_hour:.4f})"
        )
    if estimate.unpriced:
        listed = ", ".join(f"{kind} x{count}" for kind, count in estimate.unpriced.items())
        out.append(f"\nNot priced (free, or usage-based and negligible at these assumptions): {listed}")
    return "\n".join(out)


def _quantity(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
