"""A fetched page -> `ParsedPage`: title, publication datetime, main text, language, charset.

The cascade, in order:
  1. decode the bytes (`charset.decode`: header, BOM, meta, detection) — everything after works on
     that text, so GBK pages are not mojibake;
  2. parse the HTML once with lxml;
  3. title: og:title, twitter:title, <title>, first <h1>;
  4. published: meta tags (article:published_time, og:, pubdate, publishdate, datePublished, …),
     JSON-LD ``datePublished``, <time datetime>, then an explicit date in the visible text near the
     top (2024年5月20日, 2024-05-20 10:30, May 20, 2024); never guessed — no date gives None;
     naive values are read as Asia/Shanghai on Chinese pages and UTC otherwise;
  5. main text: trafilatura (precision-leaning on the decoded text), falling back to the
     paragraphs BeautifulSoup finds when trafilatura returns too little;
  6. language: zh when CJK characters are a large share of the letters, else en.

Run as ``python -m crawlers.article --url URL < page.html`` to print the result as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path

import lxml.html
import trafilatura
from bs4 import BeautifulSoup
from lxml import etree

from crawlers.charset import decode
from crawlers.dates import SHANGHAI, UTC, find_in_text, parse_datetime
from crawlers.records import ParsedPage

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
ZH_SHARE = 0.3  # share of CJK among CJK+Latin letters above which a text is Chinese
_META_DATE_KEYS = (
    "article:published_time", "og:published_time", "og:article:published_time", "published_time",
    "datepublished", "pubdate", "publishdate", "publish_date", "publish-date", "publication_date",
    "sailthru.date", "dc.date.issued", "dc.date", "dcterms.created", "date", "article.published",
    "parsely-pub-date", "cxenseparse:recs:publishtime", "weibo:article:create_at", "og:release_date",
    "article_date_original", "originalpublicationdate", "displaydate", "timestamp", "og:updated_time",
)
_TITLE_KEYS = ("og:title", "twitter:title")
_TEXT_TAGS = ("p", "h2", "h3", "li", "blockquote")
_MIN_TEXT = 120


def _empty(url: str, charset: str | None = None, method: str | None = None) -> ParsedPage:
    return ParsedPage(url=url, title=None, published=None, lang=None, text="", charset=charset,
                      charset_method=method)


def detect_lang(text: str) -> str | None:
    """'zh' when CJK characters are a large share of the letters, 'en' when Latin dominates, else None."""
    sample = text[:5000]
    cjk = len(_CJK.findall(sample))
    latin_words = len(re.findall(r"[A-Za-z]+", sample))
    if cjk == 0 and latin_words == 0:
        return None
    # compare characters with words: one CJK character carries about as much as one English word
    return "zh" if cjk / (cjk + latin_words) >= ZH_SHARE else "en"


def _meta_map(tree: lxml.html.HtmlElement) -> dict[str, str]:
    out: dict[str, str] = {}
    for el in tree.iter("meta"):
        key = (el.get("property") or el.get("name") or el.get("itemprop") or el.get("http-equiv") or "").strip()
        value = (el.get("content") or "").strip()
        if key and value and key.lower() not in out:
            out[key.lower()] = value
    return out


def _title(tree: lxml.html.HtmlElement, meta: Mapping[str, str]) -> str | None:
    for key in _TITLE_KEYS:
        if meta.get(key):
            return meta[key].strip()
    title = tree.findtext(".//title")
    if title and title.strip():
        return " ".join(title.split())
    h1 = tree.find(".//h1")
    if h1 is not None:
        text = " ".join(h1.text_content().split())
        return text or None
    return None


def _jsonld_dates(tree: lxml.html.HtmlElement) -> list[str]:
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key in ("datePublished", "dateCreated", "uploadDate"):
                if isinstance(node.get(key), str):
                    found.append(node[key])
            for value in node.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for script in tree.iter("script"):
        if (script.get("type") or "").lower() != "application/ld+json" or not script.text:
            continue
        try:
            walk(json.loads(script.text))
        except ValueError:
            continue
    return found


def _published(tree: lxml.html.HtmlElement, meta: Mapping[str, str], text_top: str,
               tz: dt.tzinfo) -> dt.datetime | None:
    candidates: list[str] = [meta[k] for k in _META_DATE_KEYS if k in meta]
    candidates += _jsonld_dates(tree)
    for el in tree.iter("time"):
        if el.get("datetime"):
            candidates.append(el.get("datetime", ""))
    for el in tree.xpath('//*[@itemprop="datePublished"]'):
        candidates.append(el.get("datetime") or el.get("content") or el.text_content())
    for value in candidates:
        parsed = parse_datetime(value, tz)
        if parsed is not None:
            return parsed
    return find_in_text(text_top, tz) if text_top else None


def _visible_top(tree: lxml.html.HtmlElement, limit: int = 3000) -> str:
    """The start of the page's visible text (where bylines carry their dates)."""
    body = tree.find(".//body")
    root = body if body is not None else tree
    parts: list[str] = []
    size = 0
    for text in root.itertext():
        parent = getattr(text, "getparent", lambda: None)()
        if parent is not None and parent.tag in ("script", "style", "noscript", "template"):
            continue
        chunk = text.strip()
        if chunk:
            parts.append(chunk)
            size += len(chunk)
            if size > limit:
                break
    return " ".join(parts)


