"""Records the crawler passes across its boundary, and the state protocol it persists through."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol


class UrlKind(StrEnum):
    """What a frontier URL is expected to hold."""

    FEED = "feed"
    SITEMAP = "sitemap"
    LISTING = "listing"
    ARTICLE = "article"


@dataclass(frozen=True, slots=True)
class FrontierEntry:
    """One URL the crawler has been told about, as the state store hands it out."""

    url: str
    source: str
    kind: UrlKind
    etag: str | None = None
    last_modified: str | None = None
    attempts: int = 0


@dataclass(frozen=True, slots=True)
class FetchResult:
    """The outcome of one HTTP fetch (after redirects)."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]
    body: bytes
    fetched_at: dt.datetime
    elapsed_s: float = 0.0


@dataclass(frozen=True, slots=True)
class ParsedPage:
    """An article as parsed from a page or a full-content feed item."""

    url: str
    title: str | None
    published: dt.datetime | None
    lang: str | None
    text: str
    charset: str | None = None
    charset_method: str | None = None  # header | bom | meta | detected | feed


@dataclass(frozen=True, slots=True)
class Discovered:
    """A URL found in a feed, sitemap or listing page, with what the listing said of it."""

    url: str
    kind: UrlKind = UrlKind.ARTICLE
    title: str | None = None
    published: dt.datetime | None = None
    inline_article: ParsedPage | None = None  # feed items that carry the whole body


@dataclass(slots=True)
class SourceSummary:
    """Per-source counters for a crawl pass."""

    fetched: int = 0
    not_modified: int = 0
    new_articles: int = 0
    events: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class CrawlState(Protocol):
    """Where the crawler keeps its frontier, pages and articles (the store implements it).

    Every method is one transaction, so a crawler killed at any moment leaves no half-written page.
    A state that also offers `transaction()` (a context manager) lets the engine commit several
    `record_page` calls at once: each page still shares its transaction with its frontier row.
    """

    def add_urls(self, source: str, found: Sequence[Discovered], *, due_at: dt.datetime | None = None) -> int:
        """Add URLs not yet known (already canonical); return how many were new."""
        ...

    def claim_due(self, now: dt.datetime, limit: int, *, kinds: Sequence[UrlKind] | None = None) -> list[FrontierEntry]:
        """Hand out up to `limit` URLs whose next fetch is due, marking them in flight."""
        ...

    def record_page(self, entry: FrontierEntry, result: FetchResult, article: ParsedPage | None,
                    *, next_due: dt.datetime | None) -> int | None:
        """Store a fetched page (and its article); return the new article id, if any."""
        ...

    def record_not_modified(self, entry: FrontierEntry, *, next_due: dt.datetime | None) -> None:
        """A conditional GET answered 304."""
        ...

    def record_failure(self, entry: FrontierEntry, kind: str, message: str, *,
                       retry_at: dt.datetime | None) -> None:
        """A fetch failed; `retry_at=None` gives the URL up."""
        ...

    def release(self, entries: Sequence[FrontierEntry]) -> None:
        """Return claimed but unfinished URLs to the frontier (clean shutdown)."""
        ...

    def add_inline_articles(self, source: str, articles: Sequence[ParsedPage]) -> list[int]:
        """Store feed items that carry their whole body; return the ids of the new articles."""
        ...

    def due_now(self, urls: Sequence[str]) -> int:
        """Make known URLs due immediately (a one-off pass re-polls every entry point)."""
        ...
