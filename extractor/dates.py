"""Dates in news text: absolute, partial and relative, resolved against the publication date.

Rules (see NORMALISATION.md):
- a date without a year takes the latest year that puts it at most ~2 months after `published`;
- 周三 / "on Tuesday": the most recent such weekday on or before `published`; 上周五 and 下周一 by
  calendar week (Monday first);
- 近日 / 日前 / 近期 / "recently" mean "around publication": `published`, precision DAY, relative;
- week expressions ("last week", 上周, "this week") have no precision of their own: the date seven
  days back (or `published`) with precision MONTH; "earlier this month" → MONTH, "last year" → YEAR;
- without `published`, relative and year-less expressions give nothing: a date is never invented.
Ages and durations (3年, "10 years") are not dates.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from extractor.money import fold_text


class Precision(StrEnum):
    """How much of the date the text states."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression with its resolved date; `relative` when it needed the publication date."""

    date: datetime.date
    precision: Precision
    text: str
    start: int
    end: int
    relative: bool


_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
           "oct": 10, "nov": 11, "dec": 12}
_MON = (r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
        r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)(?![a-z])\.?")
_WEEKDAYS_EN = {"monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4, "saturday": 5,
                "sunday": 6}
_WEEKDAYS_ZH = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 5}
_ZH_DAY_OFFSET = {"今日": 0, "今天": 0, "当天": 0, "当日": 0, "昨日": -1, "昨天": -1, "前天": -2, "前日": -2,
                  "明天": 1, "明日": 1}
_ZH_YEAR_OFFSET = {"今年": 0, "去年": -1, "前年": -2, "明年": 1}
_MAX_AHEAD = datetime.timedelta(days=62)

Resolver = Callable[[re.Match[str], datetime.date | None], tuple[datetime.date, Precision, bool] | None]


def _safe(y: int, m: int, d: int = 1) -> datetime.date | None:
    try:
        return datetime.date(y, m, d) if 1900 <= y <= 2100 else None
    except ValueError:
        return None


def _infer_year(month: int, day: int, published: datetime.date | None) -> datetime.date | None:
    if published is None:
        return None
    for year in (published.year + 1, published.year, published.year - 1):
        d = _safe(year, month, day)
        if d is not None and d <= published + _MAX_AHEAD:
            return d
    return None


def _year(y: str) -> int:
    n = int(y)
    return n if n >= 100 else (2000 + n if n < 70 else 1900 + n)


def _zh_full(m: re.Match[str], pub: datetime.date | None) -> tuple[datetime.date, Precision, bool] | None:
    y, mo = _year(m["y"]), int(m["m"])
    if m["d"]:
        d = _safe(y, mo, int(m["d"]))
        return (d, Precision.DAY, False) if d else None
    d = _safe(y, mo)
    return (d, Precision.MONTH, False) if d else None


def _numeric(m: re.Match[str], pub: datetime.date | None) -> tuple[datetime.date, Precision, bool] | None:
    d = _safe(int(m["y"]), int(m["m"]), int(m["d"]))
    return (d, Precision.DAY, False) if d else None


def _month_day(m: re.Match[str], pub: datetime.date | None) -> tuple[datetime.date, Precision, bool] | None:
    month = _MONTHS[m["mon"][:3].lower()] if m["mon"] else int(m["m"])
    day = int(m["d"]) if m["d"] else 1
    precision = Precision.DAY if m["d"] else Precision.MONTH
    if m["y"]:
        d = _safe(_year(m["y"]), month, day)
        return (d, precision, False) if d else None
    d = _infer_year(month, day, pub)
    return (d, precision, True) if d else None


def _rel_year_month(m: re.Match[str], pub: datetime.date | None) -> tuple[datetime.date, Precision, bool] | None:
    if pub is None:
        return None
    year = pub.year + _ZH_YEAR_OFFSET[m["rel"]]
    if not m["m"]:
        d = _safe(year, 1)
        return (d, Precision.YEAR, True) if d else None
    d = _safe(year, int(m["m"]), int(m["d"]) if m["d"] else 1)
    return (d, Precision.DAY if m["d"] else Precision.MONTH, True) if d else None


