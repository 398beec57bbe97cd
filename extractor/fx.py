"""Convert amounts to yuan with the ECB reference rates bundled in `currencyconverter` (offline).

Rates are EUR based; a cross rate X→CNY is CNY/EUR ÷ X/EUR on the same day. A weekend or holiday
uses the previous business day; a date outside the data uses the nearest date that has both
rates, and the note says so. CNY is never converted.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from decimal import Decimal

from currency_converter import CurrencyConverter, RateNotFoundError  # type: ignore[import-untyped]

from extractor.money import Amount

_MAX_STEP_BACK = 14
_RATE_PLACES = Decimal("0.000001")
_MONEY_PLACES = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class CnyAmount:
    """An amount in yuan with the rate (CNY per unit of the source currency) and its ECB date."""

    value: Decimal | None
    min: Decimal | None
    max: Decimal | None
    rate: Decimal
    fx_date: datetime.date
    note: str | None


@functools.cache
def _converter() -> CurrencyConverter:
    """The ECB table, parsed once per process."""
    return CurrencyConverter(decimal=True)


def _bounds(currency: str) -> tuple[datetime.date, datetime.date]:
    c = _converter()
    first = max(c.bounds[currency].first_date, c.bounds["CNY"].first_date)
    last = min(c.bounds[currency].last_date, c.bounds["CNY"].last_date)
    return first, last


def _rate_on(currency: str, day: datetime.date) -> tuple[Decimal, datetime.date] | None:
    """The rate of `day`, or of the closest earlier business day (weekends, ECB holidays)."""
    c = _converter()
    for step in range(_MAX_STEP_BACK + 1):
        d = day - datetime.timedelta(days=step)
        try:
            return Decimal(c.convert(Decimal(1), currency, "CNY", date=d)), d
        except RateNotFoundError:
            continue
    return None


def _convert(x: Decimal | None, rate: Decimal) -> Decimal | None:
    return None if x is None else (x * rate).quantize(_MONEY_PLACES)


def cny_rate(currency: str, on: datetime.date | None) -> tuple[Decimal, datetime.date, str | None] | None:
    """CNY per 1 `currency` on `on` (None: latest), the ECB date used and a note; None if unknown."""
    c = _converter()
    if currency != "EUR" and currency not in c.currencies:
        return None
    first, last = _bounds(currency) if currency != "EUR" else _bounds("CNY")
    note = None
    if on is None:
        day, note = last, f"no event date; latest ECB rate {last.isoformat()} used"
    elif on < first or on > last:
        day = first if on < first else last
        note = f"date outside ECB data; nearest available {day.isoformat()} used"
    else:
        day = on
    found = _rate_on(currency, day)
    if found is None:
        return None
    rate, used = found
    return rate.quantize(_RATE_PLACES), used, note


def to_cny(amount: Amount, on: datetime.date | None) -> CnyAmount | None:
    """`amount` in yuan at the rate of `on`; None without a currency, a number, or a known rate."""
    if amount.currency is None or all(x is None for x in (amount.value, amount.min, amount.max)):
        return None
    if amount.currency == "CNY":
        day = on or _bounds("CNY")[1]
        return CnyAmount(amount.value, amount.min, amount.max, Decimal(1), day, None)
    found = cny_rate(amount.currency, on)
    if found is None:
        return None
    rate, used, note = found
    return CnyAmount(_convert(amount.value, rate), _convert(amount.min, rate), _convert(amount.max, rate),
                     rate, used, note)
