"""The source registry: the outlets to crawl and their entry points (crawlers/sources.toml)."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from crawlers.urls import BadUrl, canonicalize

SHIPPED = Path(__file__).with_name("sources.toml")
_NAME = re.compile(r"^[a-z0-9_-]+$")
_KEYS = frozenset({"name", "title", "lang", "kind", "homepage", "feeds", "sitemaps", "listings", "interval_s"})
_LISTING_KEYS = frozenset({"url", "selector"})


class SourceError(ValueError):
    """A sources file is unreadable or a source in it is invalid."""


class SourceKind(StrEnum):
    """What an outlet publishes."""

    NEWS = "news"
    NEWSFLASH = "newsflash"
    VC = "vc"


@dataclass(frozen=True, slots=True)
class Listing:
    """A listing page and the CSS selector of its article links."""

    url: str
    selector: str


@dataclass(frozen=True, slots=True)
class Source:
    """One outlet: its language, kind and entry points (canonical URLs)."""

    name: str
    title: str
    lang: str
    kind: SourceKind
    homepage: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    listings: tuple[Listing, ...] = ()
    interval_s: int = 1800

    def listing_selector(self, url: str) -> str | None:
        """The selector of the listing page at `url`, if it is one of this source's."""
        return next((item.selector for item in self.listings if item.url == url), None)


def _url(value: Any, where: str) -> str:
    if not isinstance(value, str):
        raise SourceError(f"{where}: expected a URL string, got {value!r}")
    try:
        return canonicalize(value)
    except BadUrl as exc:
        raise SourceError(f"{where}: {exc}") from None


def _urls(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise SourceError(f"{where}: expected a list of URLs")
    return tuple(_url(v, where) for v in value)


def source_from_table(table: Mapping[str, Any], origin: str) -> Source:
    """Validate one ``[[source]]`` table; `origin` names the file in error messages."""
    name = table.get("name")
    where = f"{origin}: source {name!r}"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise SourceError(f"{where}: unknown key {unknown[0]!r}")
    if not isinstance(name, str) or not _NAME.match(name):
        raise SourceError(f"{where}: name must match [a-z0-9_-]+")
    lang = table.get("lang")
    if lang not in ("zh", "en"):
        raise SourceError(f"{where}: lang must be 'zh' or 'en', not {lang!r}")
    try:
        kind = SourceKind(table.get("kind", "news"))
    except ValueError:
        raise SourceError(f"{where}: kind must be one of {', '.join(SourceKind)}") from None
    listings = []
    raw_listings = table.get("listings", [])
    if not isinstance(raw_listings, list):
        raise SourceError(f"{where}: listings must be a list of {{url, selector}} tables")
    for item in raw_listings:
        if not isinstance(item, dict) or set(item) != _LISTING_KEYS or not isinstance(item["selector"], str):
            raise SourceError(f"{where}: each listing needs exactly 'url' and 'selector'")
        listings.append(Listing(_url(item["url"], f"{where} listing"), item["selector"]))
    interval = table.get("interval_s", 1800)
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 60:
        raise SourceError(f"{where}: interval_s must be an integer >= 60")
    source = Source(name=name, title=str(table.get("title") or name), lang=lang, kind=kind,
                    homepage=_url(table.get("homepage"), f"{where} homepage"),
                    feeds=_urls(table.get("feeds", []), f"{where} feeds"),
                    sitemaps=_urls(table.get("sitemaps", []), f"{where} sitemaps"),
                    listings=tuple(listings), interval_s=interval)
    if not (source.feeds or source.sitemaps or source.listings):
        raise SourceError(f"{where}: needs at least one feed, sitemap or listing")
    return source


def read_sources_file(path: Path) -> list[Source]:
    """The sources of one TOML file, in file order; duplicate names are an error."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourceError(f"{path}: cannot read ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"source"})
    if unknown:
        raise SourceError(f"{path}: unknown top-level key {unknown[0]!r} (expected [[source]] tables)")
    tables = data.get("source", [])
    if not isinstance(tables, list):
        raise SourceError(f"{path}: 'source' must be an array of tables ([[source]])")
    out: list[Source] = []
    names: set[str] = set()
    for table in tables:
        source = source_from_table(table, str(path))
        if source.name in names:
            raise SourceError(f"{path}: source {source.name!r} is defined twice")
        names.add(source.name)
        out.append(source)
    return out


def load_sources(path: Path | None = None, extra: Path | None = None) -> list[Source]:
    """The registry: `path` (the shipped sources.toml when None), overlaid by `extra`.

    A source in `extra` with the name of one in `path` replaces it; new ones are appended.
    """
    merged = {s.name: s for s in read_sources_file(path or SHIPPED)}
    if extra is not None:
        for source in read_sources_file(extra):
            merged[source.name] = source
    return list(merged.values())
