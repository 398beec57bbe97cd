"""The extractor's records: an article in, funding events out (DESIGN.md's batch contract)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """How firmly the article states the round."""

    CLOSED = "closed"
    ANNOUNCED = "announced"
    PLANNED = "planned"
    REPORTED = "reported"


@dataclass(frozen=True, slots=True)
class Article:
    """One article as the extractor sees it. `published` is the base for relative dates."""

    id: str
    text: str
    title: str | None = None
    published: dt.date | None = None
    lang: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class FundingEvent:
    """One funding event as one article states it (a *mention* once stored)."""

    company: str
    company_aliases: tuple[str, ...] = ()
    round: str | None = None
    round_text: str | None = None
    amount: Decimal | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    currency: str | None = None
    amount_text: str | None = None
    undisclosed: bool = False
    amount_cny: Decimal | None = None
    amount_cny_min: Decimal | None = None
    amount_cny_max: Decimal | None = None
    fx_rate: Decimal | None = None
    fx_date: dt.date | None = None
    date: dt.date | None = None
    date_precision: str | None = None
    lead_investors: tuple[str, ...] = ()
    investors: tuple[str, ...] = ()
    is_current: bool = True
    status: Status = Status.ANNOUNCED
    evidence: str = ""
    confidence: float = 0.5
    spans: dict[str, tuple[int, int]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The contract's JSON object (numbers as JSON numbers, dates as ISO strings)."""
        return {
            "company": self.company,
            "company_aliases": list(self.company_aliases),
            "round": self.round,
            "round_text": self.round_text,
            "amount": _num(self.amount),
            "amount_min": _num(self.amount_min),
            "amount_max": _num(self.amount_max),
            "currency": self.currency,
            "amount_text": self.amount_text,
            "amount_undisclosed": self.undisclosed,
            "amount_cny": _num(self.amount_cny),
            "amount_cny_min": _num(self.amount_cny_min),
            "amount_cny_max": _num(self.amount_cny_max),
            "fx_rate": _num(self.fx_rate),
            "fx_date": self.fx_date.isoformat() if self.fx_date else None,
            "date": self.date.isoformat() if self.date else None,
            "date_precision": self.date_precision,
            "lead_investors": list(self.lead_investors),
            "investors": list(self.investors),
            "is_current": self.is_current,
            "status": str(self.status),
            "evidence": self.evidence,
            "confidence": round(self.confidence, 3),
        }


def _num(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def parse_published(value: object) -> dt.date | None:
    """`YYYY-MM-DD` or an ISO datetime (with or without offset) -> its date; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        return dt.datetime.fromisoformat(text).date()
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None
