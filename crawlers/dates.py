"""Publication dates from page metadata and visible text: explicit only, never guessed.

Naive datetimes are read in the page's zone: Asia/Shanghai for Chinese pages, UTC otherwise.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = dt.UTC
# Dates outside this window are placeholders (1970-01-01 feeds) or typos, not publication dates.
MIN_YEAR, MAX_YEAR = 1995, 2100

_ISO = re.compile(
    r"(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    r"(?:[T\s]+(?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2}|UTC|GMT)?)?"
)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:T?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?(?P<tz>Z)?$")
_ZH = re.compile(
    r"(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日"
    r"(?:\s*(?:(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{2})(?:\s*[:：分]\s*(?P<S>\d{2}))?))?"
)
_MONTHS = {m: i + 1 for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"])}
_EN = re.compile(
    r"\b(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+"
    r"(?P<y>\d{4})(?:(?:\s+at|,)?\s+(?P<H>\d{1,2}):(?P<M>\d{2})\s*(?P<ampm>[ap]\.?m\.?)?"
    r"(?:\s*(?P<tz>UTC|GMT|[+-]\d{2}:?\d{2}))?)?",
    re.IGNORECASE,
)
_EN_DMY = re.compile(
    r"\b(?P<d>\d{1,2})\s+(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?,?\s+(?P<y>\d{4})\b",
    re.IGNORECASE,
)


def _tz(text: str | None, default: dt.tzinfo) -> dt.tzinfo:
    if not text or text.upper() in {"UTC", "GMT", "Z"}:
        return default if not text else UTC
    sign = 1 if text[0] == "+" else -1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:4])))


def _build(g: dict[str, str | None], month: int | None, default_tz: dt.tzinfo) -> dt.datetime | None:
    try:
        year = int(g["y"] or 0)
        hour = int(g.get("H") or 0)
        if g.get("ampm"):
            pm = g["ampm"].lower().startswith("p")  # type: ignore[union-attr]
            hour = hour % 12 + (12 if pm else 0)
        value = dt.datetime(year, month or int(g["m"] or 0), int(g["d"] or 0), hour,
                            int(g.get("M") or 0), int(g.get("S") or 0), tzinfo=_tz(g.get("tz"), default_tz))
    except (ValueError, TypeError):
        return None
    return value if MIN_YEAR <= year <= MAX_YEAR else None


def parse_datetime(text: str, default_tz: dt.tzinfo = UTC) -> dt.datetime | None:
    """A datetime from a machine-readable value (ISO 8601, RFC 822, compact 20240520), or None."""
    text = text.strip()
    if not text:
        return None
    m = _COMPACT.match(text)
    if m:
        return _build(m.groupdict(), None, default_tz)
    m = _ISO.search(text)
    if m and m.start() < 3:
        return _build(m.groupdict(), None, default_tz)
    try:
        from email.utils import parsedate_to_datetime

        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        value = None
    if value is not None:
        if value.tzinfo is None:
            value = value.replace(tzinfo=default_tz)
        return value if MIN_YEAR <= value.year <= MAX_YEAR else None
    return find_in_text(text, default_tz)


def find_in_text(text: str, default_tz: dt.tzinfo = UTC) -> dt.datetime | None:
    """The first explicit date written in prose: 2024年5月20日, 2024-05-20 10:30, May 20, 2024."""
    best: tuple[int, dt.datetime] | None = None
    for pattern in (_ZH, _ISO, _EN, _EN_DMY):
        for m in pattern.finditer(text):
            g = m.groupdict()
            month = _MONTHS.get(g["mon"][:3].lower()) if g.get("mon") else None
            value = _build(g, month, default_tz)
            if value is not None:
                if best is None or m.start() < best[0]:
                    best = (m.start(), value)
                break
    return best[1] if best else None
