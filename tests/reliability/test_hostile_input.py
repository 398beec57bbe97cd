"""Hostile input to the extractor and the parsers: random bytes and text, huge documents, markup
nested 10,000 deep, long runs of digits and currency signs, mixed scripts. Never a crash, bounded
time per document, bounded memory."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawlers.article import parse_page
from crawlers.charset import decode
from crawlers.feeds import FeedError, parse_feed
from crawlers.sitemaps import SitemapError, parse_sitemap
from extractor.pipeline import Extractor
from extractor.records import Article

from .conftest import record

URL = "http://127.0.0.1:1/x"
MB = 1024 * 1024
FUNDING_WORDS = ["融资", "亿元", "万美元", "A轮", "B+轮", "领投", "跟投", "完成", "宣布", "raised", "Series A",
                 "million", "billion", "led by", "$", "¥", "€", "£", "US$", "RMB", "数千万", "近亿", "Pre-A",
                 "Capital", "Ventures", "科技", "有限公司", "。", "，", ".", " ", "\n", "0", "1", "9", "1,000",
                 "раунд", "تمويل", "資金調達", "🚀", "\u200b", "\ufeff"]
text_docs = st.one_of(
    st.text(max_size=3000),
    st.lists(st.sampled_from(FUNDING_WORDS), max_size=600).map("".join),
    st.lists(st.one_of(st.sampled_from(FUNDING_WORDS), st.text(max_size=20)), max_size=300).map(" ".join),
)
byte_docs = st.one_of(st.binary(max_size=5000), text_docs.map(lambda t: t.encode("utf-8", "surrogatepass")),
                      st.lists(st.sampled_from([b"<div>", b"</div>", b"<p>", b"<item>", b"<url>", b"<loc>", b"&amp;",
                                                b"<![CDATA[", b"]]>", b"<!--", b"-->", b"<?xml", b"<!DOCTYPE",
                                                b"\xff", b"\xe4\xb8", b"charset=gbk", b"<meta charset=utf-16>"]),
                               max_size=400).map(b"".join))
HYP = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HUGE: dict[str, Callable[[], bytes]] = {
    "nested-div-10k": lambda: b"<html><body>" + b"<div>" * 10000 + "深圳某科技完成1亿元A轮融资".encode() + b"</div>" * 10000,
    "nested-unclosed-10k": lambda: b"<b><i>" * 10000 + b"text",
    "nested-xml-10k": lambda: b"<urlset><url>" + b"<loc>" * 10000 + b"</loc>" * 10000 + b"</url></urlset>",
    "nested-rss-10k": lambda: b"<rss><channel><item><description>" + b"&lt;div&gt;" * 10000 + b"</description></item>"
                              b"</channel></rss>",
    "digits-1mb": lambda: b"1" * MB,
    "currency-1mb": lambda: "$¥€£".encode() * (MB // 10),
    "mixed-scripts-1mb": lambda: ("融资 Series A 亿元 $5m раунд تمويل 資金 " * 30000).encode()[:MB],
    "scripts-no-cue-1mb": lambda: ("Привет 世界 مرحبا שלום こんにちは ١٢٣ 123 " * 40000).encode()[:MB],
    "random-1mb": lambda: bytes((i * 7919 + 13) % 251 for i in range(MB)),
    "one-huge-tag-1mb": lambda: b"<a href='" + b"x" * MB + b"'>",
}


@pytest.fixture(scope="module")
def extractor() -> Iterator[Extractor]:
    loaded = Extractor.load("spacy")
    loaded.extract(Article(id="warm", text="深圳某科技完成1亿元A轮融资。", lang="zh"))
    loaded.extract(Article(id="warm", text="Acme raised $5 million in a Series A.", lang="en"))
    yield loaded


def _call(call: Callable[[], object]) -> None:
    try:
        call()
    except (FeedError, SitemapError):
        pass  # the documented "not a feed/sitemap" answer


def _bounded(call: Callable[[], object], seconds: float, memory: int | None) -> tuple[float, int]:
    """Time one call plainly, then (when `memory`) its peak under tracemalloc, which slows it."""
    start = time.monotonic()
    _call(call)
    elapsed = time.monotonic() - start
    assert elapsed < seconds
    if memory is None:
        return elapsed, 0
    tracemalloc.start()
    _call(call)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < memory
    return elapsed, peak


PARSERS: dict[str, Callable[[bytes], object]] = {
    "parse_page": lambda b: parse_page(b, URL, {"content-type": "text/html"}),
    "parse_feed": lambda b: parse_feed(b, URL, lang="zh"),
    "parse_sitemap": lambda b: parse_sitemap(b, URL),
    "charset.decode": lambda b: decode(b, {"content-type": "text/html; charset=gbk"}),
}


@pytest.mark.parametrize("parser", list(PARSERS))
@pytest.mark.parametrize("doc", list(HUGE))
def test_parsers_on_huge_and_deep_documents(parser: str, doc: str) -> None:
    elapsed, peak = _bounded(lambda: PARSERS[parser](HUGE[doc]()), 5.0, 256 * MB)
    if doc == "nested-div-10k":
        record(f"{parser}: huge/deep documents", len(HUGE), f"no crash; e.g. 10k nested divs {elapsed:.2f} s, "
               f"{peak / MB:.0f} MiB")


# 1 MB dense with funding sentences is the xfail below; these hold no cue beyond a few words
# (the 10k nested divs as text make one 60 kB "sentence" with a cue: 8-11 s, the same missing cap)
@pytest.mark.parametrize("doc", ["digits-1mb", "currency-1mb", "scripts-no-cue-1mb", "random-1mb"])
@pytest.mark.parametrize("lang", ["zh", "en", None])
def test_extractor_on_huge_documents(extractor: Extractor, doc: str, lang: str | None) -> None:
    text = HUGE[doc]().decode("utf-8", "replace")
    _bounded(lambda: extractor.extract(Article(id="h", text=text, title=text[:300], lang=lang)), 5.0, None)


def test_extractor_time_on_a_funding_dense_document_is_bounded(extractor: Extractor) -> None:
    text = ("深圳云帆智能科技今日宣布完成3亿元B轮融资，由红杉中国领投。" * 4000)[:34000]  # 100 kB of UTF-8
    start = time.monotonic()
    extractor.extract(Article(id="dense", text=text, lang="zh"))
    elapsed = time.monotonic() - start
    record("extractor: 100 kB of funding sentences", 1, f"{elapsed:.1f} s (bound pro rata 5 s/MB = 0.5 s; bug)")
    assert elapsed < 0.5


@HYP
@given(text_docs, st.sampled_from(["zh", "en", None]))
def test_extractor_never_crashes_on_random_text(extractor: Extractor, text: str, lang: str | None) -> None:
    start = time.monotonic()
    events = extractor.extract(Article(id="r", text=text, title=text[:80] or None, lang=lang))
    assert time.monotonic() - start < 5.0
    for event in events:
        assert event.company and (event.amount_min is None or event.amount_min >= 0)


@HYP
@given(byte_docs)
def test_parse_page_never_crashes(body: bytes) -> None:
    start = time.monotonic()
    page = parse_page(body, URL)
    assert isinstance(page.text, str) and time.monotonic() - start < 5.0


@HYP
@given(byte_docs)
def test_feed_and_sitemap_parsers_answer_or_refuse(body: bytes) -> None:
    for parse in (lambda: parse_feed(body, URL), lambda: parse_sitemap(body, URL)):
        try:
            found = parse()
        except (FeedError, SitemapError):
            continue
        assert all(d.url.startswith("http") for d in found)


@HYP
@given(st.binary(max_size=3000), st.text(max_size=30))
def test_decode_with_a_random_declared_charset_never_crashes(body: bytes, header: str) -> None:
    text, _codec, method = decode(body, {"content-type": f"text/html; charset={header}"})
    assert isinstance(text, str) and method in ("header", "bom", "meta", "detected")


NON_TEXT_CODECS = ["base64", "hex", "rot13", "zip", "bz2", "quopri", "uu", "idna", "punycode", "undefined"]


@pytest.mark.parametrize("where", ["header", "meta"])
def test_a_non_text_codec_label_is_ignored(where: str) -> None:
    crashed = []
    for name in NON_TEXT_CODECS:
        # a GBK body (not valid UTF-8), as Chinese sites serve
        body = f'<html><head><meta charset="{name}"></head><body><p>深圳某科技</p></body></html>'.encode("gbk")
        headers = {"content-type": f"text/html; charset={name}"} if where == "header" else {"content-type": "text/html"}
        try:
            parse_page(body, URL, headers)
        except (LookupError, UnicodeError):
            crashed.append(name)
    record(f"charset label of a non-text codec ({where})", len(NON_TEXT_CODECS),
           f"parse_page raised on {len(crashed)}: {', '.join(crashed)} (bug)" if crashed else "all ignored",
           "the page (given up as kind 'error')" if crashed else "none")
    assert crashed == []
