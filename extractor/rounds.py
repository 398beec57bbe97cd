"""Funding rounds: map round names to DESIGN's canonical vocabulary and find them in running text.

Decisions (see NORMALISATION.md): "Private Equity (Round)", "PE", "growth (equity)", "late stage"
→ growth; seed and angel named together ("Seed/ Angel Funding", 种子天使轮) → angel, as the gold
scorer does for 种子天使; "Corporate Round" → strategic; any debt or loan → debt. Names that fix no
stage give None: "Venture Round", "Funding Round", "Equity", "Private Funding", "Bridge Round",
"Mezzanine", "Maiden Round", crowdfunding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from extractor.money import fold_text


@dataclass(frozen=True, slots=True)
class RoundMention:
    """A round as written in the text, with its canonical name (None when it names no stage)."""

    canonical: str | None
    text: str
    start: int
    end: int


_FILLER = re.compile(
    r"(?i)\\+n|\(?extension\)?|funding|financing|investments?|capital|rounds?|tranche|stage|轮融资|融资|轮次|轮|投资|注资")
_COMPACT = re.compile(r"[\s\-_.·:,/]+")
_LETTER = re.compile(r"(pre)?(?:series)?([a-k])(\+{1,2}|plus|\d{1,2})?")
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), name) for p, name in (
        (r".*(?:debt|loan|债权|债务|贷款).*", "debt"),
        (r".*(?:convertible|可转债|可转换).*", "convertible"),
        (r"(?:pre|前)ipo", "pre-IPO"),
        (r".*战略.*|strategic|corporate", "strategic"),
        (r"(?:pre|前)(?:seed|种子)|种子前", "pre-seed"),
        (r".*(?:seed|种子).*(?:angel|angle|天使).*|.*(?:angel|angle|天使).*(?:seed|种子).*", "angel"),
        (r"(?:angel|angle|天使)(?:\+|plus)", "angel+"),
        (r"angel|angle|天使", "angel"),
        (r"seed|种子", "seed"),
        (r"privateequity|pe|growth|growthequity|成长期?|latestage|late", "growth"),
    ))


def canonical_round(text: str) -> str | None:
    """Canonical round of a string that names one round ("Series B" → "B", "天使+轮" → "angel+")."""
    t = fold_text(text).lower()
    t = _FILLER.sub(" ", t)
    compact = _COMPACT.sub("", t).replace("plus", "+")
    if not compact:
        return None
    for pattern, name in _RULES:
        if pattern.fullmatch(compact):
            return name
    m = _LETTER.fullmatch(compact)
    if m:
        suffix = (m.group(3) or "").replace("plus", "+")
        return ("pre-" if m.group(1) else "") + m.group(2).upper() + suffix
    return None


_ROUND_RE = re.compile(
    r"""
    (?=[A-Za-z种前天战债可])  # every alternative starts so: skips ordinary text fast
    (?:
      (?<![A-Za-z0-9])(?:(?i:pre)\s?-?\s?)?[A-Ka-k](?:\s?\+{1,2}|\d{1,2})?\s?轮
    | (?<![A-Za-z0-9])(?i:pre)\s?-?\s?[A-K](?:\s?\+)?(?=\s?(?:融资|投资|系列))
    | (?<![A-Za-z])(?i:pre)\s?-?\s?IPO(?:\s?轮)?
    | 种子天使轮 | 前种子轮? | 天使\s?\+\s?轮 | 天使(?:轮|投资|融资) | 种子(?:轮|投资|融资)
    | 战略(?:投资|融资|注资) | 战略轮 | 债权融资 | 债务融资 | 可转债融资?
    | (?i:(?<![A-Za-z])(?:pre-?)?series[\s-]?[A-K](?:\+|\d{1,2})?(?![A-Za-z0-9]))
    | (?<![A-Za-z])(?:an?|the|its|their|his|her)\s(?P<letter>[A-K](?:\+|\d)?)\s(?i:round|funding\sround|financing)\b
    | (?i:(?<![A-Za-z])pre-?seed(?:\s(?:round|funding|financing))?\b)
    | (?i:(?<![A-Za-z])seed(?:\s(?:round|funding|financing|extension)|(?!\s?-?\s?(?:stage|investor|fund|firm|accelerator|program))\b))
    | (?i:(?<![A-Za-z])angel\s(?:round|funding|financing|investment)\b)
    | (?i:(?<![A-Za-z])(?:growth(?:\sequity)?\s(?:round|financing)|strategic\s(?:investment|round|funding|financing)
          |venture\sdebt|debt\s(?:financing|funding|round)|convertible\snotes?|bridge\sround)\b)
    )
    """,
    re.VERBOSE,
)


def find_rounds(text: str) -> list[RoundMention]:
    """Every round expression in running text, in order, with offsets into `text`."""
    folded = fold_text(text)
    found: list[RoundMention] = []
    for m in _ROUND_RE.finditer(folded):
        start, end = m.span("letter") if m.group("letter") else m.span()
        written = text[start:end]
        found.append(RoundMention(canonical_round(written), written, start, end))
    return found
