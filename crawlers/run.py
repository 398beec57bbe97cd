"""The crawl engine: seed entry points, claim due URLs, fetch, discover, parse, record.

One pass (``once=True``) ends when nothing is due and nothing is in flight. Forever mode keeps
polling: entry points (feeds, sitemaps, listings) come due again `interval_s` after each fetch,
failed articles after a doubling delay, up to `max_attempts`. Setting `stop` cancels in-flight
fetches and hands their claims back with `state.release`, so a restart loses nothing; a crashed
process's claims are recovered by the store (`Store.recover_in_flight`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httpx

from crawlers.article import parse_page
from crawlers.errors import FetchError
from crawlers.feeds import FeedError, parse_feed
from crawlers.fetch import FEED_TYPES, HTML_TYPES, SITEMAP_TYPES, Fetcher
from crawlers.guard import Resolver
from crawlers.listing import parse_listing
from crawlers.records import (
    CrawlState,
    Discovered,
    FetchResult,
    FrontierEntry,
    ParsedPage,
    SourceSummary,
    UrlKind,
)
from crawlers.settings import CrawlSettings
from crawlers.sitemaps import SitemapError, parse_sitemap
from crawlers.sources import Source

__all__ = ["CrawlSettings", "crawl", "seed"]

log = logging.getLogger(__name__)
_TRANSIENT = ("timeout", "network", "http_429", "http_500", "http_502", "http_503", "http_504", "robots")
_DEFAULT_INTERVAL_S = 1800


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def entry_points(source: Source) -> list[Discovered]:
    """A source's feeds, sitemaps and listing pages as frontier items."""
    return ([Discovered(url, UrlKind.FEED) for url in source.feeds]
            + [Discovered(url, UrlKind.SITEMAP) for url in source.sitemaps]
            + [Discovered(item.url, UrlKind.LISTING) for item in source.listings])


def is_front_page(url: str, source: Source | None) -> bool:
    """A site's root or a source's homepage: listed in sitemaps, but never an article."""
    path = urlsplit(url).path
    return path in ("", "/") or (source is not None and url.rstrip("/") == source.homepage.rstrip("/"))


def seed(state: CrawlState, sources: Sequence[Source], now: dt.datetime | None = None) -> int:
    """Add every source's entry points to the frontier (known ones are left alone); return how many were new."""
    now = now or _now()
    return sum(state.add_urls(s.name, entry_points(s), due_at=now) for s in sources)


