"""Feeds (RSS 0.9x/2.0, Atom, JSON Feed) -> discovered URLs, with the full article when a feed carries it.

feedparser reads the bytes. Hostile XML cannot expand entities: the DOCTYPE (where entities are
declared) is removed before parsing, and feedparser resolves no external entities. A blank line
before ``<?xml`` is trimmed; undeclared Latin-1 is handled by feedparser's fallback to
windows-1252.

Plain RSS 2.0 and Atom 1.0 feeds in UTF-8 take a fast path first (`_fast_entries`, lxml with a
parser that resolves no entities, loads no DTD and reaches no network): it builds the same entry
keys feedparser would for the elements it knows and hands the feed to feedparser instead on
anything else (other versions, other encodings, unknown elements, markup inside text, xml:base,
dates only feedparser can read, any parse error). tests/crawlers/test_feed_fastpath.py checks
that both paths give the same items on every real feed.
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

try:  # the fast path reuses feedparser's own text fix-ups so both paths give the same strings
    from feedparser.html import _cp1252
    from feedparser.mixin import _FeedParserMixin as XMLParserMixin
    from feedparser.urls import make_safe_absolute_uri
    from lxml import etree
except ImportError:  # pragma: no cover - feedparser's layout changed: feedparser reads every feed
    etree = None

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


class _NotFast(Exception):
    """The fast path does not handle this feed; feedparser reads it."""


_DATE_KEYS = ("published", "updated", "created", "date_published", "date_modified")
_ATOM = "{http://www.w3.org/2005/Atom}"
_CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCTERMS = "{http://purl.org/dc/terms/}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_XML_ENCODING = re.compile(rb"^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.IGNORECASE)
_UTF8 = ("utf-8", "utf8")
# child element -> feedparser's entry key (for the text-valued ones)
_RSS_FIELDS = {"title": "title", "link": "link", "guid": "id", "pubDate": "published",
               "description": "summary", _CONTENT + "encoded": "content", _DC + "date": "updated",
               _DCTERMS + "issued": "published", _DCTERMS + "modified": "updated",
               _DCTERMS + "created": "created", _ATOM + "published": "published",
               _ATOM + "updated": "updated"}
_ATOM_FIELDS = {_ATOM + "title": "title", _ATOM + "id": "id", _ATOM + "published": "published",
                _ATOM + "updated": "updated", _ATOM + "summary": "summary", _ATOM + "content": "content"}
# children that feed no key we read (checked to be childless, except an Atom author's name/uri/email)
_RSS_IGNORED = frozenset({"category", "comments", "author", "enclosure", _DC + "creator", _DC + "subject",
                          "{http://wellformedweb.org/CommentAPI/}commentRss",
                          "{http://purl.org/rss/1.0/modules/slash/}comments", "source",
                          "{http://search.yahoo.com/mrss/}content", "{http://search.yahoo.com/mrss/}thumbnail"})
_READ_KEYS = frozenset({"link", "id", "title", "summary", "content", "description", *_DATE_KEYS})

_ATOM_IGNORED = frozenset({_ATOM + "category", _ATOM + "author", _ATOM + "contributor", _ATOM + "rights"})
_ATOM_PERSON = frozenset({_ATOM + "name", _ATOM + "uri", _ATOM + "email"})
_ENTITY_LIKE = re.compile("&([A-Za-z0-9_]+);")


def _safe_parser() -> Any:
    """A new parser per feed (lxml parsers must not be shared between threads): no entities
    resolved, no DTD loaded, no network, lxml's default size limits."""
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)


def _unhandled_plain(tag: str) -> bool:
    """A plain element feedparser has no handler for: it becomes an entry key nothing here reads."""
    name = tag.lower()
    return ("{" not in name and name not in _READ_KEYS and not hasattr(XMLParserMixin, "_start_" + name)
            and not hasattr(XMLParserMixin, "_end_" + name))


