"""Yuan conversion with the bundled ECB rates."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from extractor.fx import to_cny
from extractor.money import Amount, Qualifier, parse_amount

FRIDAY = datetime.date(2024, 5, 17)


def _amount(text: str) -> Amount:
    a = parse_amount(text)
    assert a is not None
    return a


# (amount, event date) → ECB date used
DATE_CASES = [
    ("$10 million", datetime.date(2024, 5, 17), datetime.date(2024, 5, 17)),  # business day
    ("$10 million", datetime.date(2024, 5, 18), datetime.date(2024, 5, 17)),  # Saturday
    ("$10 million", datetime.date(2024, 5, 19), datetime.date(2024, 5, 17)),  # Sunday
    ("€5m", datetime.date(2024, 12, 25), datetime.date(2024, 12, 24)),        # TARGET holiday
    ("$1M", datetime.date(2024, 1, 1), datetime.date(2023, 12, 29)),          # New Year
    ("1亿日元", datetime.date(2016, 10, 26), datetime.date(2016, 10, 26)),
]


@pytest.mark.parametrize(("text", "on", "used"), DATE_CASES)
def test_weekends_and_holidays_use_the_previous_business_day(text: str, on: datetime.date,
                                                            used: datetime.date) -> None:
    c = to_cny(_amount(text), on)
    assert c is not None and c.fx_date == used and c.note is None


def test_usd_rate_is_plausible_and_applied() -> None:
    c = to_cny(_amount("$10 million"), FRIDAY)
    assert c is not None
    assert Decimal("7.0") < c.rate < Decimal("7.4")
    assert c.value == (Decimal(10_000_000) * c.rate).quantize(Decimal("0.01"))


def test_cny_is_never_converted() -> None:
    c = to_cny(_amount("5000万元"), FRIDAY)
    assert c is not None and (c.value, c.rate, c.fx_date) == (Decimal(50_000_000), Decimal(1), FRIDAY)


def test_bounds_convert_too() -> None:
    c = to_cny(_amount("数千万美元"), FRIDAY)
    assert c is not None and c.value is None and c.min is not None and c.max is not None
    assert c.max == (c.min * 10).quantize(Decimal("0.01"))


def test_cross_rate_via_eur() -> None:
    usd, eur = to_cny(_amount("$1M"), FRIDAY), to_cny(_amount("€1m"), FRIDAY)
    assert usd is not None and eur is not None and eur.rate > usd.rate


@pytest.mark.parametrize("on", [datetime.date(1998, 6, 1), datetime.date(2100, 1, 1)])
def test_outside_the_data_uses_the_nearest_date_and_says_so(on: datetime.date) -> None:
    c = to_cny(_amount("$1M"), on)
    assert c is not None and c.note is not None and "nearest available" in c.note
    assert c.note.endswith(f"{c.fx_date.isoformat()} used")


def test_no_date_uses_the_latest_rate_with_a_note() -> None:
    c = to_cny(_amount("$1M"), None)
    assert c is not None and c.note is not None and "latest" in c.note


@pytest.mark.parametrize("text", ["undisclosed", "20,00,00,000", "1亿新台币"])
def test_nothing_to_convert(text: str) -> None:
    assert to_cny(_amount(text), FRIDAY) is None


def test_unknown_currency_code() -> None:
    a = Amount("100 XYZ", Decimal(100), None, None, "XYZ", Qualifier.EXACT)
    assert to_cny(a, FRIDAY) is None
