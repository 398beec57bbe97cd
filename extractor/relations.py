"""The relation step's shared parts: a draft event per funding clause, and investor-list splitting.

Language-specific binding lives in `relations_zh` and `relations_en`; both turn one sentence (its
text, the NER entities in it, and the amounts, rounds and dates found in it) into drafts. The
pipeline then resolves pronouns against the title, merges drafts of one round and normalises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from extractor.dates import DateMention
from extractor.money import Amount
from extractor.rounds import RoundMention
from extractor.segment import Span

_GENERIC_TAIL = re.compile(r"资本|投资|基金|创投|集团|科技|资本管理|控股|Capital|Ventures|Partners")


@dataclass(frozen=True, slots=True)
class Entity:
    """A named entity found by the NER stage, offsets relative to the sentence."""

    text: str
    label: str  # ORG | PER | GOV | ...
    start: int
    end: int


@dataclass(slots=True)
class Draft:
    """One funding event as one sentence states it, before article-level resolution."""

    sentence: Span
    company: str | None = None
    pronoun: bool = False  # the subject was 该公司 / "the startup": resolve against the title
    amount: Amount | None = None
    round: RoundMention | None = None
    leads: list[str] = field(default_factory=list)
    investors: list[str] = field(default_factory=list)
    date: DateMention | None = None
    past: bool = False
    status: str = "announced"
    in_title: bool = False
    co_companies: list[str] = field(default_factory=list)  # 「对A和B进行投资」: B gets an event too
    background: bool = False  # stated in a relative clause ("X, which has raised …"): not reported here
    cues: int = 0  # how many independent funding signals support it (verb, round, amount, investors)

    def has_substance(self) -> bool:
        return self.amount is not None or self.round is not None or bool(self.leads or self.investors)


def inside(entities: list[Entity], start: int, end: int, labels: tuple[str, ...] = ("ORG", "PER", "GOV")) -> list[Entity]:
    """Entities lying within [start, end)."""
    return [e for e in entities if e.start >= start and e.end <= end and e.label in labels]


def split_names(region: str, region_start: int, entities: list[Entity], splitter: re.Pattern[str],
                prefix: re.Pattern[str], suffix: re.Pattern[str], *, max_len: int = 40) -> list[str]:
    """Split an investor list into names; an NER entity inside a piece wins over the raw piece."""
    names: list[str] = []
    pieces: list[tuple[str, int]] = []
    pos = 0
    for m in [*splitter.finditer(region), None]:
        end = m.start() if m else len(region)
        piece = region[pos:end]
        if pieces and (len(piece.strip()) <= 1 or _GENERIC_TAIL.fullmatch(piece.strip())
                       or len(pieces[-1][0].strip()) <= 1):
            # 「方和资本」 split at 和: a piece that cannot be a name on its own joins the one before
            pieces[-1] = (region[pieces[-1][1] - region_start:end], pieces[-1][1])
        else:
            pieces.append((piece, region_start + pos))
        pos = m.end() if m else len(region)
    for piece, piece_start in pieces:
        cleaned = suffix.sub("", prefix.sub("", piece.strip())).strip(" \"'“”‘’「」《》")
        # an NER entity may trim a descriptor off the front of a name, never cut its end
        found = [e for e in inside(entities, piece_start, piece_start + len(piece))
                 if len(e.text) >= 2 and cleaned.endswith(e.text)]
        if found:
            cleaned = found[-1].text
        if 1 < len(cleaned) <= max_len and not cleaned.isdigit():
            names.append(cleaned)
    return list(dict.fromkeys(names))