def _year_only(m: re.Match[str], pub: datetime.date | None) -> tuple[datetime.date, Precision, bool] | None:
    d = _safe(int(m["y"]), 1)
    return (d, Precision.YEAR, False) if d and 1990 <= d.year <= 2100 else None


def _weekday(target: int, pub: datetime.date, week: int | None) -> datetime.date:
    if week is None:  # bare weekday: the most recent one on or before publication
        return pub - datetime.timedelta(days=(pub.weekday() - target) % 7)
    monday = pub - datetime.timedelta(days=pub.weekday())
    return monday + datetime.timedelta(days=7 * week + target)


def _zh_relative(m: re.Match[str], pub: datetime.date | None) -> tuple[datetime.date, Precision, bool] | None:
    if pub is None:
        return None
    word = m.group()
    if word in _ZH_DAY_OFFSET:
        return pub + datetime.timedelta(days=_ZH_DAY_OFFSET[word]), Precision.DAY, True
    if word in ("近日", "日前", "近期", "最近"):
        return pub, Precision.DAY, True
    if word in ("本月", "这个月", "本月初", "月初"):
        return pub.replace(day=1), Precision.MONTH, True
    if word == "上月" or word == "上个月":
        prev = pub.replace(day=1) - datetime.timedelta(days=1)
        return prev.replace(day=1), Precision.MONTH, True
    if m["wd"]:
        week = {"本": 0, "这": 0, "上": -1, "下": 1}.get(m["wk"] or "", None)
        return _weekday(_WEEKDAYS_ZH[m["wd"]], pub, week), Precision.DAY, True
    if word in ("上周", "上星期"):
        return pub - datetime.timedelta(days=7), Precision.MONTH, True
    if word in ("本周", "这周"):
        return pub, Precision.MONTH, True
    return None


def _en_relative(m: re.Match[str], pub: datetime.date | None) -> tuple[datetime.date, Precision, bool] | None:
    if pub is None:
        return None
    word = re.sub(r"\s+", " ", m.group().lower())
    if m["ewd"]:
        target = _WEEKDAYS_EN[m["ewd"].lower()]
        week = -1 if word.startswith("last ") else (1 if word.startswith("next ") else None)
        return _weekday(target, pub, week), Precision.DAY, True
    simple = {"today": (0, Precision.DAY), "yesterday": (-1, Precision.DAY), "recently": (0, Precision.DAY),
              "this week": (0, Precision.MONTH), "earlier this week": (0, Precision.MONTH),
              "last week": (-7, Precision.MONTH), "earlier this month": (0, Precision.MONTH),
              "this month": (0, Precision.MONTH)}
    if word in simple:
        offset, precision = simple[word]
        d = pub + datetime.timedelta(days=offset)
        return (d.replace(day=1) if precision is Precision.MONTH else d), precision, True
    if word == "last month":
        return (pub.replace(day=1) - datetime.timedelta(days=1)).replace(day=1), Precision.MONTH, True
    if word in ("this year", "earlier this year"):
        return datetime.date(pub.year, 1, 1), Precision.YEAR, True
    if word == "last year":
        return datetime.date(pub.year - 1, 1, 1), Precision.YEAR, True
    return None


_DIGIT = re.compile(r"\d")
_LATIN = re.compile(r"[A-Za-z]")
_ZH_REL = re.compile(r"[今昨前明近日当本这上下月周星礼去]")

