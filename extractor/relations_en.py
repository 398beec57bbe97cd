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
    r"on\s+\w+day|in\s+\w+|so|but|and|however|finally|instead|then)\s*,?\s*)+", re.IGNORECASE)
_DESCRIPTOR_WORDS = {"AI", "The", "A", "An", "US", "U.S.", "UK", "EU", "Indian", "Chinese", "French", "German",
                     "British", "Israeli", "European", "American", "Japanese", "Korean", "Singapore", "SaaS",
                     "Fintech", "Startup", "Today", "Now", "It", "This", "That", "Its", "Series", "Seed",
                     "CEO", "Founder", "Co-founder", "On", "In", "After", "With", "Meanwhile", "Comment", "Here", "There"}
_STOP_LIST = re.compile(r"[.;]\s|[.;]$|\s+and\s+with\s|\s+(?:with|to|for|which|who|that|bringing|taking|valuing|after|at)\s+|\(|—|–\s")
_LEADS_IN = re.compile(
    r"(?P<investor>(?:[A-Z0-9][\w.&'’-]*\s?){1,5}?)\s+(?:leads|led|co-leads|co-led|heads|headed)\s+"
    r"[^,;.]{0,40}?\b(?:round|investment|funding|raise|financing)\s+(?:in|into|for)\s+"
    r"(?P<company>[^,;]+?)(?=\s*(?:[,;]|\.\s|\.$|$))")
_CLAUSE_END = re.compile(r",\s+and\b|\s+and,\s|;|,\s+(?:but|while)\b")
_PEOPLE_TITLES = re.compile(r"(?i)\b(?:CEO|founder|co-founder|partner|chief|president|investor)\b")


def sentence_drafts(sent: Span, entities: list[Entity], published: dt.date | None, *, in_title: bool) -> list[Draft]:
    """Drafts for one English sentence (entity offsets relative to the sentence)."""
    text = sent.text
    verbs = list(cues.EN_VERB.finditer(text))
    led = _LEADS_IN.search(text)
    if led:  # "Alibaba leads $1 billion round in Chinese AI startup Moonshot AI"
        verbs.append(led)
        verbs.sort(key=lambda v: v.start())
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
        verb = next((v for v in reversed(verbs) if v.end() <= max(a_start, a_end) + 1
                     or (v.re is _LEADS_IN and v.start() < a_start)), None)
        if verb is None and round_ is None:
            continue
        if _cumulative(text, draft, a_start, hi):
            continue
        _bind_subject(draft, text, entities, verb, lo)
        _bind_investors(draft, text, entities, lo, a_start, hi)
        draft.date = _date_near(dates, a_start)
        clause_end = _CLAUSE_END.search(text, a_end)
        before = text[max(0, lo - 2):clause_end.start() if clause_end else hi]
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
    tight = text[max(0, draft.amount.start - 14):min(len(text), draft.amount.end + 10)]
    if re.search(r"(?i)a total of|to date|in total", tight):
        return True
    near = text[max(0, draft.amount.start - 30):min(hi, draft.amount.end + 40)]
    return bool(cues.EN_CUMULATIVE.search(near)) and draft.round is None


_ADVERB_TAIL = re.compile(r"(?i)(?:\s+(?:recently|just|also|now|today|finally|has|have|had|officially|reportedly|"
                          r"quietly|already|successfully|then))+\s*$")
_LOCATION_TAIL = re.compile(r"\s+(?:in|of|from)\s+[A-Z][\w.-]*(?:\s+[A-Z][\w.-]*)*$")
_TITLE_SUBJECT = re.compile(r"^(?P<name>(?:[A-Z0-9][\w.&'’+-]*)(?:\s+[A-Z0-9][\w.&'’+-]*){0,3}?)(?:’s|'s)?\s+"
                            r"(?:[a-z]+s|is|has|lands|gets|emerges)\b")


def _name_chunks(text: str) -> list[str]:
    chunks = []
    for m in _NAME.finditer(text):
        words = [w for w in m.group().split() if not (w[0].isdigit() and re.search(r"\d[a-z]{2,}", w))]
        while words and words[-1] in ("of", "de", "the", "for", "and", "&"):
            words.pop()
        if words:
            chunks.append(" ".join(words))
    return chunks


def _clean_name(name: str) -> str | None:
    words = name.split()
    while len(words) > 1 and words[0] in _DESCRIPTOR_WORDS:
        words = words[1:]
    name = re.sub(r"^[\w.-]+-based\s+", "", " ".join(words))
    name = re.sub(r"(?:'s|’s)$", "", name)
    if not name or name in _DESCRIPTOR_WORDS or name.isdigit():
        return None
    return name


