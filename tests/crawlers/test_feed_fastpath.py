"""The lxml fast path in crawlers/feeds.py gives exactly feedparser's items wherever it accepts a feed."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawlers import feeds
from crawlers.feeds import fast_feed_items, feedparser_feed_items, parse_feed

from .conftest import DATA

ROOT = Path(__file__).resolve().parents[2]
SHARED_FEEDS = sorted(p for d in (DATA / "feeds", DATA / "feeds" / "more") if d.is_dir() for p in d.iterdir()
                      if p.is_file() and not p.name.startswith("sitemap") and p.suffix in (".xml", ".rss", ".atom", ".json"))
FIXTURE_FEEDS = sorted((ROOT / "fixtures" / "site").glob("*/feed.xml"))
HEADERS = [None, {"Content-Type": "application/rss+xml; charset=utf-8"}, {"Content-Type": "text/xml"}]
# feeds the fast path must take (so a regression that declines everything cannot pass silently)
MUST_ACCEPT = {"leiphone_feed_2016_WuCoding_tinyxml2.xml", "techcrunch_feed_2023-08-16_mfukano_RSSvelte.xml",
               "atom_heise_de_rss-parser.atom", "rss2_content_encoded_rss-parser.rss"}


def _body(path: Path) -> bytes:
    body = path.read_bytes()
    return body.replace(b"{{BASE}}", b"http://127.0.0.1:8765") if "fixtures" in path.parts else body


def _same(path: Path, headers: dict[str, str] | None, lang: str | None) -> bool:
    body, url = _body(path), "https://example.com/feed"
    fast = fast_feed_items(body, url, headers, lang=lang)
    if fast is None:
        return False
    slow = feedparser_feed_items(body, url, headers, lang=lang)
    assert [(d.url, d.title, d.published, d.inline_article is not None) for d in fast] == \
           [(d.url, d.title, d.published, d.inline_article is not None) for d in slow]
    assert fast == slow  # the inline articles too: text, language, charset
    assert all(d.published is None or d.published.tzinfo is not None for d in fast)
    return True


@pytest.mark.skipif(not SHARED_FEEDS, reason="../shared/data/feeds is absent (real feeds not available)")
@pytest.mark.parametrize("path", SHARED_FEEDS, ids=lambda p: p.name)
@pytest.mark.parametrize("lang", [None, "zh"])
def test_fast_path_matches_feedparser_on_real_feeds(path: Path, lang: str | None) -> None:
    accepted = [_same(path, headers, lang) for headers in HEADERS]
    if path.name in MUST_ACCEPT:
        assert accepted[0], f"{path.name}: the fast path should read this plain feed"


@pytest.mark.parametrize("path", FIXTURE_FEEDS, ids=lambda p: p.parent.name)
def test_fast_path_matches_feedparser_on_fixtures(path: Path) -> None:
    assert _same(path, None, path.parent.name), "the fixture feeds are plain RSS 2.0: the fast path takes them"


@pytest.mark.parametrize("body", [
    b'<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0"><channel></channel></rss>',
    b'<rss version="0.92"><channel><item><link>http://a.com/1</link></item></channel></rss>',
    b'<rss version="2.0"><channel><item><link>http://a.com/1</link><foo:x xmlns:foo="urn:x">t</foo:x>'
    b'</item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>a<b>c</b></title><link>http://a.com/1</link></item></channel></rss>',
    b'<rss version="2.0"><channel><item><title>&nbsp;</title><link>http://a.com/1</link></item></channel></rss>',
    b'<rss version="2.0" xml:base="http://b.com/"><channel><item><link>/1</link></item></channel></rss>',
    b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">'
    b'x</div></title><link href="http://a.com/1"/></entry></feed>',
    b'<rss version="2.0"><channel><item><link>http://a.com/1</link><pubDate>someday</pubDate></item></channel></rss>',
])
def test_fast_path_declines_what_it_does_not_handle(body: bytes) -> None:
    assert fast_feed_items(body, "http://a.com/feed") is None
    try:
        parse_feed(body, "http://a.com/feed")  # feedparser reads it, or says it is not a feed
    except feeds.FeedError:
        pass


def test_fast_path_does_not_expand_entities() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b'<rss version="2.0"><channel><item><title>&b;</title><link>http://a.com/1</link></item></channel></rss>')
    entries = None
    try:
        entries = feeds._fast_entries(feeds._clean_bytes(bomb), "http://a.com/feed", None)
    except feeds._NotFast:
        pass
    assert entries is None or "aaaa" not in str(entries)
    assert "aaaa" not in str(parse_feed(bomb, "http://a.com/feed"))
