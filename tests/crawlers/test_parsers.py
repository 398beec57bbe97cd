"""Charset, article, feed, sitemap and listing parsing on real saved data and small cases."""

from __future__ import annotations

import datetime as dt
import gzip
import html
import json
import re
from pathlib import Path

import pytest

from crawlers.article import detect_lang, parse_page
from crawlers.charset import decode
from crawlers.dates import SHANGHAI, find_in_text, parse_datetime
from crawlers.feeds import parse_feed
from crawlers.listing import parse_listing
from crawlers.records import UrlKind
from crawlers.sitemaps import SitemapError, parse_sitemap

from .conftest import DATA, shared_data


def _manifest() -> list[dict[str, str]]:
    path = DATA / "html" / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else []


PAGES = _manifest()


# ---- charset ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("page", PAGES or [pytest.param({}, marks=pytest.mark.skip(reason="../shared absent"))],
                         ids=lambda p: p.get("file", "none"))
def test_real_pages_decode_to_their_title(page: dict[str, str]) -> None:
    body = shared_data("html", page["file"]).read_bytes()
    text, codec, method = decode(body)
    actual = page["encoding_actual"].replace("utf-8", "utf_8").replace("-", "_")
    assert codec.replace("-", "_") in (actual, "cp1252" if actual == "iso8859_1" else actual) or (
        actual == "utf_8" and codec == "cp1252" and not re.search(rb"[\x80-\xff]", body))
    title_start = re.sub(r"\s+", " ", page["title"])[:8]
    assert title_start in re.sub(r"\s+", " ", html.unescape(text))  # no mojibake
    if page["encoding_declared"] != page["encoding_actual"] and re.search(rb"[\x80-\xff]", body):
        assert method == "detected"  # the page lies about its charset and we noticed


def test_charset_precedence() -> None:
    gbk = "<html><head><meta charset=gb2312></head><body>融资</body></html>".encode("gbk")
    assert decode(gbk)[1:] == ("gb18030", "meta")
    assert decode(gbk, {"Content-Type": "text/html; charset=GBK"})[1:] == ("gb18030", "header")
    assert decode("\ufeff融资".encode())[1:] == ("utf-8", "bom")
    assert decode("融资".encode("gb18030") * 20)[1:] == ("gb18030", "detected")
    # a header that is provably wrong loses to detection
    utf8 = "<p>完成数千万元融资</p>".encode() * 10
    assert decode(utf8, {"content-type": "text/html; charset=gbk"})[1:] == ("utf-8", "detected")
    xml = '<?xml version="1.0" encoding="GBK"?><rss>融资</rss>'.encode("gbk")
    assert decode(xml)[0].endswith("融资</rss>")


# ---- dates -----------------------------------------------------------------------------------------

def test_dates_from_text_and_values() -> None:
    assert find_in_text("来源：36氪 2024年5月20日 10:30", SHANGHAI) == dt.datetime(2024, 5, 20, 10, 30, tzinfo=SHANGHAI)
    assert find_in_text("发布于 2024-05-20 10:30", SHANGHAI) == dt.datetime(2024, 5, 20, 10, 30, tzinfo=SHANGHAI)
    assert find_in_text("Posted May 20, 2024 at 3:05 pm") == dt.datetime(2024, 5, 20, 15, 5, tzinfo=dt.UTC)
    assert find_in_text("no date here, only 1.2 billion") is None
    assert parse_datetime("2024-05-20T10:30:00Z") == dt.datetime(2024, 5, 20, 10, 30, tzinfo=dt.UTC)
    assert parse_datetime("Mon, 20 May 2024 10:00:00 +0800").utcoffset() == dt.timedelta(hours=8)
    assert parse_datetime("Thu, 01 Jan 1970 00:00:00 +0000") is None  # placeholder, not a date


def _page(head: str, body: str) -> bytes:
    return f"<html><head>{head}</head><body>{body}</body></html>".encode()


