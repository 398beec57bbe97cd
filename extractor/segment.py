"""Sentences and clauses with character offsets into the article text; language by script."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")

# A Chinese sentence ends at 。！？；!? (with closing quotes), or at a line break.
_ZH_END = re.compile(r"[。！？!?；;]+[”」』）)]*|\n+")
# An English sentence ends at . ! ? before whitespace and a capital, digit, quote or bracket.
_EN_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[\"'“‘(A-Z0-9])|\n+")
_EN_ABBREV = re.compile(
    r"(?:\b(?:Inc|Co|Corp|Ltd|Mr|Mrs|Ms|Dr|St|Jr|Sr|vs|No|Nos|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
    r"|approx|est|Mt|Ft|U\.S|U\.K|e\.g|i\.e|etc)\.|\b[A-Z]\.)$")
# Clause boundaries inside a sentence (the 、 of lists is not one).
_ZH_CLAUSE = re.compile(r"[，,：:]")


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of the article text: `text == article[start:end]`."""

    text: str
    start: int
    end: int


def detect_lang(text: str) -> str:
    """zh when CJK characters are a fair share of the letters, else en."""
    sample = text[:4000]
    cjk = len(_CJK.findall(sample))
    latin = len(_LATIN.findall(sample))
    return "zh" if cjk and cjk * 3 >= latin * 0.5 else "en"


def sentences(text: str, lang: str) -> list[Span]:
    """Split text into sentences, keeping offsets; whitespace-only pieces are dropped."""
    out: list[Span] = []
    start = 0
    if lang == "zh":
        boundaries = [m.end() for m in _ZH_END.finditer(text)]
    else:
        boundaries = [m.end() for m in _EN_END.finditer(text)
                      if not _EN_ABBREV.search(text[max(0, m.start() - 8):m.start()].rstrip("\"'”’)"))]
    for end in [*boundaries, len(text)]:
        _add(out, text, start, end)
        start = end
    return out


def _add(out: list[Span], text: str, start: int, end: int) -> None:
    piece = text[start:end]
    stripped = piece.strip()
    if not stripped:
        return
    lead = len(piece) - len(piece.lstrip())
    begin = start + lead
    out.append(Span(stripped, begin, begin + len(stripped)))


def clauses(sentence: Span) -> list[Span]:
    """Comma/colon clauses of a sentence, offsets kept (for binding roles to the nearest round)."""
    out: list[Span] = []
    start = 0
    text = sentence.text
    for m in _ZH_CLAUSE.finditer(text):
        # a comma between digits is a thousands separator, not a clause boundary
        if m.group() == "," and 0 < m.start() < len(text) - 1 and text[m.start() - 1].isdigit() \
                and text[m.start() + 1].isdigit():
            continue
        _add(out, text, start, m.end())
        start = m.end()
    _add(out, text, start, len(text))
    return [Span(c.text, c.start + sentence.start, c.end + sentence.start) for c in out]
