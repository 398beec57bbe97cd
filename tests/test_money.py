"""Amounts as Chinese and English news write them."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest

from extractor.money import Qualifier, find_amounts, fold_text, parse_amount

E, AP, LB, UB, R, V, U = (Qualifier.EXACT, Qualifier.APPROXIMATE, Qualifier.LOWER_BOUND,
                          Qualifier.UPPER_BOUND, Qualifier.RANGE, Qualifier.VAGUE, Qualifier.UNDISCLOSED)

# text → (value, min, max, currency, qualifier)
PARSE_CASES: list[tuple[str, tuple[str | None, str | None, str | None, str | None, Qualifier]]] = [
    ("2.5亿美元", ("250000000", None, None, "USD", E)),
    ("数千万元", (None, "10000000", "100000000", "CNY", V)),
    ("数百万美元", (None, "1000000", "10000000", "USD", V)),
    ("数亿元", (None, "100000000", "1000000000", "CNY", V)),
    ("数十亿美元", (None, "1000000000", "10000000000", "USD", V)),
    ("几千万人民币", (None, "10000000", "100000000", "CNY", V)),
    ("千万级", (None, "10000000", "100000000", "CNY", V)),
    ("亿元级", (None, "100000000", "1000000000", "CNY", V)),
    ("千万元级", (None, "10000000", "100000000", "CNY", V)),
    ("近亿元", ("100000000", None, None, "CNY", AP)),
    ("约2亿元人民币", ("200000000", None, None, "CNY", AP)),
    ("将近5000万美元", ("50000000", None, None, "USD", AP)),
    ("接近1亿美元", ("100000000", None, None, "USD", AP)),
    ("3000万元左右", ("30000000", None, None, "CNY", AP)),
    ("超1亿元", ("100000000", "100000000", None, "CNY", LB)),
    ("超过2.9亿美元", ("290000000", "290000000", None, "USD", LB)),
    ("逾10亿元", ("1000000000", "1000000000", None, "CNY", LB)),
    ("过亿", ("100000000", "100000000", None, "CNY", LB)),
    ("上亿元", ("100000000", "100000000", None, "CNY", LB)),
    ("1000余万元", ("10000000", "10000000", None, "CNY", LB)),
    ("2亿多元", ("200000000", "200000000", None, "CNY", LB)),
    ("1亿元以上", ("100000000", "100000000", None, "CNY", LB)),
    ("不超过5000万元", ("50000000", None, "50000000", "CNY", UB)),
    ("最高10亿美元", ("1000000000", None, "1000000000", "USD", UB)),
    ("1-2亿元", (None, "100000000", "200000000", "CNY", R)),
    ("3000万至5000万元", (None, "30000000", "50000000", "CNY", R)),
    ("5000万~1亿美元", (None, "50000000", "100000000", "USD", R)),
    ("8,000万元", ("80000000", None, None, "CNY", E)),
    ("６０亿元人民币", ("6000000000", None, None, "CNY", E)),
    ("２．５亿美元", ("250000000", None, None, "USD", E)),
    ("250 万美元", ("2500000", None, None, "USD", E)),
    ("三千万", ("30000000", None, None, "CNY", E)),
    ("两亿元", ("200000000", None, None, "CNY", E)),
    ("十亿美元", ("1000000000", None, None, "USD", AP)),
    ("1.5万亿元", ("1500000000000", None, None, "CNY", E)),
    ("1亿2000万元", ("120000000", None, None, "CNY", E)),
    ("220万零五千美金", ("2205000", None, None, "USD", E)),
    ("一百二十万元", ("1200000", None, None, "CNY", E)),
    ("千万美金", ("10000000", None, None, "USD", AP)),
    ("7200万", ("72000000", None, None, "CNY", E)),
    ("人民币5000万元", ("50000000", None, None, "CNY", E)),
    ("1.3亿港币", ("130000000", None, None, "HKD", E)),
    ("108亿港元", ("10800000000", None, None, "HKD", E)),
    ("1.75亿欧元", ("175000000", None, None, "EUR", E)),
    ("500万英镑", ("5000000", None, None, "GBP", E)),
    ("10亿日元", ("1000000000", None, None, "JPY", E)),
    ("50亿韩元", ("5000000000", None, None, "KRW", E)),
    ("4.5亿卢比", ("450000000", None, None, "INR", E)),
    ("2000万新加坡元", ("20000000", None, None, "SGD", E)),
    ("300万澳元", ("3000000", None, None, "AUD", E)),
    ("¥5000万", ("50000000", None, None, "CNY", E)),
    ("$1.2B", ("1200000000", None, None, "USD", E)),
    ("$8.5 million", ("8500000", None, None, "USD", E)),
    ("$5M", ("5000000", None, None, "USD", E)),
    ("US$30m", ("30000000", None, None, "USD", E)),
    ("US$ 30 million", ("30000000", None, None, "USD", E)),
    ("HK$10 million", ("10000000", None, None, "HKD", E)),
    ("S$5m", ("5000000", None, None, "SGD", E)),
    ("A$20 million", ("20000000", None, None, "AUD", E)),
    ("C$7.5 million", ("7500000", None, None, "CAD", E)),
    ("€3m", ("3000000", None, None, "EUR", E)),
    ("€1.5bn", ("1500000000", None, None, "EUR", E)),
    ("£2.5 million", ("2500000", None, None, "GBP", E)),
    ("Rs 20 crore", ("200000000", None, None, "INR", E)),
    ("Rs. 1,500 crore", ("15000000000", None, None, "INR", E)),
    ("₹5 lakh", ("500000", None, None, "INR", E)),
    ("INR 50 crore", ("500000000", None, None, "INR", E)),
    ("USD 5 million", ("5000000", None, None, "USD", E)),
    ("10 million euros", ("10000000", None, None, "EUR", E)),
    ("1.5 billion yuan", ("1500000000", None, None, "CNY", E)),
    ("RMB 100 million", ("100000000", None, None, "CNY", E)),
    ("20 billion won", ("20000000000", None, None, "KRW", E)),
    ("$500K", ("500000", None, None, "USD", E)),
    ("$5,000,000", ("5000000", None, None, "USD", E)),
    ("$10-15 million", (None, "10000000", "15000000", "USD", R)),
    ("$10 million to $15 million", (None, "10000000", "15000000", "USD", R)),
    ("more than $100M", ("100000000", "100000000", None, "USD", LB)),
    ("over $50 million", ("50000000", "50000000", None, "USD", LB)),
    ("at least $2 million", ("2000000", "2000000", None, "USD", LB)),
    ("up to $50 million", ("50000000", None, "50000000", "USD", UB)),
    ("nearly $1 billion", ("1000000000", None, None, "USD", AP)),
    ("about $20 million", ("20000000", None, None, "USD", AP)),
    ("tens of millions of dollars", (None, "10000000", "100000000", "USD", V)),
    ("hundreds of millions of dollars", (None, "100000000", "1000000000", "USD", V)),
    ("several million dollars", (None, "1000000", "10000000", "USD", V)),
    ("20,00,00,000", ("200000000", None, None, None, E)),
    ("14,342,000+", ("14342000", "14342000", None, None, LB)),
    ("undisclosed", (None, None, None, None, U)),
    ("Undisclosed amount", (None, None, None, None, U)),
    ("未透露", (None, None, None, None, U)),
    ("未披露", (None, None, None, None, U)),
    ("金额未披露", (None, None, None, None, U)),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse_amount(text: str, expected: tuple[str | None, str | None, str | None, str | None, Qualifier]) -> None:
    a = parse_amount(text)
    assert a is not None
    value, low, high, currency, qualifier = expected
    got = (a.value, a.min, a.max, a.currency, a.qualifier)
    want = tuple(Decimal(x) if isinstance(x, str) and x[0].isdigit() else x
                 for x in (value, low, high)) + (currency, qualifier)
    assert got == want
    assert (a.text, a.start, a.end) == (text, 0, len(text))


@pytest.mark.parametrize("text", ["N/A", "", "   ", "hello", "A轮", "Series B", "2024年5月20日", "3000名员工"])
def test_parse_amount_rejects_non_amounts(text: str) -> None:
    assert parse_amount(text) is None


def test_plain_number_takes_the_default_currency() -> None:
    a = parse_amount("6850000", default_currency="USD")
    assert a is not None and (a.value, a.currency) == (Decimal(6850000), "USD")


def test_yen_sign_is_jpy_when_asked() -> None:
    a = parse_amount("¥1.5 billion", default_currency="JPY")
    assert a is not None and a.currency == "JPY"


# running text → [(amount as written, currency)]
FIND_CASES: list[tuple[str, list[tuple[str, str | None]]]] = [
    ("ToF芯片商聚芯微电子宣布完成数千万元A轮融资，此前已累计融资4000万元。",
     [("数千万元", "CNY"), ("4000万元", "CNY")]),
    ("该公司近日获得1.5亿A轮融资，由红杉中国领投。", [("1.5亿", "CNY")]),
    ("此前曾获得千万级Pre-A轮融资。", [("千万级", "CNY")]),
    ("本轮融资10亿人民币（约1.5亿美元），为C轮。", [("10亿人民币", "CNY"), ("约1.5亿美元", "USD")]),
    ("宣布完成7.5亿欧元（约8.72亿美元）融资", [("7.5亿欧元", "EUR"), ("约8.72亿美元", "USD")]),
    ("本轮融资金额未披露，投资方为腾讯。", [("融资金额未披露", None)]),
    ("公司未透露具体融资金额。", [("未透露具体融资金额", None)]),
    ("平台拥有3亿活跃用户，日均600万次调用，员工3000名，成立于2019年，增长20%。", []),
    ("热线电话400-820-8820，门店1200家。", []),
    ("本轮融资金额为1，500万元，资金将用于研发。", [("1，500万元", "CNY")]),
    ("获得超过6400万美元投资", [("超过6400万美元", "USD")]),
    ("完成近3000万元Pre-A轮融资", [("近3000万元", "CNY")]),
    ("NYC-based GreenLiteraised a $28.5 million Series B, bringing its total to $50M.",
     [("$28.5 million", "USD"), ("$50M", "USD")]),
    ("The startup raised an undisclosed amount from angel investors.", [("undisclosed amount", None)]),
    ("The Bengaluru-based company raised Rs 20 crore ($2.4 million) in a seed round.",
     [("Rs 20 crore", "INR"), ("$2.4 million", "USD")]),
    ("Founded in 2019, the company has 200 employees and grew revenue 300% last year.", []),
    ("SoftBank led a ¥15 billion round in the Tokyo startup.", [("¥15 billion", "JPY")]),
    ("The fintech raised €12m in a round led by Index Ventures.", [("€12m", "EUR")]),
    ("It is valued at more than $1 billion after raising $100 million.",
     [("more than $1 billion", "USD"), ("$100 million", "USD")]),
    ("The company raised tens of millions of dollars in Series C funding.",
     [("tens of millions of dollars", "USD")]),
]


@pytest.mark.parametrize(("text", "expected"), FIND_CASES)
def test_find_amounts(text: str, expected: list[tuple[str, str | None]]) -> None:
    found = find_amounts(text)
    assert [(a.text, a.currency) for a in found] == expected
    for a in found:
        assert text[a.start:a.end] == a.text


def test_find_amounts_in_order_and_non_overlapping() -> None:
    found = find_amounts("A轮融资5000万元，B轮融资2亿元，C轮融资3亿美元。")
    assert [a.value for a in found] == [Decimal(50000000), Decimal(200000000), Decimal(300000000)]
    assert all(x.end <= y.start for x, y in itertools.pairwise(found))


def test_offsets_point_into_the_original_full_width_text() -> None:
    text = "完成６０００万元Ａ轮融资，估值１０亿美元。"
    found = find_amounts(text)
    assert [text[a.start:a.end] for a in found] == ["６０００万元", "１０亿美元"]


def test_fold_keeps_length() -> None:
    text = "获得\u3000１，０００万元，\xa0$5M"
    assert len(fold_text(text)) == len(text)
