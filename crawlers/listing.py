"""Listing pages -> article links picked by a CSS selector (BeautifulSoup)."""

from __future__ import annotations

from collections.abc import Mapping

from bs4 import BeautifulSoup

from crawlers.charset import decode
from crawlers.records import Discovered, UrlKind
from crawlers.urls import try_canonicalize


def parse_listing(body: bytes, url: str, selector: str, headers: Mapping[str, str] | None = None) -> list[Discovered]:
    """Links of the elements matching `selector` (an <a>, or the first <a> inside), canonical and unique.

    Relative links resolve against the page's <base href> or URL; non-http links are skipped.
    """
    text, _, _ = decode(body, headers)
    soup = BeautifulSoup(text, "html.parser")
    base_tag = soup.find("base", href=True)
    base = try_canonicalize(str(base_tag["href"]), url) if base_tag else None
    base = base or url
    out: list[Discovered] = []
    seen: set[str] = set()
    for el in soup.select(selector):
        link = el if el.name == "a" and el.get("href") else el.find("a", href=True)
        if link is None:
            continue
        canonical = try_canonicalize(str(link["href"]), base)
        if canonical is None or canonical in seen:
            continue
        seen.add(canonical)
        title = " ".join(link.get_text(" ", strip=True).split()) or None
        out.append(Discovered(url=canonical, kind=UrlKind.ARTICLE, title=title))
    return out
