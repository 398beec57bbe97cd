"""Round names to DESIGN's canonical vocabulary, and rounds in running text."""

from __future__ import annotations

import pytest

from extractor.rounds import canonical_round, find_rounds

CANONICAL_CASES: list[tuple[str, str | None]] = [
    ("Series B", "B"), ("series-b extension", "B"), ("Series B (Extension)", "B"), ("Series  B", "B"),
    ("SERIES C", "C"), ("Series A tranche", "A"), ("series A", "A"), ("Series K", "K"),
    ("C ＋", "C+"), ("C+轮", "C+"), ("B+", "B+"), ("A++轮", "A++"), ("A1", "A1"), ("B2轮", "B2"),
    ("C1", "C1"), ("D", "D"), ("G", "G"), ("Ａ轮", "A"), ("C 轮", "C"), ("B轮融资", "B"),
    ("天使轮", "angel"), ("天使", "angel"), ("天使投资", "angel"), ("天使融资", "angel"),
    ("天使+轮", "angel+"), ("angel+", "angel+"), ("种子轮", "seed"), ("种子", "seed"),
    ("种子投资", "seed"), ("种子天使", "angel"), ("前种子", "pre-seed"), ("pre-seed", "pre-seed"),
    ("pre-seed funding round", "pre-seed"), ("Pre-Seed Round", "pre-seed"),
    ("Pre-A轮", "pre-A"), ("Pre A轮", "pre-A"), ("pre-A", "pre-A"), ("Pre-A+轮", "pre-A+"),
    ("Pre-Series A", "pre-A"), ("Pre-B轮", "pre-B"),
    ("PRE-IPO", "pre-IPO"), ("Pre-IPO轮", "pre-IPO"), ("pre IPO", "pre-IPO"),
    ("战略投资", "strategic"), ("战略融资", "strategic"), ("strategic investment", "strategic"),
    ("Corporate Round", "strategic"),
    ("债权融资", "debt"), ("venture debt", "debt"), ("Debt Funding", "debt"), ("debt_round", "debt"),
    ("Term Loan", "debt"), ("convertible note", "convertible"), ("可转债", "convertible"),
    ("Private Equity Round", "growth"), ("Private Equity", "growth"), ("growth round", "growth"),
    ("Seed Funding", "seed"), ("seed round", "seed"), ("Seed/ Angel Funding", "angel"),
    ("Angel Round", "angel"),
    ("Bridge Round", None), ("Venture Round", None), ("Equity", None), ("Funding Round", None),
    ("unattributed", None), ("", None), ("Plan B", None), ("IPO", None),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL_CASES)
def test_canonical_round(text: str, canonical: str | None) -> None:
    assert canonical_round(text) == canonical


# running text → [(written, canonical)]
FIND_CASES: list[tuple[str, list[tuple[str, str | None]]]] = [
    ("芯片公司宣布获得数千万元A+轮融资", [("A+轮", "A+")]),
    ("近日完成B轮及B+轮融资，由高瓴领投", [("B轮", "B"), ("B+轮", "B+")]),
    ("公司此前获得天使轮和Pre-A轮投资", [("天使轮", "angel"), ("Pre-A轮", "pre-A")]),
    ("该公司完成Pre-A融资", [("Pre-A", "pre-A")]),
    ("获得腾讯战略投资", [("战略投资", "strategic")]),
    ("计划于明年在A股上市，B站和C端用户", []),
    ("完成C 轮融资", [("C 轮", "C")]),
    ("completed a $20M Series B round led by Accel", [("Series B", "B")]),
    ("raised a $5M seed round from angel investors", [("seed round", "seed")]),
    ("the startup's pre-seed funding", [("pre-seed funding", "pre-seed")]),
    ("It closed an A round in 2021 and a pre-IPO round this year", [("A", "A"), ("pre-IPO", "pre-IPO")]),
    ("We ran an A/B test; Plan B is a series of experiments.", []),
    ("seed-stage investors and a seed fund backed it", []),
    ("secured $30 million in venture debt", [("venture debt", "debt")]),
]


@pytest.mark.parametrize(("text", "expected"), FIND_CASES)
def test_find_rounds(text: str, expected: list[tuple[str, str | None]]) -> None:
    found = find_rounds(text)
    assert [(r.text, r.canonical) for r in found] == expected
    assert all(text[r.start:r.end] == r.text for r in found)


def test_round_stops_at_full_width_comma() -> None:
    text = "完成A轮，投资方为IDG"
    (r,) = find_rounds(text)
    assert (r.text, r.end) == ("A轮", text.index("，"))