_PATTERNS: tuple[tuple[re.Pattern[str], Resolver], ...] = (
    (re.compile(r"(?<!\d)(?P<y>\d{4})\s?年\s?(?P<m>\d{1,2})\s?月(?:\s?(?P<d>\d{1,2})\s?[日号])?"), _zh_full),
    (re.compile(r"(?<![\d.])(?P<y>(?:19|20)\d\d)([-/.])(?P<m>\d{1,2})\2(?P<d>\d{1,2})(?![\d])"), _numeric),
    (re.compile(r"(?P<rel>今年|去年|前年|明年)(?:\s?(?P<m>\d{1,2})\s?月(?:\s?(?P<d>\d{1,2})\s?[日号])?)?"),
     _rel_year_month),
    (re.compile(r"(?<![\d年.])(?P<mon>)?(?P<m>\d{1,2})\s?月(?:\s?(?P<d>\d{1,2})\s?[日号]|份)?(?P<y>)?(?!\d)"),
     _month_day),
    (re.compile(rf"(?<![A-Za-z]){_MON}\s(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:,?\s(?P<y>\d{{4}}))?(?!\d)"
                r"(?P<m>)?"), _month_day),
    (re.compile(rf"(?<![\d])(?P<d>\d{{1,2}})(?:st|nd|rd|th)?[\s-]{_MON}(?:,?[\s-](?P<y>\d{{4}}|\d\d))?(?!\d)"
                r"(?P<m>)?"), _month_day),
    (re.compile(rf"(?<![A-Za-z])(?i:in|since|during|of|by|until|early|late|mid)[\s-]{_MON}(?:\s(?P<y>\d{{4}}))?"
                r"(?P<d>)?(?P<m>)?"),
     _month_day),
    (re.compile(rf"(?<![A-Za-z]){_MON}\s(?P<y>\d{{4}})(?P<d>)?(?P<m>)?"), _month_day),
    (re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)\s?年(?!\s?\d{1,2}\s?月)(?!度?\s?(?:内|间|期间))"), _year_only),
    (re.compile(r"(?<![A-Za-z])(?i:in|since|early|late|of)\s(?P<y>(?:19|20)\d\d)(?![\d%])"), _year_only),
    (re.compile(r"今日|今天|当天|当日|昨日|昨天|前天|前日|明天|明日|近日|日前|近期|最近|本月初?|这个月|上个?月|月初"
                r"|(?P<wk>本|这|上|下)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])|上周|上星期|本周|这周"), _zh_relative),
    (re.compile(r"(?i:(?<![A-Za-z])(?:(?:on|last|next|this)\s)?)(?P<ewd>Monday|Tuesday|Wednesday|Thursday|Friday"
                r"|Saturday|Sunday)(?![A-Za-z])"
                r"|(?i:(?<![A-Za-z])(?:today|yesterday|recently|(?:earlier\s)?this\s(?:week|month|year)"
                r"|last\s(?:week|month|year))(?![A-Za-z]))"), _en_relative),
)


# Per pattern above, what the text must contain: 0 a digit, 1 a Latin letter, 2 a relative-date character.
_NEEDS: tuple[tuple[int, ...], ...] = ((0,), (0,), (2,), (0,), (0, 1), (0, 1), (1,), (0, 1), (0,), (0, 1), (2,), (1,))


def find_dates(text: str, published: datetime.date | None, *, lang: str | None = None) -> list[DateMention]:
    """Every date expression in `text` that resolves, in order, non-overlapping (longest wins)."""
    folded = fold_text(text)
    has = (bool(_DIGIT.search(folded)), bool(_LATIN.search(folded)), bool(_ZH_REL.search(folded)))
    candidates: list[tuple[int, int, datetime.date, Precision, bool]] = []
    for (pattern, resolve), needs in zip(_PATTERNS, _NEEDS, strict=True):
        if not all(has[i] for i in needs):
            continue  # a cheap precondition: most sentences cannot match most patterns
        for m in pattern.finditer(folded):
            result = resolve(m, published)
            if result is not None:
                candidates.append((m.start(), m.end(), *result))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    found: list[DateMention] = []
    last_end = -1
    for start, end, d, precision, relative in candidates:
        if start >= last_end:
            found.append(DateMention(d, precision, text[start:end], start, end, relative))
            last_end = end
    return found


def resolve_date(text: str, published: datetime.date | None) -> DateMention | None:
    """The date of a string that is one date expression ("2024年5月20日", "上周五", "2018"), or None."""
    stripped = text.strip()
    if re.fullmatch(r"(?:19|20)\d\d", stripped):
        start = text.index(stripped)
        return DateMention(datetime.date(int(stripped), 1, 1), Precision.YEAR, stripped, start,
                           start + 4, False)
    found = find_dates(text, published)
    if len(found) == 1 and not re.search(r"\w", text[:found[0].start] + text[found[0].end:]):
        return found[0]
    return None
