"""The batch extraction contract (DESIGN.md): one JSON line in, one JSON line out, in order.

A malformed line never stops the batch: it yields `{"id": ..., "events": [], "error": "..."}`
(`id` null when the line has none) and the caller counts it.
"""

from __future__ import annotations

import json
import re
from typing import Any, Protocol

from extractor.records import Article, FundingEvent, parse_published

_ID_IN_BROKEN_LINE = re.compile(r'"id"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+))')


class Extracts(Protocol):
    def extract(self, article: Article) -> list[FundingEvent]: ...


class BadLine(Exception):
    """An input line that is not a usable article; the message says why."""

    def __init__(self, message: str, line_id: Any = None) -> None:
        super().__init__(message)
        self.line_id = line_id


def article_from_line(line: str, lineno: int) -> tuple[Article, Any]:
    """Validate one input line into an Article and its id as given (raises BadLine)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        found = _ID_IN_BROKEN_LINE.search(line)
        line_id = (found.group(1) if found.group(1) is not None else int(found.group(2))) if found else None
        raise BadLine(f"line {lineno}: malformed JSON ({exc.msg} at column {exc.colno})", line_id) from exc
    if not isinstance(record, dict):
        raise BadLine(f"line {lineno}: expected a JSON object, got {type(record).__name__}")
    line_id = record.get("id")
    if line_id is None or line_id == "":
        raise BadLine(f"line {lineno}: missing required field 'id'")
    text = record.get("text")
    if not isinstance(text, str):
        raise BadLine(f"line {lineno}: field 'text' must be a string", line_id)
    lang = record.get("lang")
    title = record.get("title")
    url = record.get("url")
    return Article(
        id=str(line_id), text=text, title=title if isinstance(title, str) else None,
        published=parse_published(record.get("published")), lang=lang if lang in ("zh", "en") else None,
        url=url if isinstance(url, str) else None), line_id


def extract_line(extractor: Extracts, line: str, lineno: int) -> tuple[dict[str, Any], str | None]:
    """The output object for one input line, and the error message if the line was bad."""
    try:
        article, line_id = article_from_line(line, lineno)
    except BadLine as exc:
        return {"id": exc.line_id, "events": [], "error": str(exc)}, str(exc)
    try:
        events = extractor.extract(article)
    except Exception as exc:  # noqa: BLE001 - one bad article never stops a batch
        message = f"line {lineno}: extraction failed: {type(exc).__name__}: {exc}"
        return {"id": line_id, "events": [], "error": message}, message
    return {"id": line_id, "events": [e.to_json() for e in events]}, None
