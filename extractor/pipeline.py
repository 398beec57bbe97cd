"""The extraction pipeline: article -> funding events. Pure: no I/O, no global state.

Stages, in order:
1. language: the article's `lang`, else detected from the script;
2. first pass: a cheap regex over title and text decides whether the article can hold a funding
   event at all (most news cannot, and costs almost nothing);
3. candidate sentences: the title and the sentences with a funding cue (the sentence after one
   too, when it starts with 本轮/此轮/"The round", since investors often come there);
4. relations per sentence (`relations_zh` / `relations_en`): drafts binding company, amount,
   round, investors, date, tense and status;
5. NER (spaCy per language, or a transformers model) on the sentences that gave drafts, which are
   bound again with the entities: the model trims names the rules cut too long;
6. article-level resolution: 该公司 / "the startup" -> the title's company; investors named in a
   follow-up sentence join the event before; drafts of one round merge; earlier rounds are
   marked `is_current: false`;
7. normalisation: canonical round, amount bounds, yuan at the event date, date precision.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from extractor import cues, relations_en, relations_zh
from extractor.companies import (
    company_key,
    find_alias_pairs,
    same_company,
    short_name,
    strip_legal_suffix,
    trade_name,
)
from extractor.fx import to_cny
from extractor.money import Qualifier
from extractor.ner import ModelError, NerBackend, load_backend
from extractor.records import Article, FundingEvent, Status
from extractor.relations import Draft
from extractor.segment import Span, detect_lang, sentences

__all__ = ["Extractor", "ModelError"]

EXTRACTOR_VERSION = "0.1.0"
_FOLLOW_UP = re.compile(r"^(?:本轮|此轮|该轮|本次|这轮|这次|此次|其中|投资方|The round|The funding|The investment|"
                        r"Investors|Other investors|The raise|The financing|Participants)", re.IGNORECASE)
# The scraped TechCrunch text lost the spaces around links: "GreenLiteraised", "$23 millionto".
_EN_GLUE = re.compile(r"(?<=\b[A-Z][a-z]{2})(?=(?:raised|raises|announced)\b)|(?<=[a-z][A-Z][a-z])(?=raised\b)|"
                      r"(?<=[a-z]{4})(?=(?:raised|raises)\s+\$)|(?<=\d million|\d billion)(?=[a-z])|"
                      r"(?<=,)(?=raised\b)|(?<=\d{4})(?=when\b|and\b)")
PAST_DAYS = 120
MAX_CANDIDATES = 80  # funding roundups state a few dozen rounds; more is a list or an attack
MAX_SENTENCE = 1000
_GLUED_AI = re.compile(r"^([\u4e00-\u9fff]{2,})(?:AI|Ai|ai)$")
_WEEK = re.compile(r"(?i)\bthis week\b|本周(?![一二三四五六日天])|这周(?![一二三四五六日天])")


@dataclass(slots=True)
class Extractor:
    """Holds the NER backend; `extract` is a pure function of (article, version)."""

    ner: NerBackend
    version: str

    @classmethod
    def load(cls, spec: str = "spacy") -> Extractor:
        backend = load_backend(spec)
        version = f"fundwire-{EXTRACTOR_VERSION}+{getattr(backend, 'version', backend.name)}"
        return cls(ner=backend, version=version)

    def extract(self, article: Article) -> list[FundingEvent]:
        lang = article.lang or detect_lang((article.title or "") + article.text)
        title = (article.title or "").strip()
        text = article.text
        if lang == "en":
            text = _EN_GLUE.sub(" ", text)
            title = _EN_GLUE.sub(" ", title)
        if not cues.FIRST_PASS[lang].search(title + "\n" + text):
            return []
        candidates = self._candidates(title, text, lang)
        if not candidates:
            return []
        binder = relations_zh if lang == "zh" else relations_en
        # Rules first; the NER only refines names, so it runs on the sentences that gave drafts.
        per_sentence = [binder.sentence_drafts(sent, [], article.published, in_title=in_title)
                        for sent, in_title in candidates]
        hits = [i for i, found in enumerate(per_sentence) if found]
        if hits:
            entities = self.ner.entities([candidates[i][0].text for i in hits], lang)
            for i, ents in zip(hits, entities, strict=True):
                if ents:
                    sent, in_title = candidates[i]
                    per_sentence[i] = binder.sentence_drafts(sent, ents, article.published, in_title=in_title)
        drafts: list[Draft] = [d for found in per_sentence for d in found]
        aliases = find_alias_pairs(title + "\n" + text)
        return _resolve(drafts, article, lang, text, [(a.name, a.alias) for a in aliases])

    def _candidates(self, title: str, text: str, lang: str) -> list[tuple[Span, bool]]:
        """Title and cue sentences, at most MAX_CANDIDATES, each at most MAX_SENTENCE characters
        (longer "sentences" are unsplit markup or lists, and are cut into pieces): the bound that
        keeps a huge or hostile page from stalling a crawl."""
        out: list[tuple[Span, bool]] = []
        if title:
            out.append((Span(title[:MAX_SENTENCE], 0, min(len(title), MAX_SENTENCE)), True))
        cue = cues.FIRST_PASS[lang]
        previous_hit = False
        for sent in sentences(text, lang):
            for piece in _pieces(sent):
                hit = bool(cue.search(piece.text))
                if hit or (previous_hit and _FOLLOW_UP.match(piece.text)):
                    out.append((piece, False))
                    if len(out) > MAX_CANDIDATES:
                        return out
                previous_hit = hit
        return out


def _pieces(sent: Span) -> list[Span]:
    if len(sent.text) <= MAX_SENTENCE:
        return [sent]
    return [Span(sent.text[i:i + MAX_SENTENCE], sent.start + i, sent.start + min(i + MAX_SENTENCE, len(sent.text)))
            for i in range(0, len(sent.text), MAX_SENTENCE)]


def _resolve(drafts: list[Draft], article: Article, lang: str, text: str,
             aliases: list[tuple[str, str]]) -> list[FundingEvent]:
    title_company = next((d.company for d in drafts if d.in_title and d.company), None)
    if title_company is None and lang == "en" and article.title:
        title_company = relations_en.title_subject(article.title)
    last_company: str | None = None
    kept: list[Draft] = []
    for draft in drafts:
        if draft.background:
            continue
        if draft.company is None and draft.pronoun:
            # English roundups name many companies: "the startup" only ever means the headline's
            draft.company = title_company or (last_company if lang == "zh" else None)
        if draft.company is None:
            # a sentence that only names investors belongs to the event before it
            if kept and (draft.leads or draft.investors) and draft.amount is None and draft.round is None:
                _merge_into(kept[-1], draft)
            continue
        last_company = draft.company
        if not draft.has_substance() or draft.cues < 2:
            continue
        if draft.company in draft.investors:
            draft.investors.remove(draft.company)
            if draft.company in draft.leads:
                draft.leads.remove(draft.company)
        home = next((k for k in kept if _same_round(k, draft)), None)
        if home is None:
            kept.append(draft)
        else:
            _merge_into(home, draft)
    kept = [d for d in kept if not _is_sum_of_others(d, kept)]
    return [_finish(d, article, lang, text, aliases) for d in kept]


def _fullest_names(names: Iterable[str]) -> tuple[str, ...]:
    """Distinct names, a short form dropped when a fuller one is there ("Grotech", "Grotech Ventures")."""
    unique = list(dict.fromkeys(n for n in names if n))
    return tuple(n for n in unique if not any(o != n and (o.startswith(n + " ") or (
        not n.isascii() and o.startswith(n) and len(n) >= 2)) for o in unique))


def _is_sum_of_others(draft: Draft, drafts: list[Draft]) -> bool:
    """"raises $23M" when the article splits it into a $14M A and a $9M seed: a total, not a round."""
    if draft.round is not None or draft.amount is None or draft.amount.value is None:
        return False
    parts = [d.amount.value for d in drafts if d is not draft and d.round is not None and d.amount is not None
             and d.amount.value is not None and d.amount.currency == draft.amount.currency
             and _same_company(d.company or "", draft.company or "")]
    return len(parts) >= 2 and abs(sum(parts) - draft.amount.value) <= Decimal("0.02") * draft.amount.value


def _same_company(a: str, b: str) -> bool:
    if same_company(a, b):
        return True
    ka, kb = sorted((company_key(a), company_key(b)), key=len)
    return len(ka) >= (2 if not ka.isascii() else 4) and kb.startswith(ka)


def _same_round(a: Draft, b: Draft) -> bool:
    if not _same_company(a.company or "", b.company or ""):
        return False
    ra = a.round.canonical if a.round else None
    rb = b.round.canonical if b.round else None
    if ra and rb:
        return ra == rb
    if a.amount and b.amount and a.amount.currency == b.amount.currency:
        va = a.amount.value or a.amount.min
        vb = b.amount.value or b.amount.min
        if va and vb and abs(va - vb) > Decimal("0.02") * max(va, vb):
            return False
    # an earlier round and the announced one never merge, unless one side is only the headline
    return a.past == b.past or a.in_title or b.in_title


def _merge_into(home: Draft, other: Draft) -> None:
    if home.amount is None or (other.amount is not None and (
            home.in_title or (home.amount.value is None and other.amount.value is not None))):
        home.amount = other.amount or home.amount  # the body states it more exactly than the title
    home.round = home.round or other.round
    home.date = home.date or other.date
    if home.company and other.company and len(other.company) > len(home.company) and \
            company_key(other.company).startswith(company_key(home.company)) and home.in_title:
        home.company = other.company
    home.leads += [n for n in other.leads if n not in home.leads]
    home.investors += [n for n in other.investors if n not in home.investors]
    home.cues = max(home.cues, other.cues)
    home.past = home.past and other.past
    if home.in_title and not other.in_title:
        home.sentence, home.in_title = other.sentence, False
        home.status = other.status


def _finish(draft: Draft, article: Article, lang: str, text: str,
            aliases: list[tuple[str, str]]) -> FundingEvent:
    assert draft.company is not None
    company = short_name(draft.company).strip() or draft.company
    published = article.published
    date = draft.date.date if draft.date else None
    precision = str(draft.date.precision) if draft.date else None
    if draft.date and published and (date and date > published or _WEEK.search(draft.date.text)):
        # a future date is when a round is due, not when it was announced; "this week" is the article's
        date, precision = published, "day"
    past = draft.past or bool(date and published and (published - date).days > PAST_DAYS)
    if date is None and not past and published is not None:
        date, precision = published, "day"
    amount = draft.amount
    undisclosed = amount is not None and amount.qualifier == Qualifier.UNDISCLOSED
    if amount is None and lang == "zh" and relations_zh.undisclosed(draft.sentence.text):
        undisclosed = True
    cny = to_cny(amount, date or published) if amount is not None and not undisclosed else None
    extra = []
    if company != draft.company:
        extra.append(draft.company)  # the legal name as written (北京月之暗面科技有限公司)
        extra.append(trade_name(draft.company) or "")  # and the name it trades under (月之暗面)
    glued = _GLUED_AI.match(company)
    if glued:
        extra.append(glued.group(1))  # 智谱AI is also written 智谱
    own_aliases = tuple(dict.fromkeys(
        [other for pair in aliases if any(same_company(n, company) for n in pair)
         for other in pair if company_key(other) != company_key(company)]
        + [n for n in extra if n and company_key(n) != company_key(company)]))
    investors = _fullest_names(strip_legal_suffix(n) for n in draft.investors)
    leads = _fullest_names(strip_legal_suffix(n) for n in draft.leads)
    status = Status(draft.status)
    confidence = 0.35 + 0.15 * draft.cues + (0.05 if draft.date else 0.0)
    spans: dict[str, tuple[int, int]] = {"evidence": (draft.sentence.start, draft.sentence.end)}
    return FundingEvent(
        company=company, company_aliases=own_aliases,
        round=draft.round.canonical if draft.round else None, round_text=draft.round.text if draft.round else None,
        amount=None if undisclosed or amount is None else amount.value,
        amount_min=amount.min if amount and not undisclosed else None,
        amount_max=amount.max if amount and not undisclosed else None,
        currency=amount.currency if amount and not undisclosed else None,
        amount_text=amount.text if amount else ("undisclosed" if undisclosed else None),
        undisclosed=undisclosed,
        amount_cny=cny.value if cny else None, amount_cny_min=cny.min if cny else None,
        amount_cny_max=cny.max if cny else None, fx_rate=cny.rate if cny else None,
        fx_date=cny.fx_date if cny else None,
        date=date, date_precision=precision, lead_investors=leads, investors=investors,
        is_current=not past, status=status, evidence=draft.sentence.text[:500],
        confidence=min(confidence, 0.99), spans=spans)