def _is_proper(part: str) -> bool:
    words = part.split()
    return bool(words) and all(w[0].isupper() or w[0].isdigit() or w in ("of", "de", "and", "&") for w in words)


def subject_name(region: str) -> str | None:
    """The company name ending a subject region; None for pronouns and descriptions.

    "Picus Security, founded by three mathematicians," -> Picus Security (the name before an
    apposition); "Grok's image generator, Black Forest Labs," -> Black Forest Labs (the proper part);
    "In 2023, UPchieve" -> UPchieve (the clause next to the verb).
    """
    region = _ADVERB_TAIL.sub("", _SUBJECT_LEAD.sub("", region.strip())).strip()
    if region.endswith(","):
        parts = [p.strip() for p in region[:-1].split(",") if p.strip()]
        proper = [p for p in parts if _is_proper(p)]
        head = proper[-1] if proper else (parts[0] if parts else "")
        if cues.EN_PRONOUN.match(head):
            return None
        chunks = _name_chunks(_LOCATION_TAIL.sub("", head))
        candidate = chunks[0] if chunks and not proper else (chunks[-1] if chunks else None)
    else:
        head = re.split(r",\s*|\s+and\s+(?=[A-Z])", region)[-1].strip()
        if not head or cues.EN_PRONOUN.match(head) or re.search(r"(?i)\b(?:it|they|we|which|who|that)$", head):
            return None
        chunks = _name_chunks(_LOCATION_TAIL.sub("", head))
        candidate = chunks[-1] if chunks else None
    if candidate is None or cues.EN_PRONOUN.match(candidate):
        return None
    return _clean_name(candidate)


def title_subject(title: str) -> str | None:
    """The company a headline is about when it opens with it: "Tidal Metals sees …" -> Tidal Metals."""
    m = _TITLE_SUBJECT.match(title.strip())
    return _clean_name(m.group("name")) if m else None


def _bind_subject(draft: Draft, text: str, entities: list[Entity], verb: re.Match[str] | None, lo: int) -> None:
    if verb is None:
        draft.pronoun = True
        return
    if verb.re is _LEADS_IN:
        draft.company = subject_name(verb.group("company"))
        draft.leads += [n for n in _list_names(verb.group("investor")) if n not in draft.leads]
        draft.pronoun = draft.company is None
        return
    region = text[lo if lo and lo < verb.start() else 0:verb.start()]
    if re.search(r"(?i)\b(?:which|who|that)(?:\s+(?:has|have|had|also|last|previously|recently))*\s*$", region):
        draft.background = True  # "X, which has raised $500M," is background, not a round being reported
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
        piece = re.sub(r"^(?:the|its|existing|other)\s+", "", piece, flags=re.IGNORECASE)
        piece = re.sub(r"-led\b.*$", "", piece)
        if not piece or not (piece[0].isupper() or piece[0].isdigit() or piece[:2].lower() == "a1"
                             or (len(piece.split()[0]) <= 3 and piece.split()[-1][:1].isupper())):
            continue
        if len(piece) > 60 or _PEOPLE_TITLES.search(piece) and "," not in piece and len(piece.split()) > 4:
            continue
        names.append(cues.ALIASES_EN.get(piece.lower(), piece))
    return names


def _bind_investors(draft: Draft, text: str, entities: list[Entity], lo: int, a_start: int, hi: int) -> None:
    for m in cues.EN_LED_BY.finditer(text, max(lo, a_start - 40), hi):
        draft.leads += [n for n in _list_names(text[m.end():hi]) if n not in draft.leads]
    for m in cues.EN_LED_THE_ROUND.finditer(text):
        head = text[:m.start()].split(",")[-1]
        found = list(_NAME.finditer(head))
        if found:
            draft.leads += [n for n in _list_names(found[-1].group()) if n not in draft.leads]
    # "a16z-led seed round"
    for m in re.finditer(r"\b([\w.&-]+)-led\b", text[max(lo, a_start - 30):a_start + 2]):
        name = cues.ALIASES_EN.get(m.group(1).lower(), m.group(1))
        if name not in draft.leads:
            draft.leads.append(name)
    for m in cues.EN_PARTICIPATION.finditer(text, max(lo, a_start - 10), hi):
        draft.investors += [n for n in _list_names(text[m.end():hi]) if n not in draft.investors]
    draft.investors = list(dict.fromkeys(draft.leads + draft.investors))


def _date_near(dates: list[DateMention], anchor: int) -> DateMention | None:
    before = [d for d in dates if d.end <= anchor + 40]
    return before[-1] if before else (dates[0] if dates else None)