def test_published_sources_in_order() -> None:
    para = "<p>" + "某公司宣布完成融资，本轮由某资本领投。" * 10 + "</p>"
    meta = parse_page(_page('<meta property="article:published_time" content="2024-05-20T08:00:00+08:00">',
                            para), "https://a.cn/1")
    assert meta.published == dt.datetime(2024, 5, 20, 8, tzinfo=SHANGHAI) and meta.lang == "zh"
    ld = parse_page(_page('<script type="application/ld+json">{"@type":"NewsArticle","datePublished":'
                          '"2024-05-21T09:00:00+08:00"}</script>', para), "https://a.cn/2")
    assert ld.published is not None and ld.published.day == 21
    visible = parse_page(_page("", '<div class="meta">2024年5月22日 10:30 来源：某网</div>' + para), "https://a.cn/3")
    assert visible.published == dt.datetime(2024, 5, 22, 10, 30, tzinfo=SHANGHAI)
    en = parse_page(_page("", "<p>By Jane, May 23, 2024</p><p>" + "Acme raised money. " * 30 + "</p>"),
                    "https://a.com/4")
    assert en.published == dt.datetime(2024, 5, 23, tzinfo=dt.UTC) and en.lang == "en"
    none = parse_page(_page("<title>x</title>", para), "https://a.cn/5")
    assert none.published is None


def test_lang_by_script() -> None:
    assert detect_lang("字节跳动完成新一轮融资，估值超过 100 billion 美元") == "zh"
    assert detect_lang("ByteDance raised a new round at a 字节 valuation") == "en"
    assert detect_lang("12345") is None


def test_article_text_drops_navigation_and_footer() -> None:
    html = ("<html><head><title>T</title></head><body><nav><ul><li><a href='/'>首页</a></li><li>导航栏目</li></ul></nav>"
            "<article><h1>某公司完成A轮融资</h1>" + "<p>某公司今日宣布完成数千万元A轮融资，由某资本领投。</p>" * 6
            + "</article><div class='related'><a href='/x'>相关阅读：另一篇文章</a></div>"
            "<footer>版权所有 京ICP备12345号</footer></body></html>").encode()
    page = parse_page(html, "https://a.cn/x")
    assert "数千万元A轮融资" in page.text and "京ICP备" not in page.text and "导航栏目" not in page.text


def _gold(path: Path) -> str:
    raw, _, _ = decode(path.read_bytes())  # some expected texts are GBK files
    if path.suffix == ".json":
        data = json.loads(raw)
        return next((data[k] for k in ("articleBody", "content", "cleaned_text", "text") if data.get(k)), "")
    return re.sub(r"<[^>]+>", " ", raw) if path.suffix == ".html" else raw


def _f1(pred: str, gold: str) -> float:
    from collections import Counter

    def tokens(text: str) -> Counter[str]:
        return Counter(re.findall(r"[\u4e00-\u9fff]|[a-z0-9]+", text.lower()))

    p, g = tokens(pred), tokens(gold)
    common = sum((p & g).values())
    return 0.0 if not common else 2 * common / (sum(p.values()) + sum(g.values()))


@pytest.mark.slow
def test_main_text_quality_floor() -> None:
    """Mean token F1 against the expected text (same measure as shared/tools/maintext_eval.py)."""
    shared_data("html", "manifest.json")
    scores: dict[str, list[float]] = {"zh": [], "en": []}
    for page in PAGES:
        if not page.get("ground_truth") or page["source_repo"].startswith("goose3"):
            continue
        parsed = parse_page((DATA / "html" / page["file"]).read_bytes(), page["url"])
        assert parsed.lang == page["language"], page["file"]
        scores[page["language"]].append(_f1(parsed.text, _gold(DATA / "html" / page["ground_truth"])))
    zh, en = (sum(v) / len(v) for v in (scores["zh"], scores["en"]))
    assert zh >= 0.95, f"zh main-text F1 {zh:.3f}"
    assert en >= 0.86, f"en main-text F1 {en:.3f} (plain trafilatura: 0.862)"


# ---- feeds -----------------------------------------------------------------------------------------

FEEDS = [("36kr_feed_2016-10-26_WuCoding_tinyxml2.xml", 100, 99), ("geekpark_feed_2016_WuCoding_tinyxml2.xml", 10, 10),
         ("techcrunch_feed_2023-08-16_mfukano_RSSvelte.xml", 20, 20), ("more/rss092_example_rss-parser.rss", 2, 0),
         ("more/atom_heise_de_rss-parser.atom", 15, 0), ("more/jsonfeed_npr_technology_trafilatura.json", 25, 0),
         ("more/rss2_techcrunch_2011-11-02_feedjira.xml", 20, 20),
         ("more/rss2_jn_pt_iso8859-1_rss-parser.rss", 40, 0),
         ("more/rss_uol_noticias_latin1_nodecl_rss-parser.rss", 15, 0)]