def _text(el: Any) -> str:
    """An element's text as feedparser's strict parser gives it (UTF-8 documents only)."""
    if len(el):  # child elements, comments, entity references: markup feedparser would rebuild
        raise _NotFast("markup inside a text element")
    out = (el.text or "").strip()
    try:  # feedparser's repair of UTF-8 read as Latin-1
        out = out.encode("iso-8859-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return out.translate(_cp1252)


def _content_type(el: Any, default: str) -> str:
    if "mode" in el.attrib or "src" in el.attrib:
        raise _NotFast("base64 or out-of-line content")
    kind = el.get("type", default).lower()
    kind = {"text": "text/plain", "plain": "text/plain", "html": "text/html"}.get(kind, kind)
    if kind not in ("text/plain", "text/html"):
        raise _NotFast(f"content type {kind}")
    return kind


def _rss_entry(item: Any, url: str) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    guid_is_link = False
    if item.attrib:  # feedparser reads href/lastmod attributes of an item (CDF)
        raise _NotFast("item attributes")
    for child in item:
        tag = child.tag
        key = _RSS_FIELDS.get(tag) if isinstance(tag, str) else None
        if key is None:
            if (tag in _RSS_IGNORED or isinstance(tag, str) and _unhandled_plain(tag)) and not len(child) \
                    and not (tag == "source" and "url" not in child.attrib):
                continue
            raise _NotFast(f"item child {tag!r}")
        if key in entry:
            raise _NotFast(f"repeated {tag}")
        if tag in ("title", "description", _CONTENT + "encoded"):
            if child.attrib:
                raise _NotFast(f"attributes on {tag}")
            value = _text(child)
        elif tag == "link":
            if child.attrib:
                raise _NotFast("link with attributes")
            value = _text(child)
            if value:
                value = make_safe_absolute_uri(url, value).replace("&amp;", "&")
                value = _ENTITY_LIKE.sub(r"&\g<1>", value)
        elif tag == "guid":
            attrs = {k.lower(): v for k, v in child.attrib.items()}
            guid_is_link = attrs.get("ispermalink", "true") == "true"
            value = _text(child)
            if value and guid_is_link:
                value = make_safe_absolute_uri(url, value)
        else:
            value = _text(child)
        entry[key] = [{"value": value}] if key == "content" else value
    if guid_is_link and "link" not in entry and "id" in entry:
        entry["link"] = entry["id"]
    if "summary" not in entry and "content" in entry:
        entry["summary"] = entry["content"][0]["value"]
    return entry


def _atom_entry(item: Any, url: str) -> dict[str, Any]:
    entry: dict[str, Any] = {}
    for attr in item.attrib:
        if attr != _XML_LANG:
            raise _NotFast(f"entry attribute {attr!r}")
    for child in item:
        tag = child.tag
        if tag == _ATOM + "link":
            attrs = {k.lower(): v for k, v in child.attrib.items()}
            if "href" not in attrs or len(child):
                raise _NotFast("link without href")
            rel = attrs.get("rel", "alternate").lower()
            kind = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html").lower()
            kind = {"html": "text/html", "xhtml": "application/xhtml+xml"}.get(kind, kind)
            if rel == "alternate" and kind in ("text/html", "application/xhtml+xml"):
                entry["link"] = make_safe_absolute_uri(url, attrs["href"])
            continue
        key = _ATOM_FIELDS.get(tag) if isinstance(tag, str) else None
        if key is None:
            if tag in _ATOM_IGNORED and all(g.tag in _ATOM_PERSON and not len(g) for g in child):
                continue
            raise _NotFast(f"entry child {tag!r}")
        if key in entry:
            raise _NotFast(f"repeated {tag}")
        if key in ("title", "summary", "content"):
            _content_type(child, "text/plain")
        elif child.attrib:
            raise _NotFast(f"attributes on {tag}")
        value = _text(child)
        if key == "id":
            entry["id"] = make_safe_absolute_uri(url, value) if value else value
            entry.setdefault("link", entry["id"])  # feedparser: an id is the link until one is seen
        elif key == "content":
            entry["content"] = [{"value": value}]
            entry.setdefault("summary", value)
        else:
            entry[key] = value
    return entry


def _fast_entries(body: bytes, url: str, headers: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """RSS 2.0 / Atom 1.0 entries (feedparser's keys) read with lxml, or `_NotFast`."""
    if etree is None:
        raise _NotFast("lxml or feedparser internals unavailable")
    if b"xml:base" in body:
        raise _NotFast("xml:base")
    declared = _XML_ENCODING.match(body)
    if declared and declared.group(1).strip().lower().decode("ascii", "replace") not in _UTF8:
        raise _NotFast("not UTF-8")
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            charset = _CHARSET.search(value)
            if charset and charset.group(1).lower() not in _UTF8:
                raise _NotFast("HTTP charset not UTF-8")
    try:
        root = etree.fromstring(body, _safe_parser())
    except (etree.LxmlError, ValueError) as exc:
        raise _NotFast(f"lxml: {exc}") from None
    if root.tag == "rss" and root.get("version") == "2.0":
        channels = [c for c in root if c.tag == "channel"]
        if len(channels) != 1:
            raise _NotFast("not one channel")
        items = [c for c in channels[0] if c.tag == "item"]
        read = _rss_entry
    elif root.tag == _ATOM + "feed":
        items = [c for c in root if c.tag == _ATOM + "entry"]
        read = _atom_entry
    else:
        raise _NotFast(f"root {root.tag!r}")
    nested = sum(1 for el in root.iter() if isinstance(el.tag, str)
                 and el.tag.rpartition("}")[2] in ("item", "entry"))
    if nested != len(items):
        raise _NotFast("items outside the channel")
    return [read(item, url) for item in items]


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
    if entries is not None:
        return _discovered(entries, url, "utf-8", lang)
    found = fast_feed_items(body, url, headers, lang=lang)
    return found if found is not None else feedparser_feed_items(body, url, headers, lang=lang)


def fast_feed_items(body: bytes, url: str, headers: Mapping[str, str] | None = None, *,
                    lang: str | None = None) -> list[Discovered] | None:
    """`parse_feed`'s items by the lxml fast path, or None where it leaves the feed to feedparser."""
    try:
        entries = _fast_entries(_clean_bytes(body), url, headers)
        return _discovered(entries, url, "utf-8", lang, strict_dates=True)
    except _NotFast:
        return None


def feedparser_feed_items(body: bytes, url: str, headers: Mapping[str, str] | None = None, *,
                          lang: str | None = None) -> list[Discovered]:
    """`parse_feed`'s items read by feedparser (every XML feed format it knows)."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers.setdefault("content-location", url)
    parsed = feedparser.parse(_clean_bytes(body), response_headers=response_headers,
                              resolve_relative_uris=False, sanitize_html=False)
    if not parsed.entries and parsed.get("bozo") and not parsed.get("feed"):
        raise FeedError(f"{url}: not a feed ({parsed.get('bozo_exception')})")
    return _discovered(parsed.entries, url, parsed.get("encoding"), lang)


def _discovered(entries: list[Any], url: str, encoding: str | None, lang: str | None, *,
                strict_dates: bool = False) -> list[Discovered]:
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
        if published is None and strict_dates and any(entry.get(k) for k in _DATE_KEYS):
            raise _NotFast("a date only feedparser's own date parser may read")
        text = html_to_text(_body_html(entry))
        inline = None
        if len(text) >= INLINE_MIN_CHARS:
            inline = ParsedPage(url=canonical, title=title, published=published,
                                lang=detect_lang(text) or lang, text=text, charset=encoding,
                                charset_method="feed")
        out.append(Discovered(url=canonical, kind=UrlKind.ARTICLE, title=title, published=published,
                              inline_article=inline))
    return out
