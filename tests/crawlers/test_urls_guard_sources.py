"""URL canonicalisation, the address guard, the source registry and settings."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crawlers.errors import Blocked
from crawlers.guard import AddressGuard
from crawlers.settings import CrawlSettings, SettingsError
from crawlers.sources import SourceError, load_sources
from crawlers.urls import BadUrl, canonicalize, same_site

CANONICAL = [
    ("HTTP://WWW.36Kr.COM:80/p/1.html#top", "http://www.36kr.com/p/1.html"),
    ("https://a.com:443/x?b=2&a=1", "https://a.com/x?a=1&b=2"),
    ("https://a.com/x?utm_source=rss&utm_medium=feed&id=3", "https://a.com/x?id=3"),
    ("https://a.com/x?ktm_source=newsletter&spm=a2c&from=timeline&fbclid=abc&gclid=z", "https://a.com/x"),
    ("https://a.com", "https://a.com/"),
    ("https://a.com:8443/a%7Eb", "https://a.com:8443/a~b"),
    ("https://例子.中国/路径", "https://xn--fsqu00a.xn--fiqs8s/%E8%B7%AF%E5%BE%84"),
]


@pytest.mark.parametrize(("raw", "expected"), CANONICAL)
def test_canonicalize(raw: str, expected: str) -> None:
    assert canonicalize(raw) == expected


def test_canonicalize_relative_and_bad() -> None:
    assert canonicalize("../b?x=1", "https://a.com/news/a/") == "https://a.com/news/b?x=1"
    for bad in ("mailto:x@y.com", "javascript:void(0)", "/relative", "ftp://a.com/"):
        with pytest.raises(BadUrl):
            canonicalize(bad)


@given(st.sampled_from([r for r, _ in CANONICAL]), st.lists(st.sampled_from(["utm_x=1", "k=v", "spm=2", "a="])))
def test_canonicalize_is_idempotent(raw: str, extra: list[str]) -> None:
    url = raw.split("#")[0] + ("&" if "?" in raw else "?") + "&".join(extra) if extra else raw
    once = canonicalize(url)
    assert canonicalize(once) == once


def test_same_site() -> None:
    assert same_site("https://www.36kr.com/a", "https://36kr.com/b")
    assert same_site("https://news.sina.com.cn/a", "https://finance.sina.com.cn/b")
    assert not same_site("https://a.com.cn/", "https://b.com.cn/")


def _resolver(addrs: Sequence[str]):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> Sequence[str]:
        return addrs
    return resolve


@pytest.mark.parametrize("ip", ["127.0.0.1", "10.1.2.3", "192.168.0.1", "172.16.5.5", "169.254.169.254",
                                "224.0.0.1", "0.0.0.0", "240.0.0.1", "::1", "fe80::1", "fc00::1", "::ffff:10.0.0.1"])
def test_guard_refuses_non_public_addresses(ip: str) -> None:
    with pytest.raises(Blocked):
        asyncio.run(AddressGuard().check("http://x/", ip, 80))


def test_guard_checks_resolved_addresses_and_allow_list() -> None:
    asyncio.run(AddressGuard(resolver=_resolver(["93.184.216.34"])).check("http://e.com/", "e.com", 80))
    with pytest.raises(Blocked):
        asyncio.run(AddressGuard(resolver=_resolver(["93.184.216.34", "10.0.0.8"])).check("u", "evil.com", 80))
    with pytest.raises(Blocked):
        asyncio.run(AddressGuard().check("u", "localhost", 80))
    asyncio.run(AddressGuard(["127.0.0.1"]).check("u", "127.0.0.1", 80))
    asyncio.run(AddressGuard(["10.0.0.0/8"], resolver=_resolver(["10.9.9.9"])).check("u", "intra", 80))
    asyncio.run(AddressGuard(["intranet.local"]).check("u", "intranet.local", 80))


def test_shipped_sources_cover_both_languages() -> None:
    sources = load_sources()
    assert sum(s.lang == "zh" for s in sources) >= 10 and sum(s.lang == "en" for s in sources) >= 10
    assert len({s.name for s in sources}) == len(sources)
    assert all(s.feeds or s.sitemaps or s.listings for s in sources)
    kr = next(s for s in sources if s.name == "36kr")
    assert kr.listing_selector(kr.listings[0].url) == "a.article-item-title"


def test_user_file_overrides_and_extends(tmp_path: Path) -> None:
    extra = tmp_path / "mine.toml"
    extra.write_text('[[source]]\nname = "36kr"\ntitle = "mine"\nlang = "zh"\nkind = "news"\n'
                     'homepage = "https://36kr.com/"\nfeeds = ["https://36kr.com/mine.xml?utm_source=x"]\n\n'
                     '[[source]]\nname = "new-one"\nlang = "en"\nhomepage = "https://n.com"\n'
                     'sitemaps = ["https://n.com/sitemap.xml"]\n', encoding="utf-8")
    sources = {s.name: s for s in load_sources(extra=extra)}
    assert sources["36kr"].title == "mine" and sources["36kr"].feeds == ("https://36kr.com/mine.xml",)
    assert "new-one" in sources and "techcrunch" in sources


@pytest.mark.parametrize(("text", "message"), [
    ('[[source]]\nname = "a"\nlang = "zh"\nhomepage = "https://a.com"\nfeeds = ["https://a.com/f"]\nfed = 1\n',
     "unknown key 'fed'"),
    ('[[source]]\nname = "A B"\nlang = "zh"\nhomepage = "https://a.com"\nfeeds = ["https://a.com/f"]\n', "name must"),
    ('[[source]]\nname = "a"\nlang = "fr"\nhomepage = "https://a.com"\nfeeds = ["https://a.com/f"]\n', "lang"),
    ('[[source]]\nname = "a"\nlang = "zh"\nhomepage = "https://a.com"\n', "at least one feed"),
    ('[[source]]\nname = "a"\nlang = "zh"\nhomepage = "https://a.com"\nfeeds = ["nope"]\n', "http(s)"),
    ('[[source]]\nname = "a"\nlang = "zh"\nhomepage = "https://a.com"\nlistings = [{url = "https://a.com"}]\n',
     "selector"),
    ("[[source]\n", "not valid TOML"),
    ('[srcs]\nx = 1\n', "unknown top-level key 'srcs'"),
])
def test_bad_source_files_name_the_problem_and_file(tmp_path: Path, text: str, message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(SourceError) as info:
        load_sources(bad)
    assert message in str(info.value) and "bad.toml" in str(info.value)


def test_missing_sources_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read"):
        load_sources(tmp_path / "absent.toml")


def test_settings_overlay() -> None:
    settings = CrawlSettings.from_toml({"per_host_delay_s": 0, "allow_private": ["127.0.0.1"], "retries": 1})
    assert settings.per_host_delay_s == 0.0 and settings.allow_private == ("127.0.0.1",) and settings.retries == 1
    assert CrawlSettings().per_host_concurrency == 2 and CrawlSettings().max_bytes == 10 * 1024 * 1024
    with pytest.raises(SettingsError, match="unknown crawl setting 'delay'"):
        CrawlSettings.from_toml({"delay": 1})
    with pytest.raises(SettingsError):
        CrawlSettings.from_toml({"retries": "3"})
