"""The crawl engine end to end against a real local server and the real Store."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crawlers.records import SourceSummary
from crawlers.run import crawl
from crawlers.settings import CrawlSettings
from crawlers.sources import Listing, Source, SourceKind

from .conftest import LocalSite, Reply, shared_data

store_module = pytest.importorskip("extractor.store", reason="extractor.store (the Store) is not available")
Store = store_module.Store

ARTICLE = """<html><head><title>{title}</title><meta property="article:published_time" content="2024-05-20T10:30:00+08:00">
</head><body><nav><a href="/">首页</a> <a href="/about">关于</a></nav><article><h1>{title}</h1>
<p>{body}</p><p>{body}</p><p>{body}</p></article><footer>版权所有 2024</footer></body></html>"""


def _article(title: str) -> str:
    body = f"{title}今日宣布完成数千万元A轮融资，由某某资本领投，老股东跟投。本轮融资将用于研发与市场拓展。"
    return ARTICLE.format(title=title, body=body)


def _rss(items: list[tuple[str, str]]) -> str:
    entries = "".join(f"<item><title>{t}</title><link>{link}</link><description>short</description>"
                      f"<pubDate>Mon, 20 May 2024 10:00:00 +0800</pubDate></item>" for link, t in items)
    return f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>{entries}</channel></rss>'


def _build_site(site: LocalSite) -> Source:
    for i in range(1, 6):
        site.add(f"/news/{i}.html", _article(f"公司{i}"))
    gbk = _article("深圳某某科技").replace("utf-8", "gbk").encode("gbk")
    site.add("/news/gbk.html", gbk, content_type="text/html; charset=gbk")
    site.add("/feed.xml", _rss([(site.url("/news/1.html?utm_source=rss"), "公司1"),
                                (site.url("/news/2.html#comments"), "公司2"),
                                (site.url("/news/gbk.html"), "深圳")]), content_type="application/rss+xml")
    sitemap = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               + "".join(f"<url><loc>{site.url(p)}</loc></url>" for p in ("/news/2.html", "/news/3.html?spm=a.b"))
               + "</urlset>")
    site.add("/sitemap.xml", sitemap, content_type="application/xml")
    site.add("/list", '<ul><li class="it"><a href="/news/4.html">4</a></li><li class="it"><a href="news/5.html">5</a>'
                      '</li><li class="it"><a href="/news/1.html">1</a></li></ul>')
    return Source(name="local", title="本地", lang="zh", kind=SourceKind.NEWS, homepage=site.url("/"),
                  feeds=(site.url("/feed.xml"),), sitemaps=(site.url("/sitemap.xml"),),
                  listings=(Listing(site.url("/list"), "li.it"),), interval_s=600)


def _articles(store: object) -> list[tuple[str, str, str | None]]:
    return store.conn.execute("SELECT url, title, charset FROM articles ORDER BY url").fetchall()  # type: ignore[attr-defined]


def test_once_discovers_from_feed_sitemap_and_listing(site: LocalSite, fast_settings: CrawlSettings) -> None:
    source = _build_site(site)
    store = Store.memory()
    seen_ids: list[int] = []
    updates: list[str] = []

    def on_article(article_id: int) -> int:
        seen_ids.append(article_id)
        return 1

    summaries = asyncio.run(crawl(store, [source], fast_settings, once=True, on_article=on_article,
                                  progress=lambda name, s: updates.append(name)))
    rows = _articles(store)
    assert [r[0].rsplit("/", 1)[1] for r in rows] == ["1.html", "2.html", "3.html", "4.html", "5.html", "gbk.html"]
    assert all(site.hits[f"/news/{i}.html"] == 1 for i in range(1, 6))  # tracking variants fetched once
    gbk = next(r for r in rows if r[0].endswith("gbk.html"))
    assert gbk[1] == "深圳某某科技" and gbk[2] == "gb18030"
    summary = summaries["local"]
    assert summary.new_articles == 6 and summary.events == 6 and len(seen_ids) == 6
    assert summary.fetched == 9 and summary.errors == {}
    assert updates and set(updates) == {"local"}


def test_second_pass_uses_conditional_get(site: LocalSite, fast_settings: CrawlSettings) -> None:
    feed = _rss([(site.url("/news/1.html"), "公司1")]).encode()
    site.add("/news/1.html", _article("公司1"))

    def handler(path: str, headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"f1"':
            return Reply(b"", 304, {"ETag": '"f1"'})
        return Reply(feed, 200, {"ETag": '"f1"', "Content-Type": "application/rss+xml"})

    site.handle("/feed.xml", handler)
    source = Source(name="s", title="s", lang="zh", kind=SourceKind.NEWS, homepage=site.url("/"),
                    feeds=(site.url("/feed.xml"),), interval_s=600)
    store = Store.memory()
    first = asyncio.run(crawl(store, [source], fast_settings, once=True))["s"]
    assert first.new_articles == 1 and first.not_modified == 0
    store.conn.execute("UPDATE frontier SET next_due = '2000-01-01T00:00:00+00:00' WHERE kind = 'feed'")
    second = asyncio.run(crawl(store, [source], fast_settings, once=True))["s"]
    assert second.not_modified == 1 and second.new_articles == 0 and second.fetched == 0
    assert site.hits["/news/1.html"] == 1


def test_failures_are_counted_by_kind_and_do_not_stop_the_crawl(site: LocalSite, fast_settings: CrawlSettings) -> None:
    site.add("/news/ok.html", _article("好"))
    site.add("/news/gone.html", "gone", status=404)
    site.add("/news/img.html", b"\x89PNG", content_type="image/png")
    site.add("/feed.xml", _rss([(site.url(p), p) for p in ("/news/ok.html", "/news/gone.html", "/news/img.html",
                                                          "/news/missing.html")]),
             content_type="application/rss+xml")
    source = Source(name="s", title="s", lang="zh", kind=SourceKind.NEWS, homepage=site.url("/"),
                    feeds=(site.url("/feed.xml"),))
    store = Store.memory()
    summary = asyncio.run(crawl(store, [source], fast_settings, once=True))["s"]
    assert summary.new_articles == 1
    assert summary.errors == {"http_404": 2, "content_type": 1}
    states = dict(store.conn.execute("SELECT url, state FROM frontier WHERE kind = 'article'").fetchall())
    assert sorted(states.values()) == ["done", "failed", "failed", "failed"]


def test_real_feed_items_with_full_body_become_articles(site: LocalSite, fast_settings: CrawlSettings) -> None:
    body = shared_data("feeds", "36kr_feed_2016-10-26_WuCoding_tinyxml2.xml").read_bytes()
    local = body.replace(b"http://36kr.com/", site.url("/36kr.com/").encode())
    site.add("/feed", local, content_type="application/rss+xml; charset=utf-8")
    site.handle_prefix("/36kr.com/", lambda path, headers: Reply(_article("三十六氪").encode(), 200,
                                                                 {"Content-Type": "text/html; charset=utf-8"}))
    source = Source(name="36kr", title="36氪", lang="zh", kind=SourceKind.NEWS, homepage=site.url("/"),
                    feeds=(site.url("/feed"),))
    store = Store.memory()
    summary = asyncio.run(crawl(store, [source], fast_settings, once=True))["36kr"]
    fetched_articles = sum(n for p, n in site.hits.items() if p.startswith("/36kr.com/"))
    assert summary.new_articles == 100 and fetched_articles == 1  # 99 carried their body in the feed
    langs = {r[0] for r in store.conn.execute("SELECT lang FROM articles")}
    assert langs == {"zh"}


def test_stop_releases_in_flight_claims(site: LocalSite, fast_settings: CrawlSettings) -> None:
    for i in range(4):
        site.add(f"/slow/{i}.html", _article(f"慢{i}"), delay_s=1.5)
    site.add("/feed.xml", _rss([(site.url(f"/slow/{i}.html"), str(i)) for i in range(4)]),
             content_type="application/rss+xml")
    source = Source(name="s", title="s", lang="zh", kind=SourceKind.NEWS, homepage=site.url("/"),
                    feeds=(site.url("/feed.xml"),))
    store = Store.memory()

    async def run() -> dict[str, SourceSummary]:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(0.5, stop.set)
        return await crawl(store, [source], fast_settings, once=False, stop=stop)

    start = time.monotonic()
    asyncio.run(run())
    assert time.monotonic() - start < 1.4  # did not wait for the slow pages
    states = dict(store.conn.execute("SELECT url, state FROM frontier WHERE kind = 'article'").fetchall())
    assert len(states) == 4 and set(states.values()) == {"due"}


@pytest.mark.slow
def test_forever_mode_repolls_entry_points(site: LocalSite, fast_settings: CrawlSettings) -> None:
    site.add("/feed.xml", _rss([]), content_type="application/rss+xml")
    source = Source(name="s", title="s", lang="zh", kind=SourceKind.NEWS, homepage=site.url("/"),
                    feeds=(site.url("/feed.xml"),), interval_s=60)
    source = dataclasses.replace(source, interval_s=1)  # below the file minimum: tests only
    store = Store.memory()

    async def run() -> None:
        stop = asyncio.Event()
        asyncio.get_running_loop().call_later(2.6, stop.set)
        await crawl(store, [source], fast_settings, once=False, stop=stop)

    asyncio.run(run())
    assert 2 <= site.hits["/feed.xml"] <= 4


_CHILD = """
import asyncio, sys
from crawlers.run import crawl
from crawlers.settings import CrawlSettings
from crawlers.sources import Source, SourceKind
from extractor.store import Store
base, db = sys.argv[1], sys.argv[2]
source = Source(name="s", title="s", lang="zh", kind=SourceKind.NEWS, homepage=base + "/",
                feeds=(base + "/feed.xml",))
