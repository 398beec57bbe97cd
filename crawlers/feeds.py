"""Feeds (RSS 0.9x/2.0, Atom, JSON Feed) -> discovered URLs, with the full article when a feed carries it.

feedparser reads the bytes. Hostile XML cannot expand entities: the DOCTYPE (where entities are
declared) is removed before parsing, and feedparser resolves no external entities. A blank line
before ``<?xml`` is trimmed; undeclared Latin-1 is handled by feedparser's fallback to
windows-1252.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

import feedparser
from bs4 import BeautifulSoup

from crawlers.article import detect_lang
from crawlers.dates import SHANGHAI, UTC, parse_datetime
from crawlers.records import Discovered, ParsedPage, UrlKind
from crawlers.urls import try_canonicalize

INLINE_MIN_CHARS = 400  # a feed item whose text is at least this long is the article itself
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[.*?\])?\s*>", re.DOTALL | re.IGNORECASE)
_BLOCKS = ("p", "div", "br", "li", "h1", "h2", "h3", "h4", "blockquote", "tr", "section", "figure")


class FeedError(ValueError):
    """The bytes are not a feed feedparser can read."""


def _clean_bytes(body: bytes) -> bytes:
    body = body.lstrip(b"\r\n\t ") if body[:1].isspace() else body
    head, tail = body[:8192], body[8192:]
    return _DOCTYPE.sub(b"", head, count=1) + tail


def html_to_text(html: str) -> str:
    """Plain text of an HTML fragment, one block per line."""
    if "<" not in html:
        return html.strip()
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n")
        tag.insert_after("\n")
    lines = (" ".join(line.split()) for line in soup.get_text().splitlines())
    return "\n".join(line for line in lines if line)


def _published(entry: dict[str, Any], tz: dt.tzinfo) -> dt.datetime | None:
    for key in ("published", "updated", "created", "date_published", "date_modified"):
        raw = dict.get(entry, key)  # plain lookup: feedparser's `updated`->`published` fallback warns
        if isinstance(raw, str) and raw:
            value = parse_datetime(raw, tz)
            if value is not None:
                return value
    for key in ("published_parsed", "updated_parsed"):
        parsed = dict.get(entry, key)
        if parsed:
            value = dt.datetime.fromtimestamp(calendar.timegm(parsed), UTC)
            return value if value.year >= 1995 else None
    return None


def _body_html(entry: Mapping[str, Any]) -> str:
    contents = entry.get("content") or []
    best = max((c.get("value", "") for c in contents), key=len, default="")
    summary = entry.get("summary") or ""
    return best if len(best) >= len(summary) else summary


def _json_feed_entries(body: bytes) -> list[dict[str, Any]] | None:
    """The items of a JSON Feed (jsonfeed.org) mapped to feedparser's entry keys, or None."""
    if body.lstrip()[:1] != b"{":
        return None
    try:
        doc = json.loads(body.decode("utf-8-sig", errors="replace"))
    except ValueError:
        return None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        return None
    entries = []
    for item in doc.get("items") or []:
        if not isinstance(item, dict):
            continue
        body_html = item.get("content_html") or item.get("content_text") or ""
        entries.append({"link": item.get("url") or item.get("external_url") or "", "id": item.get("id"),
                        "title": item.get("title") or "", "published": item.get("date_published") or "",
                        "updated": item.get("date_modified") or "", "summary": item.get("summary") or "",
                        "content": [{"value": body_html}] if body_html else []})
    return entries


def parse_feed(body: bytes, url: str, headers: Mapping[str, str] | None = None, *,
               lang: str | None = None) -> list[Discovered]:
    """The items of a feed as `Discovered` (canonical URLs, first occurrence kept).

    `lang` is the source's language: it sets the zone of naive dates (Asia/Shanghai for zh).
    Raises `FeedError` when nothing feed-like can be read.
    """
    entries = _json_feed_entries(body)
    encoding: str | None = "utf-8"
    if entries is None:
        response_headers = {k.lower(): v for k, v in (headers or {}).items()}
        response_headers.setdefault("content-location", url)
        parsed = feedparser.parse(_clean_bytes(body), response_headers=response_headers,
                                  resolve_relative_uris=False, sanitize_html=False)
        if not parsed.entries and parsed.get("bozo") and not parsed.get("feed"):
            raise FeedError(f"{url}: not a feed ({parsed.get('bozo_exception')})")
        entries, encoding = parsed.entries, parsed.get("encoding")
    tz = SHANGHAI if lang == "zh" else UTC
    out: list[Discovered] = []
    seen: set[str] = set()
    for entry in entries:
        link = entry.get("link") or entry.get("id") or ""
        canonical = try_canonicalize(link, url) if link else None
        if canonical is None or canonical in seen:
            continue
        seen.add(canonical)
        title = html_to_text(entry.get("title", "")) or None
        published = _published(entry, tz)
        text = html_to_text(_body_html(entry))
        inline = None
        if len(text) >= INLINE_MIN_CHARS:
            inline = ParsedPage(url=canonical, title=title, published=published,
                                lang=detect_lang(text) or lang, text=text, charset=encoding,
                                charset_method="feed")
        out.append(Discovered(url=canonical, kind=UrlKind.ARTICLE, title=title, published=published,
                              inline_article=inline))
    return out
