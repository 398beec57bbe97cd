"""English relation binding: "X raised $N in a Series B led by Y, with participation from Z".

For one sentence:
1. anchors: every round mention, else every amount that follows a funding verb ("raises $17M");
2. per anchor: the nearest amount (before the round: "$17 million Series A") that is not a
   valuation ("at a $1B valuation"), revenue or cumulative total ("$50M to date");
3. the subject: the last capitalised name before the verb, skipping descriptors ("AI notetaker
   Fathom" -> Fathom) and appositions ("Picus Security, founded by …, raises" -> Picus Security);
   "the company"/"the startup" is left for the title to resolve;
4. investors: "led by X and Y", "X led the round", "with participation from A, B and C",
   "from A and B", "backed by", "investors include".
"""

from __future__ import annotations

import datetime as dt
import re

from extractor import cues
from extractor.dates import DateMention, find_dates
from extractor.money import Amount, find_amounts
from extractor.relations import Draft, Entity, inside
from extractor.rounds import RoundMention, find_rounds
from extractor.segment import Span

_NAME = re.compile(r"(?:[A-Z0-9][\w.&'’+-]*|[a-z]+[A-Z][\w.-]*)(?:\s+(?:[A-Z0-9][\w.&'’+-]*|of|de|the|for|and|&)(?=\s|$|,))*")
_SUBJECT_LEAD = re.compile(
    r"^(?:(?:today|now|meanwhile|also|additionally|separately|earlier|recently|last\s+week|this\s+week|"
    r"on\s+\w+day|in\s+\w+|so|but|and|however|finally|instead|then)\s*,?\s*)+", re.I)
_DESCRIPTOR_WORDS = {"AI", "The", "A", "An", "US", "U.S.", "UK", "EU", "Indian", "Chinese", "French", "German",
                     "British", "Israeli", "European", "American", "Japanese", "Korean", "Singapore", "SaaS",
                     "Fintech", "Startup", "Today", "Now", "It", "This", "That", "Its", "Series", "Seed",
                     "CEO", "Founder", "Co-founder", "On", "In", "After", "With", "Meanwhile", "Grok's"}
_STOP_LIST = re.compile(r"[.;]\s|[.;]$|\s+(?:with|to|for|which|who|that|bringing|taking|valuing|after|at)\s+|\(|—|–\s")
_PEOPLE_TITLES = re.compile(r"(?i)\b(?:CEO|founder|co-founder|partner|chief|president|investor)\b")


def sentence_drafts(sent: Span, entities: list[Entity], published: dt.date | None, *, in_title: bool) -> list[Draft]:
    """Drafts for one English sentence (entity offsets relative to the sentence)."""
    text = sent.text
    verbs = list(cues.EN_VERB.finditer(text))
    rounds = [r for r in find_rounds(text)]
    if not verbs and not rounds:
        return []
    if cues.EN_OUT_OF_SCOPE.search(text) and not rounds:
        return []
    amounts = [a for a in find_amounts(text, lang="en") if a.currency and not _not_round_size(text, a)]
    anchors: list[tuple[int, int, RoundMention | None]] = [(r.start, r.end, r) for r in rounds]
    if not anchors:
        anchors = [(a.start, a.end, None) for a in amounts
                   if any(v.end() <= a.start and a.start - v.end() < 40 for v in verbs)]
        if not anchors and verbs and cues.EN_FUNDING_NOUN.search(text):
            anchors = [(verbs[0].end(), verbs[0].end(), None)]
    dates = find_dates(text, published, lang="en")
    drafts: list[Draft] = []
    for i, (a_start, a_end, round_) in enumerate(anchors):
        lo = anchors[i - 1][1] if i else 0
        hi = anchors[i + 1][0] if i + 1 < len(anchors) else len(text)
        draft = Draft(sentence=sent, round=round_, in_title=in_title)
        draft.amount = _nearest_amount(amounts, a_start, a_end, lo, hi)
        verb = next((v for v in reversed(verbs) if v.end() <= max(a_start, a_end) + 1), None)
        if verb is None and round_ is None:
            continue
        if _cumulative(text, draft, a_start, hi):
            continue
        _bind_subject(draft, text, entities, verb, lo)
        _bind_investors(draft, text, entities, a_start, hi if i + 1 < len(anchors) else len(text))
        draft.date = _date_near(dates, a_start)
        before = text[max(0, lo - 2):a_end]
        draft.past = bool(cues.EN_PAST.search(before)) and not re.search(r"(?i)\btoday\b|\bthis week\b", before)
        if cues.EN_REPORTED.search(text):
            draft.status = "reported"
        elif cues.EN_PLANNED.search(text[: a_end + 20]):
            draft.status = "planned"
        elif verb is not None:
            draft.status = "closed"
        draft.cues = sum([verb is not None, round_ is not None, draft.amount is not None,
                          bool(draft.leads or draft.investors)])
        drafts.append(draft)
    return drafts


