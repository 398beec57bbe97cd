"""Sitemaps -> discovered URLs: urlset, sitemapindex, Google News (news:publication_date), gzip, hreflang.

Parsed with lxml configured so that hostile XML does nothing: no entity resolution, no network,
no huge trees, no DTD loading. Gzipped sitemaps are inflated with the size cap applied.
"""

from __future__ import annotations

import gzip
import io
import zlib

from lxml import etree

from crawlers.dates import UTC, parse_datetime
from crawlers.records import Discovered, UrlKind
from crawlers.urls import try_canonicalize

MAX_INFLATED = 50 * 1024 * 1024  # the sitemaps.org limit (uncompressed)
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"
_XHTML_NS = "http://www.w3.org/1999/xhtml"


class SitemapError(ValueError):
    """The bytes are not a sitemap (or inflate beyond the cap)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False,
                           dtd_validation=False, recover=True, remove_comments=True, remove_pis=True)


def inflate(body: bytes, limit: int = MAX_INFLATED) -> bytes:
    """Gunzip `body` when it is gzip (magic bytes), refusing more than `limit` bytes out."""
    if body[:2] != b"\x1f\x8b":
        return body
    out = io.BytesIO()
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            while chunk := stream.read(65536):
                out.write(chunk)
                if out.tell() > limit:
                    raise SitemapError(f"gzipped sitemap inflates beyond {limit} bytes")
    except (OSError, EOFError, zlib.error) as exc:
        raise SitemapError(f"bad gzip: {exc}") from None
    return out.getvalue()


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(el: etree._Element, name: str, ns: str | None = None) -> str | None:
    for child in el:
        if _local(child.tag) == name and (ns is None or etree.QName(child.tag).namespace == ns):
            return (child.text or "").strip() or None
    return None


def parse_sitemap(body: bytes, url: str, *, limit: int = MAX_INFLATED) -> list[Discovered]:
    """The URLs of a sitemap: articles (with lastmod/news dates and titles) or child sitemaps.

    hreflang alternates (xhtml:link rel=alternate) are returned as articles too.
    """
    data = inflate(body, limit)
    try:
        root = etree.fromstring(data.lstrip(), _parser())
    except etree.XMLSyntaxError as exc:
        raise SitemapError(f"{url}: {exc}") from None
    if root is None:
        raise SitemapError(f"{url}: empty document")
    kind_of_root = _local(root.tag)
    if kind_of_root not in ("urlset", "sitemapindex"):
        raise SitemapError(f"{url}: root element <{kind_of_root}> is not a sitemap")
    out: list[Discovered] = []
    seen: set[str] = set()

    def add(raw: str | None, kind: UrlKind, title: str | None = None, published_raw: str | None = None) -> None:
        canonical = try_canonicalize(raw, url) if raw else None
        if canonical is None or canonical in seen:
            return
        seen.add(canonical)
        published = parse_datetime(published_raw, UTC) if published_raw else None
        out.append(Discovered(url=canonical, kind=kind, title=title, published=published))

    for el in root:
        name = _local(el.tag)
        if name == "sitemap":
            add(_child_text(el, "loc"), UrlKind.SITEMAP)
        elif name == "url":
            title = published = None
            for child in el:
                if _local(child.tag) == "news":
                    title = _child_text(child, "title")
                    published = _child_text(child, "publication_date")
            add(_child_text(el, "loc"), UrlKind.ARTICLE, title, published or _child_text(el, "lastmod"))
            for child in el:
                if _local(child.tag) == "link" and child.get("rel") == "alternate" and child.get("href"):
                    add(child.get("href"), UrlKind.ARTICLE)
    return out
