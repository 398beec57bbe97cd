"""`fundwire sources check`: does each entry point of the registry answer, and with how many links?"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

import httpx

from crawlers.errors import FetchError
from crawlers.feeds import FeedError, parse_feed
from crawlers.fetch import FEED_TYPES, HTML_TYPES, SITEMAP_TYPES, Fetcher
from crawlers.listing import parse_listing
from crawlers.records import UrlKind
from crawlers.run import entry_points
from crawlers.settings import CrawlSettings
from crawlers.sitemaps import SitemapError, parse_sitemap
from crawlers.sources import Source


@dataclass(frozen=True, slots=True)
class EntryCheck:
    """The outcome of fetching one entry point once."""

    source: str
    url: str
    kind: UrlKind
    status: int | None
    links: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.error is None and self.links > 0


async def check_sources(sources: Sequence[Source], settings: CrawlSettings, *,
                        transport: httpx.AsyncBaseTransport | None = None) -> list[EntryCheck]:
    """Fetch every feed, sitemap and listing page once (politely) and count the links found."""
    async with Fetcher(settings, transport=transport) as fetcher:
        tasks = [_check(fetcher, source, item.url, item.kind, settings)
                 for source in sources for item in entry_points(source)]
        return list(await asyncio.gather(*tasks))


async def _check(fetcher: Fetcher, source: Source, url: str, kind: UrlKind, settings: CrawlSettings) -> EntryCheck:
    accept = FEED_TYPES if kind is UrlKind.FEED else SITEMAP_TYPES if kind is UrlKind.SITEMAP else HTML_TYPES
    try:
        result = await fetcher.fetch(url, accept=accept)
        base = result.final_url or url
        if kind is UrlKind.FEED:
            found = parse_feed(result.body, base, result.headers, lang=source.lang)
        elif kind is UrlKind.SITEMAP:
            found = parse_sitemap(result.body, base, limit=settings.max_bytes * 5)
        else:
            found = parse_listing(result.body, base, source.listing_selector(url) or "a", result.headers)
    except FetchError as exc:
        return EntryCheck(source.name, url, kind, getattr(exc, "status", None), 0, f"{exc.kind}: {exc}")
    except (FeedError, SitemapError) as exc:
        return EntryCheck(source.name, url, kind, None, 0, f"parse: {exc}")
    error = None if found else "no links found"
    return EntryCheck(source.name, url, kind, result.status, len(found), error)
