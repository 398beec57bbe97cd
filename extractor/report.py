"""Analytics over the events table: yuan figures, totals by period (formatting lives here too)."""

from __future__ import annotations

from typing import Any


def format_cny(row: dict[str, Any]) -> str:
    """A yuan amount for people: 1.2亿 / 3500万 style, bounds as ≥/≤, '-' when none."""
    value, low, high = row.get("amount_cny"), row.get("amount_cny_min"), row.get("amount_cny_max")
    if value is not None:
        return _yuan(value)
    if low is not None and high is not None:
        return f"{_yuan(low)}–{_yuan(high)}"
    if low is not None:
        return f"≥{_yuan(low)}"
    if high is not None:
        return f"≤{_yuan(high)}"
    return "-"


def _yuan(value: float) -> str:
    if value >= 1e8:
        return f"¥{value / 1e8:.2f}亿"
    if value >= 1e4:
        return f"¥{value / 1e4:.0f}万"
    return f"¥{value:.0f}"