settings = CrawlSettings(allow_private=("127.0.0.1",), per_host_delay_s=0, per_host_concurrency=2, concurrency=2)
asyncio.run(crawl(Store.open(db), [source], settings, once=True))
"""


@pytest.mark.slow
def test_resume_after_kill_loses_nothing_and_stores_nothing_twice(site: LocalSite, fast_settings: CrawlSettings,
                                                                   tmp_path: Path) -> None:
    n = 12
    for i in range(n):
        site.add(f"/n/{i}.html", _article(f"公司{i}"), delay_s=0.25)
    site.add("/feed.xml", _rss([(site.url(f"/n/{i}.html"), str(i)) for i in range(n)]),
             content_type="application/rss+xml")
    db = tmp_path / "crawl.db"
    root = Path(__file__).resolve().parents[2]
    child = subprocess.Popen([sys.executable, "-c", _CHILD, site.base, str(db)], cwd=root,
                             env={**os.environ, "PYTHONPATH": str(root)})
    deadline = time.monotonic() + 10
    while sum(site.hits[f"/n/{i}.html"] for i in range(n)) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=5)
    store = Store.open(db)
    before = store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    assert 0 < before < n
    store.recover_in_flight()
    source = Source(name="s", title="s", lang="zh", kind=SourceKind.NEWS, homepage=site.url("/"),
                    feeds=(site.url("/feed.xml"),))
    asyncio.run(crawl(store, [source], fast_settings, once=True))
    urls = [r[0] for r in store.conn.execute("SELECT url FROM articles")]
    assert len(urls) == n == len(set(urls))
