"""The polite client against a real server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import time

import pytest

from crawlers.errors import (
    BadContentType,
    Blocked,
    HttpStatus,
    Network,
    RobotsDisallowed,
    Timeout,
    TooLarge,
    TooManyRedirects,
)
from crawlers.fetch import HTML_TYPES, Fetcher, retry_after_s
from crawlers.settings import CrawlSettings

from .conftest import LocalSite, Reply


async def _fetch(settings: CrawlSettings, url: str, **kw: object):  # type: ignore[no-untyped-def]
    async with Fetcher(settings) as fetcher:
        return await fetcher.fetch(url, **kw)  # type: ignore[arg-type]


def test_sends_user_agent_and_reads_body(site: LocalSite, fast_settings: CrawlSettings) -> None:
    url = site.add("/a", "<p>hello</p>")
    result = asyncio.run(_fetch(fast_settings, url))
    assert result.status == 200 and result.body == b"<p>hello</p>"
    agent = dict(site.seen_headers)["/a"]["user-agent"]
    assert agent.startswith("fundwire/")


def test_robots_disallow_is_honoured(site: LocalSite, fast_settings: CrawlSettings) -> None:
    site.add("/robots.txt", "User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    url = site.add("/private/x", "secret")
    ok = site.add("/public", "ok")
    with pytest.raises(RobotsDisallowed) as info:
        asyncio.run(_fetch(fast_settings, url))
    assert info.value.kind == "robots" and site.hits["/private/x"] == 0
    assert asyncio.run(_fetch(fast_settings, ok)).body == b"ok"


def test_robots_5xx_disallows_and_4xx_allows(site: LocalSite, fast_settings: CrawlSettings) -> None:
    url = site.add("/page", "x")
    site.add("/robots.txt", "oops", status=503)
    with pytest.raises(RobotsDisallowed):
        asyncio.run(_fetch(fast_settings, url))
    site.add("/robots.txt", "gone", status=404)
    assert asyncio.run(_fetch(fast_settings, url)).status == 200


def test_robots_fetched_once_per_host(site: LocalSite, fast_settings: CrawlSettings) -> None:
    site.add("/robots.txt", "User-agent: *\nAllow: /\n", content_type="text/plain")
    urls = [site.add(f"/p{i}", "x") for i in range(4)]

    async def run() -> None:
        async with Fetcher(fast_settings) as fetcher:
            await asyncio.gather(*(fetcher.fetch(u) for u in urls))

    asyncio.run(run())
    assert site.hits["/robots.txt"] == 1


def test_crawl_delay_spaces_requests(site: LocalSite, fast_settings: CrawlSettings) -> None:
    site.add("/robots.txt", "User-agent: *\nCrawl-delay: 0.2\n", content_type="text/plain")
    urls = [site.add(f"/d{i}", "x") for i in range(3)]

    async def run() -> float:
        async with Fetcher(fast_settings) as fetcher:
            start = time.monotonic()
            await asyncio.gather(*(fetcher.fetch(u) for u in urls))
            return time.monotonic() - start

    assert asyncio.run(run()) >= 0.38  # three requests, two gaps of 0.2 s


def test_conditional_get_returns_304(site: LocalSite, fast_settings: CrawlSettings) -> None:
    def handler(path: str, headers: dict[str, str]) -> Reply:
        if headers.get("if-none-match") == '"v1"':
            return Reply(b"", 304, {"ETag": '"v1"'})
        return Reply(b"<rss/>", 200, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})

    url = site.handle("/feed", handler)
    first = asyncio.run(_fetch(fast_settings, url))
    assert first.status == 200 and first.headers["etag"] == '"v1"'
    again = asyncio.run(_fetch(fast_settings, url, etag='"v1"'))
    assert again.status == 304 and again.body == b""


def test_retries_5xx_then_succeeds(site: LocalSite, fast_settings: CrawlSettings) -> None:
    calls = []

    def flaky(path: str, headers: dict[str, str]) -> Reply:
        calls.append(path)
        if len(calls) < 3:
            return Reply(b"busy", 503, {"Retry-After": "0"})
        return Reply(b"fine", 200, {"Content-Type": "text/html"})

    url = site.handle("/flaky", flaky)
    assert asyncio.run(_fetch(fast_settings, url)).body == b"fine"
    assert len(calls) == 3


def test_gives_up_after_retries_with_status_kind(site: LocalSite, fast_settings: CrawlSettings) -> None:
    url = site.add("/down", "no", status=502)
    with pytest.raises(HttpStatus) as info:
        asyncio.run(_fetch(fast_settings, url))
    assert info.value.kind == "http_502" and site.hits["/down"] == fast_settings.retries + 1


def test_404_is_not_retried(site: LocalSite, fast_settings: CrawlSettings) -> None:
    with pytest.raises(HttpStatus):
        asyncio.run(_fetch(fast_settings, site.url("/missing")))
    assert site.hits["/missing"] == 1


def test_retry_after_is_honoured_and_capped(site: LocalSite, fast_settings: CrawlSettings) -> None:
    settings = dataclasses.replace(fast_settings, max_retry_after_s=0.3, retries=1)
    url = site.add("/slowdown", "x", status=429, headers={"Retry-After": "3600"})
    start = time.monotonic()
    with pytest.raises(HttpStatus):
        asyncio.run(_fetch(settings, url))
    assert 0.28 <= time.monotonic() - start < 2.0
    assert retry_after_s("120") == 120.0 and retry_after_s("nonsense") is None


def test_size_cap_on_declared_and_decompressed_size(site: LocalSite, fast_settings: CrawlSettings) -> None:
    settings = dataclasses.replace(fast_settings, max_bytes=10_000)
    big = site.add("/big", b"x" * 20_000)
    bomb = site.add("/bomb", b"a" * 1_000_000, gzip_body=True)  # ~1 KB on the wire
    with pytest.raises(TooLarge):
        asyncio.run(_fetch(settings, big))
    with pytest.raises(TooLarge):
        asyncio.run(_fetch(settings, bomb))


def test_gzip_body_is_decoded(site: LocalSite, fast_settings: CrawlSettings) -> None:
    url = site.add("/gz", "<p>zipped</p>", gzip_body=True)
    assert asyncio.run(_fetch(fast_settings, url)).body == b"<p>zipped</p>"


def test_content_type_check(site: LocalSite, fast_settings: CrawlSettings) -> None:
    url = site.add("/img", b"\x89PNG", content_type="image/png")
    with pytest.raises(BadContentType):
        asyncio.run(_fetch(fast_settings, url, accept=HTML_TYPES))


def test_redirects_followed_and_limited(site: LocalSite, fast_settings: CrawlSettings) -> None:
    site.add("/r1", "", status=301, headers={"Location": "/r2"})
    site.add("/r2", "", status=302, headers={"Location": site.url("/final")})
    site.add("/final", "done")
    result = asyncio.run(_fetch(fast_settings, site.url("/r1")))
    assert result.final_url.endswith("/final") and result.body == b"done"
    for i in range(10):
        site.add(f"/loop{i}", "", status=302, headers={"Location": f"/loop{i + 1}"})
    with pytest.raises(TooManyRedirects):
        asyncio.run(_fetch(fast_settings, site.url("/loop0")))
    assert site.hits["/loop6"] == 0  # five redirects followed, no more


def test_redirect_to_private_address_is_blocked(site: LocalSite, fast_settings: CrawlSettings) -> None:
    site.add("/evil", "", status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(Blocked) as info:
        asyncio.run(_fetch(fast_settings, site.url("/evil")))
    assert info.value.kind == "blocked"


def test_loopback_blocked_unless_allowed(site: LocalSite) -> None:
    url = site.add("/a", "x")
    with pytest.raises(Blocked):
        asyncio.run(_fetch(CrawlSettings(per_host_delay_s=0), url))
    assert site.hits["/a"] == 0


def test_read_timeout(site: LocalSite, fast_settings: CrawlSettings) -> None:
    settings = dataclasses.replace(fast_settings, read_timeout_s=0.2, retries=0)
    url = site.add("/slow", "late", delay_s=1.0)
    with pytest.raises(Timeout):
        asyncio.run(_fetch(settings, url))


def test_connection_refused_is_network_error(fast_settings: CrawlSettings) -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    settings = dataclasses.replace(fast_settings, retries=1)
    with pytest.raises(Network):
        asyncio.run(_fetch(settings, f"http://127.0.0.1:{port}/x"))


def test_payload_decoded_by_fetch_is_bytes_for_gzip_sitemap(site: LocalSite, fast_settings: CrawlSettings) -> None:
    raw = gzip.compress(b"<urlset/>")
    url = site.add("/sitemap.xml.gz", raw, content_type="application/gzip")
    assert asyncio.run(_fetch(fast_settings, url)).body == raw  # no Content-Encoding: bytes as served
