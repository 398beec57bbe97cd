"""The crawl engine: seed entry points, claim due URLs, fetch, discover, parse, record.

One pass (``once=True``) ends when nothing is due and nothing is in flight. Forever mode keeps
polling: entry points (feeds, sitemaps, listings) come due again `interval_s` after each fetch,
failed articles after a doubling delay, up to `max_attempts`. Setting `stop` cancels in-flight
fetches and hands their claims back with `state.release`, so a restart loses nothing; a crashed
process's claims are recovered by the store (`Store.recover_in_flight`).

How the work is laid out (for speed on one core):

* Every `CrawlState` call (and `on_article`) runs on one worker thread, in order (`_StateWorker`):
  SQLite and zlib release the GIL, so storing overlaps with fetching and parsing.
* Pages are recorded in batches: what queued while the previous write ran is written next, in one
  transaction when the state offers ``transaction()`` (the Store does). A page and its frontier
  row are always in the same transaction, so a crash loses at most an uncommitted batch, which
  `recover_in_flight` makes due again; a batch that fails is retried page by page.
* URLs are claimed in blocks (`claim_due` sorts the due frontier: one call per page would cost
  O(frontier) each) into per-host queues; a fetch is started only when its host has a free slot
  (`per_host_concurrency`), round-robin over hosts, so one host's backlog never fills the global
  slots. Claimed but unstarted URLs are released like in-flight ones on stop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
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
_MAX_BUFFERED = 10_000  # claimed URLs waiting for their host's slot, at most
T = TypeVar("T")


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


_PageWrite = tuple[FrontierEntry, FetchResult, ParsedPage | None, dt.datetime | None]


class _StateWorker:
    """Runs `CrawlState` calls on one thread in submission order; batches `record_page`."""

    def __init__(self, state: CrawlState) -> None:
        self.state = state
        self._loop = asyncio.get_running_loop()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fundwire-state")
        self._scope: Callable[[], Any] | None = getattr(state, "transaction", None)
        self._pending: list[tuple[_PageWrite, asyncio.Future[int | None]]] = []
        self._writing: asyncio.Future[Any] | None = None
        self.batches = 0

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        return self._loop.run_in_executor(self._pool, functools.partial(fn, *args, **kwargs))

    def record_page(self, entry: FrontierEntry, result: FetchResult, article: ParsedPage | None,
                    next_due: dt.datetime | None) -> asyncio.Future[int | None]:
        future: asyncio.Future[int | None] = self._loop.create_future()
        self._pending.append(((entry, result, article, next_due), future))
        if self._writing is None:
            self._write_next()
        return future

    def _write_next(self) -> None:
        batch, self._pending = self._pending, []
        self._writing = self.call(self._write, [item for item, _ in batch])
        self._writing.add_done_callback(functools.partial(self._written, [f for _, f in batch]))

    def _written(self, futures: list[asyncio.Future[int | None]], done: asyncio.Future[Any]) -> None:
        self._writing = None
        results: list[tuple[int | None, BaseException | None]] = (
            done.result() if not done.cancelled() and done.exception() is None
            else [(None, done.exception() or asyncio.CancelledError())] * len(futures))
        for future, (value, error) in zip(futures, results, strict=True):
            if future.done():
                continue  # its task was cancelled; the page was written all the same
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
        if self._pending:
            self._write_next()

    def _write(self, batch: list[_PageWrite]) -> list[tuple[int | None, BaseException | None]]:
        """On the worker thread: one transaction for the batch, else (or when it fails) one per page."""
        self.batches += 1
        if self._scope is not None and len(batch) > 1:
            try:
                with self._scope():
                    return [(self.state.record_page(e, r, a, next_due=d), None) for e, r, a, d in batch]
            except Exception:  # rolled back; below, each page succeeds or fails alone
                log.debug("batch of %d pages failed; writing them one by one", len(batch), exc_info=True)
        out: list[tuple[int | None, BaseException | None]] = []
        for e, r, a, d in batch:
            try:
                out.append((self.state.record_page(e, r, a, next_due=d), None))
            except Exception as exc:  # noqa: BLE001 - handed to the awaiting task
                out.append((None, exc))
        return out

    async def drain(self) -> None:
        """Wait until every queued page is written."""
        while self._writing is not None:
            await asyncio.wait([self._writing])
            await asyncio.sleep(0)  # let _written run and start the next batch

    def close(self) -> None:
        self._pool.shutdown(wait=True)


class _Engine:
    """One crawl's moving parts (kept off the module: no globals)."""

    def __init__(self, state: _StateWorker, sources: Sequence[Source], settings: CrawlSettings, fetcher: Fetcher,
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
            await self._failed(entry, summary, exc.kind, str(exc))
        except (FeedError, SitemapError) as exc:
            await self._failed(entry, summary, "parse", str(exc))
        except Exception as exc:  # one broken page never stops a crawl
            log.exception("unexpected error on %s", entry.url)
            await self._failed(entry, summary, "error", f"{type(exc).__name__}: {exc}")
        if self.progress is not None:
            self.progress(entry.source, summary)

    async def _failed(self, entry: FrontierEntry, summary: SourceSummary, kind: str, message: str) -> None:
        summary.errors[kind] = summary.errors.get(kind, 0) + 1
        now = _now()
        if entry.kind is not UrlKind.ARTICLE:
            retry_at: dt.datetime | None = now + self.interval(entry.source)  # entry points are never given up
        elif kind in _TRANSIENT and entry.attempts + 1 < self.settings.max_attempts:
            retry_at = now + dt.timedelta(seconds=self.settings.retry_after_failure_s * 2 ** entry.attempts)
        else:
            retry_at = None
        await self.state.call(self.state.state.record_failure, entry, kind, message, retry_at=retry_at)

    async def _process(self, entry: FrontierEntry, summary: SourceSummary) -> None:
        accept = HTML_TYPES if entry.kind in (UrlKind.ARTICLE, UrlKind.LISTING) else (
            FEED_TYPES if entry.kind is UrlKind.FEED else SITEMAP_TYPES)
        conditional = entry.kind is not UrlKind.ARTICLE
        result = await self.fetcher.fetch(entry.url, etag=entry.etag if conditional else None,
                                          last_modified=entry.last_modified if conditional else None,
                                          accept=accept)
        if result.status == 304:
            summary.not_modified += 1
            await self.state.call(self.state.state.record_not_modified, entry,
                                  next_due=_now() + self.interval(entry.source))
            return
        summary.fetched += 1
        if entry.kind is UrlKind.ARTICLE:
            await self._record_article(entry, result, summary)
        else:
            await self._record_entry_point(entry, result, summary)

    async def _new_article(self, article_id: int, summary: SourceSummary) -> None:
        summary.new_articles += 1
        if self.on_article is not None:
            events = await self.state.call(self.on_article, article_id)
            summary.events += events  # not `+= await`: that reads the counter before the await

    async def _record_article(self, entry: FrontierEntry, result: FetchResult, summary: SourceSummary) -> None:
        article: ParsedPage | None = None
        if self.settings.parse_articles:
            article = parse_page(result.body, entry.url, result.headers)
            if not article.text.strip():
                article = None  # a page without main text is kept as a page, not as an article
        article_id = await self.state.record_page(entry, result, article, None)
        if article_id is not None:
            await self._new_article(article_id, summary)

    async def _record_entry_point(self, entry: FrontierEntry, result: FetchResult, summary: SourceSummary) -> None:
        found = self._discover(entry, result)
        source = self.sources.get(entry.source)
        found = [d for d in found if d.kind is not UrlKind.ARTICLE or not is_front_page(d.url, source)]
        inline = [d.inline_article for d in found if d.inline_article is not None]
        if inline and self.settings.parse_articles:
            for article_id in await self.state.call(self.state.state.add_inline_articles, entry.source, inline):
                await self._new_article(article_id, summary)
            found = [d for d in found if d.inline_article is None]
        await self.state.call(self.state.state.add_urls, entry.source, found, due_at=_now())
        await self.state.record_page(entry, result, None, _now() + self.interval(entry.source))

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
    worker = _StateWorker(state)
    try:
        async with Fetcher(settings, transport=transport, resolver=resolver) as fetcher:
            engine = _Engine(worker, sources, settings, fetcher, on_article, progress)
            await _Dispatcher(engine, settings, stop, once).run()
    finally:
        worker.close()
    return engine.summaries


def host_key(url: str) -> str:
    """The politeness key of a URL (the Fetcher's per-host slots use the same)."""
    return urlsplit(url).netloc.lower()


class _Dispatcher:
    """Claims due URLs in blocks and starts fetches host by host within the concurrency limits."""

    def __init__(self, engine: _Engine, settings: CrawlSettings, stop: asyncio.Event, once: bool) -> None:
        self.engine = engine
        self.worker = engine.state
        self.settings = settings
        self.stop = stop
        self.once = once
        self.per_host = max(1, settings.per_host_concurrency)
        self.queues: dict[str, deque[FrontierEntry]] = {}
        self.active: dict[str, int] = {}
        self.runnable: deque[str] = deque()   # hosts with queued URLs and a free slot
        self.in_runnable: set[str] = set()
        self.in_flight: dict[asyncio.Task[None], tuple[str, FrontierEntry]] = {}
        self.buffered = 0
        self.wake = asyncio.Event()
        self.errors: list[BaseException] = []
        self.exhausted_at: float | None = None  # when the last claim came back short
        self.discovered = False                 # an entry point finished since then

    def _mark_runnable(self, host: str) -> None:
        if host not in self.in_runnable and self.queues.get(host) and self.active.get(host, 0) < self.per_host:
            self.in_runnable.add(host)
            self.runnable.append(host)

    def _queue(self, entries: Sequence[FrontierEntry]) -> None:
        for entry in entries:
            host = host_key(entry.url)
            self.queues.setdefault(host, deque()).append(entry)
            self.buffered += 1
            self._mark_runnable(host)

    def _dispatch(self) -> None:
        while self.runnable and len(self.in_flight) < self.settings.concurrency:
            host = self.runnable.popleft()
            self.in_runnable.discard(host)
            queue = self.queues[host]
            entry = queue.popleft()
            self.buffered -= 1
            if not queue:
                del self.queues[host]
            self.active[host] = self.active.get(host, 0) + 1
            task = asyncio.ensure_future(self.engine.process(entry))
            self.in_flight[task] = (host, entry)
            task.add_done_callback(self._done)
            self._mark_runnable(host)

    def _done(self, task: asyncio.Task[None]) -> None:
        host, entry = self.in_flight.pop(task)
        left = self.active[host] - 1
        if left:
            self.active[host] = left
        else:
            del self.active[host]
        if entry.kind is not UrlKind.ARTICLE:
            self.discovered = True
        if not task.cancelled() and task.exception() is not None:
            self.errors.append(task.exception())  # type: ignore[arg-type]
        self._mark_runnable(host)
        self.wake.set()

    def _claim_size(self) -> int:
        """How many URLs to claim now (0: not worth a claim_due call)."""
        room = _MAX_BUFFERED - self.buffered
        block = max(4 * self.settings.concurrency, 256)
        if self.exhausted_at is not None and not self.discovered and (
                self.once or time.monotonic() - self.exhausted_at < self.settings.idle_poll_s):
            return 0  # nothing was due a moment ago, and nothing can have been added since
        if self.buffered < 2 * self.settings.concurrency:
            return min(room, block)
        starving = len(self.in_flight) < self.settings.concurrency and not self.runnable
        return min(room, block) if starving and room >= block else 0

    async def _claim(self) -> None:
        want = self._claim_size()
        if want <= 0:
            return
        self.discovered = False
        claimed = await self.worker.call(self.worker.state.claim_due, _now(), want)
        self.exhausted_at = time.monotonic() if len(claimed) < want else None
        self._queue(claimed)

    async def run(self) -> None:
        stop_watch = asyncio.ensure_future(self._watch_stop())
        try:
            while not self.stop.is_set():
                await self._claim()
                self._dispatch()
                if self.errors:
                    raise self.errors[0]
                if not self.in_flight and not self.buffered:
                    if self.once and self.exhausted_at is not None and not self.discovered:
                        break
                    if self.once:
                        continue
                if self.stop.is_set():
                    break
                if self.once:
                    await self.wake.wait()
                else:
                    try:
                        await asyncio.wait_for(self.wake.wait(), self.settings.idle_poll_s)
                    except TimeoutError:
                        pass
                self.wake.clear()
        finally:
            stop_watch.cancel()
            await self._shutdown()

    async def _watch_stop(self) -> None:
        await self.stop.wait()
        self.wake.set()

    async def _shutdown(self) -> None:
        unfinished = [entry for queue in self.queues.values() for entry in queue]
        self.queues.clear()
        if self.in_flight:
            tasks = list(self.in_flight)
            entries = {task: entry for task, (_, entry) in self.in_flight.items()}
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            unfinished += [entries[t] for t in tasks if t.cancelled()]
        await self.worker.drain()  # pages of cancelled tasks still queued are written, not lost
        if unfinished:
            await self.worker.call(self.worker.state.release, unfinished)
