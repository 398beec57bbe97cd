"""Dates resolved against the publication date."""

from __future__ import annotations

import datetime

import pytest

from extractor.dates import Precision, find_dates, resolve_date

PUB = datetime.date(2024, 5, 22)  # a Wednesday
D, M, Y = Precision.DAY, Precision.MONTH, Precision.YEAR

RESOLVE_CASES: list[tuple[str, str, Precision, bool]] = [
    ("2024年5月20日", "2024-05-20", D, False), ("2024-05-20", "2024-05-20", D, False),
    ("2024/5/20", "2024-05-20", D, False), ("2024.5.20", "2024-05-20", D, False),
    ("May 20, 2024", "2024-05-20", D, False), ("20 May 2024", "2024-05-20", D, False),
    ("Sept. 3", "2023-09-03", D, True), ("Sep 3rd", "2023-09-03", D, True),
    ("July 4", "2024-07-04", D, True), ("5月20日", "2024-05-20", D, True),
    ("12月1日", "2023-12-01", D, True), ("7月", "2024-07-01", M, True), ("5月份", "2024-05-01", M, True),
    ("今年1月", "2024-01-01", M, True), ("去年12月", "2023-12-01", M, True), ("今年3月8日", "2024-03-08", D, True),
    ("in March", "2024-03-01", M, True), ("in March 2023", "2023-03-01", M, False),
    ("2023年12月", "2023-12-01", M, False), ("March 2023", "2023-03-01", M, False),
    ("今日", "2024-05-22", D, True), ("今天", "2024-05-22", D, True), ("昨日", "2024-05-21", D, True),
    ("昨天", "2024-05-21", D, True), ("前天", "2024-05-20", D, True), ("本周一", "2024-05-20", D, True),
    ("上周五", "2024-05-17", D, True), ("周三", "2024-05-22", D, True), ("周五", "2024-05-17", D, True),
    ("下周一", "2024-05-27", D, True), ("近日", "2024-05-22", D, True), ("日前", "2024-05-22", D, True),
    ("on Tuesday", "2024-05-21", D, True), ("Friday", "2024-05-17", D, True),
    ("last Friday", "2024-05-17", D, True), ("yesterday", "2024-05-21", D, True), ("today", "2024-05-22", D, True),
    ("last week", "2024-05-01", M, True), ("this week", "2024-05-01", M, True),
    ("earlier this month", "2024-05-01", M, True), ("last month", "2024-04-01", M, True),
    ("last year", "2023-01-01", Y, True), ("2019年", "2019-01-01", Y, False), ("in 2021", "2021-01-01", Y, False),
    ("2018", "2018-01-01", Y, False), ("1-May-07", "2007-05-01", D, False),
]


@pytest.mark.parametrize(("text", "iso", "precision", "relative"), RESOLVE_CASES)
def test_resolve_date(text: str, iso: str, precision: Precision, relative: bool) -> None:
    m = resolve_date(text, PUB)
    assert m is not None
    assert (m.date.isoformat(), m.precision, m.relative) == (iso, precision, relative)


@pytest.mark.parametrize("text", ["3年", "10 years", "成立3年来", "2月30日", "hello", "第5轮", "3000名"])
def test_not_dates(text: str) -> None:
    assert resolve_date(text, PUB) is None


@pytest.mark.parametrize("text", ["近日", "昨天", "5月20日", "on Tuesday", "last week", "in March"])
def test_never_invented_without_a_publication_date(text: str) -> None:
    assert resolve_date(text, None) is None


def test_absolute_dates_need_no_publication_date() -> None:
    m = resolve_date("2024年5月20日", None)
    assert m is not None and m.date == datetime.date(2024, 5, 20)


def test_late_december_article_puts_january_in_the_next_year() -> None:
    m = resolve_date("1月5日", datetime.date(2016, 12, 28))
    assert m is not None and m.date == datetime.date(2017, 1, 5)


def test_find_dates_in_running_text() -> None:
    text = "36氪获悉，聚芯微电子于5月20日宣布完成A轮融资。公司成立于2016年，团队有10年经验。"
    found = find_dates(text, PUB, lang="zh")
    assert [(d.text, d.date.isoformat()) for d in found] == [("5月20日", "2024-05-20"), ("2016年", "2016-01-01")]
    assert all(text[d.start:d.end] == d.text for d in found)


def test_find_dates_english() -> None:
    text = "The company, founded in 2019, said on Tuesday it raised $5M. It may grow."
    found = find_dates(text, PUB, lang="en")
    assert [d.text for d in found] == ["in 2019", "on Tuesday"]


def test_full_width_digits_keep_original_offsets() -> None:
    text = "于２０２４年５月２０日，完成融资"
    (d,) = find_dates(text, None)
    assert (d.text, d.date) == ("２０２４年５月２０日", datetime.date(2024, 5, 20))
