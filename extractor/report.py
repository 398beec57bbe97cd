"""Analytics over events: yuan totals by period, growth, rounds, top raises, sectors. Pure functions.

Counting rule for amounts (printed with every report): an event counts at its yuan amount; a
vague or bounded amount counts at its **lower bound** (数千万元 -> 1000万, "more than $100M" ->
$100M); an undisclosed amount counts as an event but adds nothing to the totals.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COUNTING_RULE = ("amounts in yuan at the event date's ECB rate; vague or bounded amounts count at their lower "
                 "bound; undisclosed amounts count as events but add nothing")
SECTORS_FILE = Path(__file__).resolve().parent / "sectors.toml"


@dataclass(frozen=True, slots=True)
class Sector:
    name: str
    keywords: tuple[str, ...]


@dataclass(slots=True)
class Report:
    """The figures of one report."""

    period: str
    rule: str = COUNTING_RULE
    totals: list[dict[str, Any]] = field(default_factory=list)  # period, events, cny, qoq/yoy growth
    by_round: list[dict[str, Any]] = field(default_factory=list)
    by_sector: list[dict[str, Any]] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)


def load_sectors(path: Path | None = None) -> list[Sector]:
    """The keyword taxonomy (the shipped `sectors.toml`, or an edited copy)."""
    data = tomllib.loads((path or SECTORS_FILE).read_text(encoding="utf-8"))
    return [Sector(name, tuple(k.casefold() for k in table["keywords"])) for name, table in data.items()]


def sector_of(text: str, sectors: Sequence[Sector]) -> str:
    """The sector whose keywords occur most often in the text; 'other' when none does."""
    folded = text.casefold()
    best, best_hits = "other", 0
    for sector in sectors:
        hits = sum(folded.count(k) for k in sector.keywords)
        if hits > best_hits:
            best, best_hits = sector.name, hits
    return best


def counted_cny(event: dict[str, Any]) -> float:
    """The yuan an event adds to a total, by COUNTING_RULE."""
    value = event.get("amount_cny")
    if value is None:
        value = event.get("amount_cny_min")
    return float(value or 0.0)


def period_of(day: str, period: str) -> str:
    date = dt.date.fromisoformat(day[:10])
    if period == "month":
        return f"{date.year}-{date.month:02d}"
    if period == "quarter":
        return f"{date.year}-Q{(date.month - 1) // 3 + 1}"
    return str(date.year)


def _shift(label: str, period: str, back: int) -> str:
    """The label `back` periods earlier (back=1: previous; back=4 quarters / 12 months: a year ago)."""
    if period == "year":
        return str(int(label) - back)
    year, part = label.split("-")
    n = int(part.lstrip("Q"))
    per_year = 4 if period == "quarter" else 12
    index = int(year) * per_year + n - 1 - back
    y, i = divmod(index, per_year)
    return f"{y}-Q{i + 1}" if period == "quarter" else f"{y}-{i + 1:02d}"


def _growth(now: float, before: float | None) -> float | None:
    return None if not before else round((now - before) / before * 100, 1)


def build_report(events: Iterable[dict[str, Any]], *, period: str = "quarter", top_n: int = 10,
                 sectors: Sequence[Sector] = ()) -> Report:
    """Aggregate dated events (each with `date`, `company`, `round`, amounts and `text` for sectors)."""
    rows = [e for e in events if e.get("date")]
    report = Report(period=period)
    totals: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    rounds: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    by_sector: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for event in rows:
        cny = counted_cny(event)
        label = period_of(event["date"], period)
        totals[label][0] += 1
        totals[label][1] += cny
        rounds[event.get("round") or "unnamed"][0] += 1
        rounds[event.get("round") or "unnamed"][1] += cny
        sector = event.get("sector") or (sector_of(event.get("text") or "", sectors) if sectors else "other")
        event["sector"] = sector
        by_sector[sector][0] += 1
        by_sector[sector][1] += cny
    year_back = {"quarter": 4, "month": 12, "year": 1}[period]
    for label in sorted(totals):
        count, cny = totals[label]
        previous = totals.get(_shift(label, period, 1))
        year_ago = totals.get(_shift(label, period, year_back))
        report.totals.append({"period": label, "events": int(count), "cny": cny,
                              "growth_pct": _growth(cny, previous[1] if previous else None),
                              "yoy_pct": _growth(cny, year_ago[1] if year_ago else None)})
    report.by_round = [{"round": r, "events": int(c), "cny": v} for r, (c, v) in
                       sorted(rounds.items(), key=lambda kv: -kv[1][1])]
    report.by_sector = [{"sector": s, "events": int(c), "cny": v} for s, (c, v) in
                        sorted(by_sector.items(), key=lambda kv: -kv[1][1])]
    ranked = sorted(rows, key=counted_cny, reverse=True)[:top_n]
    report.top = [{"date": e["date"], "company": e["company"], "round": e.get("round"),
                   "amount_text": e.get("amount_text"), "cny": counted_cny(e), "sector": e.get("sector")}
                  for e in ranked]
    report.statements = _statements(report, rows, period)
    return report


def _statements(report: Report, rows: list[dict[str, Any]], period: str) -> list[str]:
    """Sentences of the kind market reports quote, from the figures."""
    out = []
    for row in report.totals[-4:]:
        growth = [f"{row['yoy_pct']:+.1f}% year on year" if row["yoy_pct"] is not None else "",
                  f"{row['growth_pct']:+.1f}% on the previous {period}" if row["growth_pct"] is not None else ""]
        extra = ", ".join(g for g in growth if g)
        out.append(f"{row['period']}: {row['events']} funding events, {yuan_words(row['cny'])}"
                   + (f" ({extra})" if extra else "") + ".")
    if report.totals:
        last = report.totals[-1]["period"]
        biggest = sorted((e for e in rows if period_of(e["date"], period) == last), key=counted_cny, reverse=True)[:3]
        if biggest:
            out.append(f"The largest raises of {last}: " + "; ".join(
                f"{e['company']} ({e.get('amount_text') or yuan_words(counted_cny(e))}, round {e.get('round') or '?'})"
                for e in biggest) + ".")
    return out


def yuan_words(value: float) -> str:
    """1.1e11 -> '110.0 billion yuan' (English, as the seed reports write it)."""
    if value >= 1e9:
        return f"{value / 1e9:.1f} billion yuan"
    if value >= 1e6:
        return f"{value / 1e6:.1f} million yuan"
    return f"{value:,.0f} yuan"


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


def to_markdown(report: Report) -> str:
    lines = [f"# Funding report (by {report.period})", "", f"Counting rule: {report.rule}.", ""]
    lines += [f"- {s}" for s in report.statements] + [""]
    lines += [f"## Totals by {report.period}", "", f"| {report.period} | events | yuan | vs previous | year on year |",
              "|---|---|---|---|---|"]
    lines += [f"| {r['period']} | {r['events']} | {yuan_words(r['cny'])} | {_pct(r['growth_pct'])} | "
              f"{_pct(r['yoy_pct'])} |" for r in report.totals]
    lines += ["", "## By round", "", "| round | events | yuan |", "|---|---|---|"]
    lines += [f"| {r['round']} | {r['events']} | {yuan_words(r['cny'])} |" for r in report.by_round]
    lines += ["", "## By sector", "", "| sector | events | yuan |", "|---|---|---|"]
    lines += [f"| {r['sector']} | {r['events']} | {yuan_words(r['cny'])} |" for r in report.by_sector]
    lines += ["", "## Largest raises", "", "| date | company | round | amount | yuan | sector |", "|---|---|---|---|---|---|"]
    lines += [f"| {r['date']} | {r['company']} | {r['round'] or '-'} | {r['amount_text'] or '-'} | "
              f"{yuan_words(r['cny'])} | {r['sector']} |" for r in report.top]
    return "\n".join(lines) + "\n"


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:+.1f}%"
