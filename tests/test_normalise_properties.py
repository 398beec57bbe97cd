"""Properties: the parsers never raise, never backtrack catastrophically, and round-trip numbers."""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.companies import company_core, company_key, find_alias_pairs, same_company
from extractor.dates import find_dates, resolve_date
from extractor.money import find_amounts, parse_amount
from extractor.rounds import canonical_round, find_rounds

PUB = datetime.date(2024, 5, 22)
ALPHABET = st.sampled_from(list("0123456789０１２.,，-~$¥€£₹万亿千百十数约超余多元美轮年月日号周天AaBbCc+＋ 　()（）“”"
                                "SeriesseedangelmillionbnRscroreundisclosed未披露以下简称formerly"))
MIXED = st.one_of(st.text(max_size=200), st.text(alphabet=ALPHABET, max_size=200))


@settings(max_examples=300, deadline=None)
@given(MIXED)
def test_finders_never_raise_and_spans_are_exact(text: str) -> None:
    for a in find_amounts(text):
        assert text[a.start:a.end] == a.text
    for r in find_rounds(text):
        assert text[r.start:r.end] == r.text
    for d in find_dates(text, PUB):
        assert text[d.start:d.end] == d.text
    for p in find_alias_pairs(text):
        assert 0 <= p.start < p.end <= len(text)


@settings(max_examples=300, deadline=None)
@given(MIXED)
def test_whole_string_parsers_never_raise(text: str) -> None:
    parse_amount(text)
    parse_amount(text, default_currency="USD")
    canonical_round(text)
    resolve_date(text, PUB)
    resolve_date(text, None)
    company_key(text)
    company_core(text)
    same_company(text, text[::-1])


ADVERSARIAL = [
    "9" * 10_000, "万" * 10_000, "$" * 10_000, "$$$1" * 2_500, "1," * 5_000, "数千万" * 3_300,
    "约超近" * 3_300, "1-" * 5_000, "Series " * 1_400, "A轮" * 5_000, "2024年" * 2_000, "5月" * 5_000,
    "（" * 5_000 + "A" * 5_000, "月之暗面（" * 2_000, "more than " * 1_000, "$1 million to " * 700,
    "1.1.1.1." * 1_250, "，。、；" * 2_500, "１２３４５６７８９０" * 1_000, "Rs. " * 2_500, "undisclosed " * 800,
    "Monday " * 1_400, "以下简称“" * 2_000,
]
FINDERS: list[tuple[str, Callable[[str], object]]] = [
    ("find_amounts", find_amounts), ("find_rounds", find_rounds),
    ("find_dates", lambda t: find_dates(t, PUB)), ("find_alias_pairs", find_alias_pairs),
    ("parse_amount", parse_amount), ("canonical_round", canonical_round), ("company_key", company_key),
]


@pytest.mark.parametrize("name_fn", FINDERS, ids=[n for n, _ in FINDERS])
@pytest.mark.parametrize("text", ADVERSARIAL, ids=[f"adv{i}" for i in range(len(ADVERSARIAL))])
def test_no_catastrophic_backtracking(name_fn: tuple[str, Callable[[str], object]], text: str) -> None:
    # A generous bound: a guard against exponential regex behaviour, not a benchmark (see bench/).
    _, fn = name_fn
    t0 = time.perf_counter()
    fn(text[:10_240])
    assert time.perf_counter() - t0 < 0.5


AMOUNTS = st.decimals(min_value=1, max_value=10**12, places=0, allow_nan=False, allow_infinity=False)


@given(AMOUNTS)
def test_round_trip_thousands_separators(v: Decimal) -> None:
    a = parse_amount(f"${v:,}")
    assert a is not None and (a.value, a.currency) == (v, "USD")


@given(st.integers(min_value=1, max_value=99_999_999))
def test_round_trip_wan(n: int) -> None:
    a = parse_amount(f"{n}万元")
    assert a is not None and a.value == n * 10_000 and a.currency == "CNY"


@given(st.integers(min_value=1, max_value=9_999_999), st.integers(min_value=0, max_value=99))
def test_round_trip_yi_with_decimals(n: int, frac: int) -> None:
    text = f"{n}.{frac:02d}亿美元"
    a = parse_amount(text)
    assert a is not None and a.value == Decimal(f"{n}.{frac:02d}") * 100_000_000 and a.currency == "USD"


@given(st.decimals(min_value=Decimal("0.1"), max_value=Decimal(999), places=1))
def test_round_trip_million(v: Decimal) -> None:
    a = parse_amount(f"${v} million")
    assert a is not None and a.value == v * 1_000_000


@given(st.integers(min_value=1, max_value=99), st.integers(min_value=0, max_value=99))
def test_round_trip_indian_grouping(crore: int, lakh: int) -> None:
    v = crore * 10_000_000 + lakh * 100_000
    text = f"{crore},{lakh:02d},00,000"
    a = parse_amount(text, default_currency="INR")
    assert a is not None and a.value == v


@given(st.integers(min_value=1, max_value=9999))
def test_chinese_numerals_round_trip(n: int) -> None:
    digits = "零一二三四五六七八九"
    units = ["", "十", "百", "千"]
    parts = []
    s = str(n)
    for i, ch in enumerate(s):
        d = int(ch)
        unit = units[len(s) - 1 - i]
        if d:
            parts.append(digits[d] + unit)
        elif parts and not parts[-1].startswith("零"):
            parts.append("零")
    written = "".join(parts).rstrip("零")
    a = parse_amount(f"{written}万元")
    assert a is not None and a.value == n * 10_000