@pytest.mark.parametrize(("name", "items", "inline"), FEEDS)
def test_real_feeds(name: str, items: int, inline: int) -> None:
    found = parse_feed(shared_data("feeds", name).read_bytes(), "https://example.com/feed")
    assert len(found) == items and sum(d.inline_article is not None for d in found) == inline
    assert all(d.url.startswith("http") and d.kind is UrlKind.ARTICLE for d in found)
    assert not any("\ufffd" in (d.title or "") for d in found)  # Latin-1 with or without a declaration


def test_feed_dates_zones_and_placeholders() -> None:
    found = parse_feed(shared_data("feeds", "techweb_feed_2016_WuCoding_tinyxml2.xml").read_bytes(),
                       "http://www.techweb.com.cn/rss", lang="zh")
    assert any(d.published is None for d in found)  # the 1970-01-01 item has no date
    dated = [d.published for d in found if d.published]
    assert dated and all(p.utcoffset() is not None and p.year == 2016 for p in dated)
    inline = next(d.inline_article for d in found if d.inline_article)
    assert inline.lang == "zh" and inline.charset_method == "feed" and len(inline.text) >= 400


def test_feed_entities_are_not_expanded() -> None:
    lol = '<!ENTITY a "' + "x" * 1000 + '">' + "".join(
        f'<!ENTITY {c} "{("&" + p + ";") * 10}">' for p, c in zip("abcdefg", "bcdefgh", strict=True))
    bomb = (f'<?xml version="1.0"?><!DOCTYPE r [{lol}]><rss version="2.0"><channel><title>t</title>'
            '<item><title>&h;</title><link>http://a.com/1</link></item></channel></rss>').encode()
    found = parse_feed(bomb, "http://a.com/feed")
    assert len(found) == 1 and len(found[0].title or "") < 100
    xxe = (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss version="2.0">'
           b"<channel><item><title>&x;</title><link>http://a.com/2</link></item></channel></rss>")
    assert "root:" not in (parse_feed(xxe, "http://a.com/feed")[0].title or "")


def test_blank_line_before_xml_declaration() -> None:
    body = shared_data("feeds", "more", "rss2_techcrunch_2011-11-02_feedjira.xml").read_bytes()
    assert body[:1].isspace()
    assert len(parse_feed(body, "http://techcrunch.com/feed/")) == 20


# ---- sitemaps --------------------------------------------------------------------------------------

def test_google_news_sitemap() -> None:
    found = parse_sitemap(shared_data("feeds", "more", "sitemap_google_news_nytimes_2020_advertools.xml").read_bytes(),
                          "https://www.nytimes.com/sitemaps/news.xml")
    assert len(found) == 6 and all(d.title and d.published and d.published.tzinfo for d in found)


def test_sitemap_index_gzip_and_hreflang() -> None:
    index = parse_sitemap(shared_data("feeds", "more", "sitemap_index_advertools.xml").read_bytes(), "https://x.io/")
    assert index and all(d.kind is UrlKind.SITEMAP for d in index)
    gz = parse_sitemap(shared_data("feeds", "more", "sitemap_gzipped_advertools.xml.gz").read_bytes(), "https://g/")
    assert len(gz) == 5
    lang = parse_sitemap(shared_data("feeds", "more", "sitemap_hreflang_trafilatura.xml").read_bytes(), "https://e/")
    assert len(lang) == 4 and len({d.url for d in lang}) == 4


def test_sitemap_is_parsed_safely() -> None:
    xxe = (b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>http://a.com/&x;</loc></url></urlset>')
    assert all("root" not in d.url for d in parse_sitemap(xxe, "http://a.com/s.xml"))
    with pytest.raises(SitemapError):
        parse_sitemap(gzip.compress(b"<urlset>" + b" " * 200_000 + b"</urlset>"), "http://a.com/s", limit=100_000)
    with pytest.raises(SitemapError):
        parse_sitemap(b"<html><body>not a sitemap</body></html>", "http://a.com/s")


# ---- listings --------------------------------------------------------------------------------------

def test_listing_links_by_selector() -> None:
    html = ('<html><head><base href="https://36kr.com/news/"></head><body><a class="nav" href="/">home</a>'
            '<div class="item"><a class="t" href="p/1.html?utm_source=x">一</a></div>'
            '<div class="item"><h3><a href="https://36kr.com/news/p/1.html">一again</a></h3></div>'
            '<div class="item"><a class="t" href="javascript:void(0)">x</a></div>'
            '<div class="item"><a class="t" href="/p/2.html"> 二 </a></div></body></html>').encode()
    found = parse_listing(html, "https://36kr.com/list", "div.item")
    assert [d.url for d in found] == ["https://36kr.com/news/p/1.html", "https://36kr.com/p/2.html"]
    assert found[1].title == "二"
