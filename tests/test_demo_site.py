"""The demo news site: the server's HTTP behaviour and the fixtures' consistency with expected.json."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import httpx
import pytest
from bs4 import BeautifulSoup

from crawlers.demo_site import DEFAULT_ROOT, DemoSite, serve_site

SITE = DEFAULT_ROOT
EXPECTED = json.loads((SITE / "expected.json").read_text(encoding="utf-8"))
ARTICLES: dict[str, dict] = EXPECTED["articles"]
OUTLETS = ("zh", "en")
ARTICLE_FILES = sorted(str(p.relative_to(SITE)) for p in SITE.glob("*/articles/**/*.html"))
# fmt: off
CANONICAL_ROUNDS = {
    "pre-seed", "seed", "angel", "angel+", "pre-A", "pre-A+", "pre-B", "pre-IPO",
    "strategic", "growth", "debt", "convertible",
} | {f"{letter}{suffix}" for letter in "ABCDEFGHIJK" for suffix in ("", "+", "1", "2", "3")}
EVENT_FIELDS = {
    "company", "company_aliases", "amount_text", "currency", "amount", "amount_min", "amount_max",
    "round", "round_text", "lead_investors", "investors", "date", "date_precision", "is_current", "status",
}
# fmt: on
SITEMAP_NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@pytest.fixture(scope="module")
def site() -> Iterator[DemoSite]:
    with serve_site(SITE) as running:
        yield running


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


def url_of(site: DemoSite, key: str) -> str:
    entry = ARTICLES[key]
    return site.base_url(entry["outlet"]) + entry["path"]


def page_text(raw: bytes, encoding: str) -> str:
    return BeautifulSoup(raw.decode(encoding), "html.parser").get_text(" ")


def feed_links(site: DemoSite, client: httpx.Client, outlet: str) -> list[str]:
    root = ET.fromstring(client.get(site.base_url(outlet) + "/feed.xml").content)
    return [item.findtext("link") or "" for item in root.iter("item")]


def sitemap_locs(site: DemoSite, client: httpx.Client, outlet: str) -> list[str]:
    root = ET.fromstring(client.get(site.base_url(outlet) + "/sitemap.xml").content)
    return [loc.text or "" for loc in root.iterfind("sm:url/sm:loc", SITEMAP_NS)]


# --- the server -----------------------------------------------------------------------------------


def test_each_outlet_is_its_own_host_port(site: DemoSite) -> None:
    assert site.base_url_zh.startswith("http://127.0.0.1:")
    assert site.base_url_en.startswith("http://127.0.0.1:")
    assert site.base_url_zh != site.base_url_en


@pytest.mark.parametrize("outlet", OUTLETS)
def test_robots_allows_all_and_names_the_sitemap(site: DemoSite, client: httpx.Client, outlet: str) -> None:
    response = client.get(site.base_url(outlet) + "/robots.txt")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Allow: /" in response.text and "Disallow: /" not in response.text
    assert f"Sitemap: {site.base_url(outlet)}/sitemap.xml" in response.text


@pytest.mark.parametrize("outlet", OUTLETS)
def test_feed_is_rss_with_absolute_links_and_summaries(
    site: DemoSite, client: httpx.Client, outlet: str
) -> None:
    response = client.get(site.base_url(outlet) + "/feed.xml")
    assert response.headers["content-type"].startswith("application/rss+xml")
    assert b"{{BASE}}" not in response.content
    root = ET.fromstring(response.content)
    assert root.tag == "rss" and root.get("version") == "2.0"
    items = list(root.iter("item"))
    assert len(items) >= 5
    for item in items:
        assert item.findtext("title")
        assert (item.findtext("link") or "").startswith(site.base_url(outlet) + "/articles/")
        assert item.findtext("pubDate")
        summary = item.findtext("description") or ""
        assert 0 < len(summary) < 200, "feed items carry a summary, not the full body"


@pytest.mark.parametrize("outlet", OUTLETS)
def test_sitemap_lists_every_article_with_lastmod(site: DemoSite, client: httpx.Client, outlet: str) -> None:
    response = client.get(site.base_url(outlet) + "/sitemap.xml")
    assert response.headers["content-type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    urls = root.findall("sm:url", SITEMAP_NS)
    assert all(url.findtext("sm:lastmod", namespaces=SITEMAP_NS) for url in urls)
    locs = set(sitemap_locs(site, client, outlet))
    files = {url_of(site, key) for key in ARTICLE_FILES if key.startswith(outlet + "/")}
    assert files <= locs
    sitemap_only = locs - set(feed_links(site, client, outlet)) - {site.base_url(outlet) + "/"}
    assert sitemap_only, "at least one article is discoverable only through the sitemap"


@pytest.mark.parametrize("outlet", OUTLETS)
def test_index_links_to_the_feed_articles(site: DemoSite, client: httpx.Client, outlet: str) -> None:
    response = client.get(site.base_url(outlet) + "/")
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    soup = BeautifulSoup(response.text, "html.parser")
    links = {a["href"] for a in soup.find_all("a", href=True)}
    assert set(feed_links(site, client, outlet)) <= links


@pytest.mark.parametrize("key", ARTICLE_FILES)
def test_article_pages_look_like_news_pages(site: DemoSite, client: httpx.Client, key: str) -> None:
    entry = ARTICLES[key]
    response = client.get(url_of(site, key))
    assert response.status_code == 200
    assert b"{{BASE}}" not in response.content
    soup = BeautifulSoup(response.content.decode(entry["encoding"]), "html.parser")
    assert soup.find("nav") and soup.find(class_="breadcrumb") and soup.find("footer")
    h1 = soup.find("h1")
    assert h1 is not None and h1.get_text(strip=True) == entry["title"]
    base = site.base_url(entry["outlet"])
    internal = [a["href"] for a in soup.find_all("a", href=True) if a["href"].startswith(base + "/articles/")]
    assert len(internal) >= 3, "related-articles links are absolute links to the same outlet"
    paragraphs = [p.get_text() for p in soup.select("article p")]
    body = "".join(paragraphs) if entry["lang"] == "zh" else " ".join(paragraphs).split()
    assert 200 <= len(body) <= 800


def test_the_gbk_page_is_gbk_and_says_so_only_in_the_page(site: DemoSite, client: httpx.Client) -> None:
    gbk = [key for key, entry in ARTICLES.items() if entry["encoding"] == "gbk"]
    assert len(gbk) == 1
    response = client.get(url_of(site, gbk[0]))
    assert response.headers["content-type"] == "text/html"
    with pytest.raises(UnicodeDecodeError):
        response.content.decode("utf-8")
    text = response.content.decode("gbk")
    assert '<meta charset="gbk">' in text
    assert ARTICLES[gbk[0]]["title"] in text


def test_conditional_get_answers_304(site: DemoSite, client: httpx.Client) -> None:
    url = site.base_url_zh + "/feed.xml"
    first = client.get(url)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200
    not_modified = client.get(url, headers={"If-None-Match": etag})
    assert not_modified.content == b"" and not_modified.headers["etag"] == etag


def test_etag_differs_between_outlets_for_same_named_file(site: DemoSite, client: httpx.Client) -> None:
    zh = client.get(site.base_url_zh + "/robots.txt").headers["etag"]
    en = client.get(site.base_url_en + "/robots.txt").headers["etag"]
    assert zh != en  # the substituted base URL is part of the body


@pytest.mark.parametrize(
    "path", ["/nope.html", "/articles/999999.html", "/../expected.json", "/%2e%2e/expected.json"]
)
def test_unknown_paths_are_404(site: DemoSite, client: httpx.Client, path: str) -> None:
    assert client.get(site.base_url_zh + path).status_code == 404


def test_serving_is_quiet_and_stop_stops(capfd: pytest.CaptureFixture[str]) -> None:
    with serve_site(SITE) as running, httpx.Client(timeout=5.0) as c:
        assert c.get(running.base_url_en + "/").status_code == 200
        assert c.get(running.base_url_en + "/missing").status_code == 404
        running.stop()
        with pytest.raises(httpx.ConnectError):
            c.get(running.base_url_en + "/")
    captured = capfd.readouterr()
    assert captured.err == "" and captured.out == ""


def test_module_main_prints_both_base_urls() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "crawlers.demo_site"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in OUTLETS]
        urls = dict(line.split(": ", 1) for line in lines)
        assert set(urls) == set(OUTLETS)
        assert httpx.get(urls["zh"] + "/robots.txt", timeout=5.0).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=5)


# --- expected.json against the pages -------------------------------------------------------------


def test_page_counts() -> None:
    zh = [key for key in ARTICLE_FILES if key.startswith("zh/")]
    en = [key for key in ARTICLE_FILES if key.startswith("en/")]
    assert len(zh) >= 7 and len(en) >= 6
    assert set(ARTICLE_FILES) == set(ARTICLES)
    for outlet in OUTLETS:
        funding = [e for e in ARTICLES.values() if e["outlet"] == outlet and e["is_funding"]]
        non_funding = [e for e in ARTICLES.values() if e["outlet"] == outlet and not e["is_funding"]]
        assert len(funding) >= 4 and len(non_funding) >= 2


@pytest.mark.parametrize("outlet", OUTLETS)
def test_every_discovered_url_has_an_expectation(site: DemoSite, client: httpx.Client, outlet: str) -> None:
    known = {url_of(site, key): key for key in ARTICLES}
    discovered = set(feed_links(site, client, outlet)) | set(sitemap_locs(site, client, outlet))
    discovered.discard(site.base_url(outlet) + "/")
    assert discovered <= set(known)
    in_feed = {known[url] for url in feed_links(site, client, outlet)}
    for key, entry in ARTICLES.items():
        if entry["outlet"] == outlet:
            assert entry["in_feed"] == (key in in_feed)


@pytest.mark.parametrize("key", sorted(ARTICLES))
def test_expectations_match_the_page(key: str) -> None:
    entry = ARTICLES[key]
    raw = (SITE / key).read_bytes()
    text = page_text(raw, entry["encoding"])
    assert entry["is_funding"] == bool(entry["events"])
    assert DATE.match(entry["published"]) and entry["published_datetime"].startswith(entry["published"])
    soup = BeautifulSoup(raw.decode(entry["encoding"]), "html.parser")
    meta = soup.find("meta", attrs={"property": "article:published_time"})
    if entry["published_source"] == "meta":
        assert meta is not None and meta["content"].startswith(entry["published"])
    else:
        assert entry["published_source"] == "visible" and meta is None
        assert soup.find("time") is None, "a visible-only date has no machine-readable twin"
    assert entry["published_text"] in text
    for event in entry["events"]:
        assert EVENT_FIELDS <= set(event)
        assert event["round"] is None or event["round"] in CANONICAL_ROUNDS
        assert set(event["lead_investors"]) <= set(event["investors"])
        assert event["date"] is None or DATE.match(event["date"])
        assert event["company"] in text
        for name in [*event["company_aliases"], *event["investors"]]:
            assert name in text
        if event["amount_text"] is not None:
            assert event["amount_text"] in text
        assert (event["amount"] is None) or (event["currency"] is not None)
    assert any(event["is_current"] for event in entry["events"]) or not entry["is_funding"]
    for phrase in entry["not_events"]:
        assert phrase in text


def test_same_event_pairs_cross_outlets_a_day_apart() -> None:
    assert EXPECTED["same_event"]
    for pair in EXPECTED["same_event"]:
        first, second = (ARTICLES[key] for key in pair["articles"])
        assert {first["outlet"], second["outlet"]} == set(OUTLETS)
        a, b = (next(e for e in entry["events"] if e["is_current"]) for entry in (first, second))
        same = ("round", "currency", "amount", "date")
        assert [a[name] for name in same] == [b[name] for name in same]
        names_a = {a["company"], *a["company_aliases"]}
        names_b = {b["company"], *b["company_aliases"]}
        assert names_a & names_b, "the bilingual name ties the two reports together"
        published = sorted(dt.date.fromisoformat(entry["published"]) for entry in (first, second))
        assert published[1] - published[0] == dt.timedelta(days=1)