def _fallback_text(html_text: str) -> str:
    soup = BeautifulSoup(html_text, "html.parser")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "aside", "form"]):
        tag.decompose()
    container = soup.find("article") or soup.find("main") or soup.body or soup
    lines = [" ".join(el.get_text(" ", strip=True).split()) for el in container.find_all(_TEXT_TAGS)]
    return "\n".join(line for line in lines if len(line) > 1)


def _main_text(html_text: str, url: str) -> str:
    # trafilatura prunes the tree it is given: hand it the text, keep our tree intact
    text = trafilatura.extract(html_text, url=url, include_comments=False, include_tables=True,
                               favor_precision=False, deduplicate=False) or ""
    if len(text) < _MIN_TEXT:
        fallback = _fallback_text(html_text)
        if len(fallback) > len(text):
            return fallback
    return text


def parse_html(html_text: str, url: str) -> lxml.html.HtmlElement | None:
    """Parse decoded HTML with lxml; None when there is nothing to parse."""
    if not html_text.strip():
        return None
    # lxml refuses str input with an encoding declaration in an XML prolog
    cleaned = re.sub(r"^\s*<\?xml[^>]*>", "", html_text, count=1)
    try:
        return lxml.html.document_fromstring(cleaned, base_url=url)
    except (etree.ParserError, ValueError):
        return None


def parse_page(body: bytes, url: str, headers: Mapping[str, str] | None = None) -> ParsedPage:
    """Parse one fetched page into an article (empty text when the page has no main text)."""
    html_text, charset, method = decode(body, headers)
    tree = parse_html(html_text, url)
    if tree is None:
        return _empty(url, charset, method)
    meta = _meta_map(tree)
    title = _title(tree, meta)
    top = _visible_top(tree)
    text = _main_text(html_text, url)
    if not _has_prose(text):
        text = ""  # navigation, a form, a list of links: a page, not an article
    lang = detect_lang(text or (title or "") + " " + top)
    tz = SHANGHAI if lang == "zh" else UTC
    published = _published(tree, meta, top, tz)
    return ParsedPage(url=url, title=title, published=published, lang=lang, text=text,
                      charset=charset, charset_method=method)


_CJK_RUN = re.compile(r"[\u4e00-\u9fff]")


def _has_prose(text: str) -> bool:
    """At least one line that reads like a sentence: 40+ characters, or 20+ Chinese characters."""
    return any(len(line) >= 40 or len(_CJK_RUN.findall(line)) >= 20 for line in text.splitlines())


def page_to_json(page: ParsedPage) -> dict[str, object]:
    """The JSON shape `fundwire page` prints."""
    return {
        "url": page.url, "title": page.title,
        "published": page.published.isoformat() if page.published else None,
        "lang": page.lang, "text": page.text, "charset": page.charset, "charset_method": page.charset_method,
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: page bytes on stdin (or a file), the parsed article as JSON on stdout."""
    parser = argparse.ArgumentParser(prog="python -m crawlers.article", description=main.__doc__)
    parser.add_argument("file", nargs="?", default="-", help="HTML file, '-' for stdin")
    parser.add_argument("--url", default="http://localhost/", help="the page's URL (for links and site rules)")
    args = parser.parse_args(argv)
    body = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
    page = parse_page(body, args.url)
    sys.stdout.write(json.dumps(page_to_json(page), ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