class _Engine:
    """One crawl's moving parts (kept off the module: no globals)."""

    def __init__(self, state: CrawlState, sources: Sequence[Source], settings: CrawlSettings, fetcher: Fetcher,
                 on_article: Callable[[int], int] | None,
                 progress: Callable[[str, SourceSummary], None] | None) -> None:
        self.state = state
        self.sources = {s.name: s for s in sources}
        self.settings = settings
        self.fetcher = fetcher
        self.on_article = on_article
        self.progress = progress
        self.summaries: dict[str, SourceSummary] = {s.name: SourceSummary() for s in sources}

    def summary(self, source: str) -> SourceSummary:
        return self.summaries.setdefault(source, SourceSummary())

    def interval(self, source: str) -> dt.timedelta:
        known = self.sources.get(source)
        return dt.timedelta(seconds=known.interval_s if known else _DEFAULT_INTERVAL_S)

    def lang(self, source: str) -> str | None:
        known = self.sources.get(source)
        return known.lang if known else None

    async def process(self, entry: FrontierEntry) -> None:
        """Fetch one claimed URL and record the outcome; never raises (but can be cancelled)."""
        summary = self.summary(entry.source)
        try:
            await self._process(entry, summary)
        except asyncio.CancelledError:
            raise
        except FetchError as exc:
            self._failed(entry, summary, exc.kind, str(exc))
        except (FeedError, SitemapError) as exc:
            self._failed(entry, summary, "parse", str(exc))
        except Exception as exc:  # one broken page never stops a crawl
            log.exception("unexpected error on %s", entry.url)
            self._failed(entry, summary, "error", f"{type(exc).__name__}: {exc}")
        if self.progress is not None:
            self.progress(entry.source, summary)

    def _failed(self, entry: FrontierEntry, summary: SourceSummary, kind: str, message: str) -> None:
        summary.errors[kind] = summary.errors.get(kind, 0) + 1
        now = _now()
        if entry.kind is not UrlKind.ARTICLE:
            retry_at: dt.datetime | None = now + self.interval(entry.source)  # entry points are never given up
        elif kind in _TRANSIENT and entry.attempts + 1 < self.settings.max_attempts:
            retry_at = now + dt.timedelta(seconds=self.settings.retry_after_failure_s * 2 ** entry.attempts)
        else:
            retry_at = None
        self.state.record_failure(entry, kind, message, retry_at=retry_at)

    async def _process(self, entry: FrontierEntry, summary: SourceSummary) -> None:
        accept = HTML_TYPES if entry.kind in (UrlKind.ARTICLE, UrlKind.LISTING) else (
            FEED_TYPES if entry.kind is UrlKind.FEED else SITEMAP_TYPES)
        conditional = entry.kind is not UrlKind.ARTICLE
        result = await self.fetcher.fetch(entry.url, etag=entry.etag if conditional else None,
                                          last_modified=entry.last_modified if conditional else None,
                                          accept=accept)
        if result.status == 304:
            summary.not_modified += 1
            self.state.record_not_modified(entry, next_due=_now() + self.interval(entry.source))
            return
        summary.fetched += 1
        if entry.kind is UrlKind.ARTICLE:
            self._record_article(entry, result, summary)
        else:
            self._record_entry_point(entry, result, summary)

    def _record_article(self, entry: FrontierEntry, result: FetchResult, summary: SourceSummary) -> None:
        article: ParsedPage | None = None
        if self.settings.parse_articles:
            article = parse_page(result.body, entry.url, result.headers)
            if not article.text.strip():
                article = None  # a page without main text is kept as a page, not as an article
        article_id = self.state.record_page(entry, result, article, next_due=None)
        if article_id is not None:
            summary.new_articles += 1
            if self.on_article is not None:
                summary.events += self.on_article(article_id)

    def _record_entry_point(self, entry: FrontierEntry, result: FetchResult, summary: SourceSummary) -> None:
        found = self._discover(entry, result)
        source = self.sources.get(entry.source)
        found = [d for d in found if d.kind is not UrlKind.ARTICLE or not is_front_page(d.url, source)]
        inline = [d.inline_article for d in found if d.inline_article is not None]
        if inline and self.settings.parse_articles:
            for article_id in self.state.add_inline_articles(entry.source, inline):
                summary.new_articles += 1
                if self.on_article is not None:
                    summary.events += self.on_article(article_id)
            found = [d for d in found if d.inline_article is None]
        self.state.add_urls(entry.source, found, due_at=_now())
        self.state.record_page(entry, result, None, next_due=_now() + self.interval(entry.source))

    def _discover(self, entry: FrontierEntry, result: FetchResult) -> list[Discovered]:
        base = result.final_url or entry.url
        if entry.kind is UrlKind.FEED:
            return parse_feed(result.body, base, result.headers, lang=self.lang(entry.source))
        if entry.kind is UrlKind.SITEMAP:
            return parse_sitemap(result.body, base, limit=self.settings.max_bytes * 5)
        source = self.sources.get(entry.source)
        selector = source.listing_selector(entry.url) if source else None
        if selector is None:
            raise FetchError(entry.url, "listing page with no selector in the source registry")
        return parse_listing(result.body, base, selector, result.headers)


async def crawl(state: CrawlState, sources: Sequence[Source], settings: CrawlSettings, *, once: bool,
                on_article: Callable[[int], int] | None = None, stop: asyncio.Event | None = None,
                progress: Callable[[str, SourceSummary], None] | None = None,
                transport: httpx.AsyncBaseTransport | None = None,
                resolver: Resolver | None = None) -> dict[str, SourceSummary]:
    """Crawl `sources` through `state`; return per-source summaries.

    `on_article(article_id)` runs for each new article and returns the number of events found.
    `transport` and `resolver` replace the network and DNS (tests, benchmarks).
    """
    stop = stop or asyncio.Event()
    seed(state, sources)
    if once:  # one pass means every entry point now, however recently it was polled
        state.due_now([d.url for s in sources for d in entry_points(s)])
    in_flight: dict[asyncio.Task[None], FrontierEntry] = {}
    async with Fetcher(settings, transport=transport, resolver=resolver) as fetcher:
        engine = _Engine(state, sources, settings, fetcher, on_article, progress)
        stop_wait = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                free = settings.concurrency - len(in_flight)
                claimed = state.claim_due(_now(), free) if free > 0 else []
                for entry in claimed:
                    in_flight[asyncio.ensure_future(engine.process(entry))] = entry
                if not in_flight:
                    if once:
                        break
                    await asyncio.wait([stop_wait], timeout=settings.idle_poll_s)
                    continue
                done, _ = await asyncio.wait([*in_flight, stop_wait], return_when=asyncio.FIRST_COMPLETED,
                                             timeout=None if once else settings.idle_poll_s)
                for task in done:
                    if task is not stop_wait:
                        in_flight.pop(task)  # type: ignore[call-overload]
                        task.result()
        finally:
            stop_wait.cancel()
            if in_flight:
                for task in in_flight:
                    task.cancel()
                await asyncio.gather(*in_flight, return_exceptions=True)
                unfinished = [entry for task, entry in in_flight.items() if task.cancelled()]
                state.release(unfinished)
    return engine.summaries