def _not_round_size(text: str, amount: Amount) -> bool:
    return bool(cues.EN_VALUE_NOT_ROUND.search(text[max(0, amount.start - 40):amount.start])
                or cues.EN_VALUATION_AFTER.match(text[amount.end:amount.end + 30]))


def _nearest_amount(amounts: list[Amount], a_start: int, a_end: int, lo: int, hi: int) -> Amount | None:
    best, best_d = None, 10**9
    for amount in amounts:
        if amount.start < lo or amount.end > hi:
            continue
        d = a_start - amount.end if amount.end <= a_start else amount.start - a_end + 4
        if d < best_d:
            best, best_d = amount, d
    return best if best_d <= 60 else None


def _cumulative(text: str, draft: Draft, a_start: int, hi: int) -> bool:
    if draft.amount is None:
        return False
    near = text[max(0, draft.amount.start - 30):min(hi, draft.amount.end + 40)]
    return bool(cues.EN_CUMULATIVE.search(near)) and draft.round is None


def subject_name(region: str) -> str | None:
    """The company name ending a subject region; None for pronouns and descriptions."""
    region = _SUBJECT_LEAD.sub("", region.strip()).strip(" ,")
    if not region or cues.EN_PRONOUN.match(region) or re.search(r"(?i)\b(?:it|they|we)$", region):
        return None
    # "Picus Security, founded by three mathematicians," -> the part before the apposition
    head = region.split(",")[0].strip() if "," in region else region
    found = [m for m in _NAME.finditer(head)]
    if not found:
        return None
    name = found[-1].group().strip()
    words = name.split()
    while words and words[0] in _DESCRIPTOR_WORDS and len(words) > 1:
        words = words[1:]
    name = " ".join(words)
    name = re.sub(r"^[\w.-]+-based\s+", "", name)
    name = re.sub(r"(?:'s|’s)$", "", name)
    if not name or name in _DESCRIPTOR_WORDS or name.isdigit():
        return None
    return name


def _bind_subject(draft: Draft, text: str, entities: list[Entity], verb: re.Match[str] | None, lo: int) -> None:
    if verb is None:
        return
    region = text[lo if lo and lo < verb.start() else 0:verb.start()]
    if cues.EN_PRONOUN.search(region.strip()) or re.search(r"(?i)\b(?:the\s+(?:company|startup|firm|business)|it)\s*$",
                                                             region):
        draft.pronoun = True
        return
    name = subject_name(region)
    if name is None:
        draft.pronoun = True
        return
    orgs = inside(entities, verb.start() - len(region), verb.start(), ("ORG",))
    tail = [e for e in orgs if name in e.text and len(e.text.split()) <= len(name.split()) + 2
            and not any(w in _DESCRIPTOR_WORDS for w in e.text.split()[:1])]
    draft.company = tail[-1].text if tail else name


def _list_names(segment: str) -> list[str]:
    segment = _STOP_LIST.split(segment, maxsplit=1)[0]
    names = []
    for piece in cues.EN_LIST_SPLIT.split(segment):
        piece = cues.EN_NAME_PREFIX.sub("", piece.strip()).strip(" .\"'“”")
        piece = cues.EN_NAME_STOP.sub("", piece)
        piece = re.sub(r"^(?:the|its|existing|other)\s+", "", piece, flags=re.I)
        if not piece or not (piece[0].isupper() or piece[0].isdigit() or piece[:2].lower() == "a1"):
            continue
        if len(piece) > 60 or _PEOPLE_TITLES.search(piece) and "," not in piece and len(piece.split()) > 4:
            continue
        names.append(cues.ALIASES_EN.get(piece.lower(), piece))
    return names


def _bind_investors(draft: Draft, text: str, entities: list[Entity], a_start: int, hi: int) -> None:
    for m in cues.EN_LED_BY.finditer(text):
        draft.leads += [n for n in _list_names(text[m.end():]) if n not in draft.leads]
    for m in cues.EN_LED_THE_ROUND.finditer(text):
        head = text[:m.start()].split(",")[-1]
        found = list(_NAME.finditer(head))
        if found:
            draft.leads += [n for n in _list_names(found[-1].group()) if n not in draft.leads]
    # "a16z-led seed round"
    for m in re.finditer(r"\b([\w.&-]+)-led\b", text):
        name = cues.ALIASES_EN.get(m.group(1).lower(), m.group(1))
        if name not in draft.leads:
            draft.leads.append(name)
    for m in cues.EN_PARTICIPATION.finditer(text, max(0, a_start - 10)):
        draft.investors += [n for n in _list_names(text[m.end():]) if n not in draft.investors]
    draft.investors = list(dict.fromkeys(draft.leads + draft.investors))


def _date_near(dates: list[DateMention], anchor: int) -> DateMention | None:
    before = [d for d in dates if d.end <= anchor + 40]
    return before[-1] if before else (dates[0] if dates else None)
