"""Chinese relation binding: which company raised which amount in which round, from whom.

For one sentence:
1. anchors: every round mention, and every 融资 (or 投资 right after an amount or round) that no
   round already anchors; anchors split the sentence into windows, so in 「2015年获得600万元种子轮
   投资；2016年获得千万级Pre-A轮融资」 each amount binds to its own round;
2. per anchor: the nearest amount in its window that is not a valuation, revenue or cumulative sum;
3. the subject: the text between the clause start and the funding verb (完成/获得/获…), cleaned of
   time words and descriptors (「ToF传感器芯片提供商聚芯微电子」 -> 聚芯微电子), preferring an NER
   entity; 「X对Y进行战略投资」 makes Y the company and X the investor;
4. investors: 由X领投, X、Y跟投/参投, 投资方为…, and 获得X的…投资 lists.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

from extractor import cues
from extractor.dates import DateMention, find_dates
from extractor.money import Amount, Qualifier, find_amounts, parse_amount
from extractor.relations import Draft, Entity, inside, split_names
from extractor.rounds import RoundMention, canonical_round, find_rounds
from extractor.segment import Span

_FUNDING = re.compile(r"融资|(?<=[轮元币])投资|(?<=美金)投资|战略投资|天使投资|种子投资|风险投资|注资")
_EMPTY = re.compile("")
_AFTER = re.compile(r"(?:融资|投资)?(?:后|之后|以后)")  # 「继…A轮融资后」
_FOUNDING = re.compile(r"成立于|成立|创立于|创办于|创建于|诞生于")
_DATE_NOISE = re.compile(r"[（）()，,\s]|消息|讯|报道|获悉|日前|当地时间|北京时间")
_FOUNDED = re.compile(r"^\s*(?P<name>[^，。；]{2,30}?)\s*(?:成立于|成立|是一家|是|作为|位于|总部位于|创立于|创办于)")
_THIS_ROUND = re.compile(r"(?:此轮|本轮|该轮|这轮|这次|本次|此次)$")
_VERB_AMOUNT = re.compile(r"(?:筹集|筹得|募集|融资|融得|拿到|获得)(?:了|到)?\s*(?=(?:近|超|约|逾)?\s*(?:[0-9０-９.]+|[一二两三四五六七八九十]+|数)"
                          r"\s*[十百千]?\s*(?:万|亿))")
_BARE_ROUND = re.compile(r"(?i)(?<![A-Za-z])(?:pre-?)?[A-H]\+?(?=的?(?:融资|投资))")
_INVESTOR_ROUND = re.compile(r"(?:的)?(?:投资方|投资人|投资者|投资机构|股东|老股东|领投方|跟投方)")
_LATIN_WORD_ROUND = re.compile(r"[A-Za-z]{4,}")
_GOT_INVESTMENT = re.compile(r"获(?:得|投)?了?[^，。；]{2,40}?的?(?P<noun>(?:战略)?投资)(?=[，。；,.\s]|$)")
_OBJECT_FORM = re.compile(r"对(?P<obj>[^，。；,]{2,40}?)(?:(?:进行|完成|做出|实施|追加|注资)了?(?:[^，。；]{0,20}?)|的)(?:战略)?投资")
_CLAUSE_BREAK = re.compile(r"[，；;：:。！？]|,(?!\d)")
_QUOTED = re.compile(r"[“「『\"]([^”」』\"]{2,30})[”」』\"]")
_NAME_OK = re.compile(r"^[\w\u4e00-\u9fff·&.+\- ]{2,40}$")
_BAD_NAME = re.compile(r"融资|投资方|领投|跟投|宣布|完成|获得|该轮|本轮|此轮|\d+月|\d+年|今年|去年|^\w?公司$|^[A-Za-z]$|"
                       r"透露|披露|公开|一笔|一轮|估值|项目$|其中|目前|\d+\s*(?:亿|万)|地$|能够|没有|不能|未能|可能|截至|"
                       r"截止|包括|如果|者$|迅速|成功|其他|这些|那些|我们|他们|你们|大家|企业$|创业公司|初创企业|人数|一定|"
                       r"前$|后$|多少|顺利|^[\d\s.]+$|\d+\s*年|所以|因为|因此|只有|期间|一份|首笔|笔$|^其|那里|这里|^从|数量|要比|打算|计划|准备|希望|方$|如今|现在|此次|此外|作为|"
                       r"^[零一二两三四五六七八九十百千万亿数几]+(?:元|美元)?$|轮$|^(?:GmbH|Inc|Ltd|LLC|Co|Corp)\.?$")


def sentence_drafts(sent: Span, entities: list[Entity], published: dt.date | None, *, in_title: bool) -> list[Draft]:
    """Drafts for one Chinese sentence (entity offsets relative to the sentence)."""
    text = sent.text
    rounds = [r for r in find_rounds(text) if text[r.end:r.end + 1] not in ("人", "者")
              and not _INVESTOR_ROUND.match(text, r.end) and not _LATIN_WORD_ROUND.fullmatch(r.text)]
    rounds += [RoundMention(canonical_round(m.group()), m.group(), m.start(), m.end())
               for m in _BARE_ROUND.finditer(text) if not any(r.start <= m.start() < r.end for r in rounds)]
    rounds.sort(key=lambda r: r.start)
    anchors = _anchors(text, rounds)
    if not anchors:
        return _investors_only(sent, text, entities, in_title)
    amounts = _round_amounts(text)
    dates = find_dates(text, published, lang="zh")
    drafts: list[Draft] = []
    for i, (a_start, a_end, round_) in enumerate(anchors):
        lo = anchors[i - 1][1] if i else 0
        hi = anchors[i + 1][0] if i + 1 < len(anchors) else len(text)
        draft = Draft(sentence=sent, round=round_, in_title=in_title)
        draft.amount = _stated_amount(text, amounts, a_end, hi) or _nearest_amount(text, amounts, a_start, a_end, lo, hi)
        verb = _verb_before(text, a_start, lo if i else 0)
        if verb is None and i and not _HARD_BREAK.search(text, lo, a_start):
            verb = _verb_before(text, a_start, 0)  # 「获得5亿卢比（约合750万美元）B轮投资」
        if verb is None and in_title:
            verb = _title_pseudo_verb(text, draft, a_start)
        if _is_cumulative(text, draft, lo, a_start):
            continue
        oos = cues.ZH_OUT_OF_SCOPE.search(text, _clause_start(text, a_start, 0), min(len(text), a_end + 6))
        if oos and (round_ is None or round_.canonical == "debt"):
            continue  # 「待偿还债务融资余额」「IPO募资」: money raised, but not a funding round
        window_text = text[max(lo, (verb.start() if verb else a_start) - 12):a_end]
        if cues.ZH_GENERIC.search(window_text) and not (verb and draft.amount):
            continue
        if verb is None and not in_title and not cues.ZH_LEAD.search(text, lo, hi) \
                and not _OBJECT_FORM.search(text, lo, min(len(text), a_end + 2)):
            continue  # 「天使轮则只有10多万美元」: round talk without anyone raising
        _bind_subject(draft, text, entities, verb, lo if i else 0, a_start)
        _bind_investors(draft, text, entities, verb, a_start, a_end, lo, hi)
        draft.date = _date_near(text, dates, a_start, lo)
        clause = text[max(0, lo - 4):hi]
        since = max(lo, _clause_start(text, verb.start() if verb else a_start, lo) - 1) if i else \
            max(0, (verb.start() if verb else a_start) - 20)
        draft.past = bool(cues.ZH_PAST.search(text[since:a_start]) or _AFTER.match(text, a_end))
        if not draft.past and drafts and drafts[-1].past and cues.ZH_SEQUEL.search(text[lo:a_start].lstrip("，, ；;")):
            draft.past = True  # 「曾于3月获得…，同年7月获得…」
        if cues.ZH_REPORTED.search(text):
            draft.status = "reported"
        elif cues.ZH_PLANNED.search(clause[: a_end - max(0, lo - 4)]):
            draft.status = "planned"
        elif verb is not None and ("完成" in verb.group() or "获" in verb.group()):
            draft.status = "closed"
        draft.cues = sum([verb is not None, round_ is not None, draft.amount is not None,
                          bool(draft.leads or draft.investors)])
        drafts.append(draft)
        # 「携程对“海鸥旅游”和“纵横集团”进行战略投资」: one event each
        drafts += [replace(draft, company=other, co_companies=[], investors=list(draft.investors),
                           leads=list(draft.leads)) for other in draft.co_companies]
    # 「此轮融资由X领投…，其总融资为6150万美元」: the totals are dropped, the investors are not
    return drafts or _investors_only(sent, text, entities, in_title)


def _investors_only(sent: Span, text: str, entities: list[Entity], in_title: bool) -> list[Draft]:
    """「本轮融资由X领投，Y跟投。」 on its own: investors for the event named before."""
    if in_title or not (cues.ZH_LEAD.search(text) or cues.ZH_FOLLOW.search(text) or cues.ZH_INVESTOR_LIST.search(text)):
        return []
    draft = Draft(sentence=sent, in_title=False)
    _bind_investors(draft, text, entities, None, 0, 0, 0, len(text))
    return [draft] if draft.investors else []


def _anchors(text: str, rounds: list[RoundMention]) -> list[tuple[int, int, RoundMention | None]]:
    out: list[tuple[int, int, RoundMention | None]] = [(r.start, r.end, r) for r in rounds]
    for m in _FUNDING.finditer(text):
        if any(r.start - 2 <= m.start() <= r.end + 6 for r in rounds):
            continue  # 「A轮融资」: the round already anchors it
        if text[m.end():m.end() + 1] in ("方", "人", "者", "机", "界", "圈"):  # 投资方, 融资人…
            continue
        if _THIS_ROUND.search(text, max(0, m.start() - 3), m.start()):
            continue  # 「此轮融资由X领投」 speaks of the round just named
        out.append((m.start(), m.end(), None))
    for m in _VERB_AMOUNT.finditer(text):
        if not any(a[0] - 12 <= m.end() <= a[1] + 2 for a in out):
            out.append((m.end(), m.end(), None))  # 「筹集到 700 万美元」「融资250万美元」
    for m in _OBJECT_FORM.finditer(text):
        noun = m.end() - 2
        if not any(a[0] <= noun < a[1] + 1 for a in out):
            out.append((noun, m.end(), None))
    for m in _GOT_INVESTMENT.finditer(text):
        if not any(a[0] <= m.end("noun") - 1 < a[1] for a in out):
            out.append((m.start("noun"), m.end("noun"), None))
    out.sort(key=lambda a: a[0])
    merged: list[tuple[int, int, RoundMention | None]] = []
    for anchor in out:
        # 「B轮及B+轮融资」 stay two anchors; 「融资……融资」 close together are one
        if merged and merged[-1][2] is None and anchor[2] is None and anchor[0] - merged[-1][1] < 8:
            continue
        merged.append(anchor)
    return merged


_CONVERSION = re.compile(r"[（(]\s*(?:约|约合|折合|合|相当于|约为|即)\s*$")
_AMOUNT_OF_ROUND = re.compile(r"(?:融资|投资)(?:总)?(?:金额|额度|规模|额)(?:为|达|是|约|共|超过|高达|达到)*\s*$")


def _round_amounts(text: str) -> list[Amount]:
    """Money that can be a round size: no valuations, no conversions in brackets, no 「获得过」 particle."""
    out: list[Amount] = []
    for amount in find_amounts(text, lang="zh"):
        if len(amount.text.strip()) < 2 or _value_context(text, amount) or (out and _CONVERSION.search(text[out[-1].end:amount.start])):
            continue
        if amount.text.startswith("过") and text[amount.start - 1:amount.start] in ("得", "获"):
            reparsed = parse_amount(amount.text[1:])
            if reparsed is not None:
                amount = replace(reparsed, start=amount.start + 1, end=amount.end)
        out.append(amount)
    return out


def _stated_amount(text: str, amounts: list[Amount], a_end: int, hi: int) -> Amount | None:
    """「本轮融资金额为8140万美元」 after the round: the amount the article states for it."""
    for amount in amounts:
        if a_end <= amount.start <= hi and _AMOUNT_OF_ROUND.search(text[max(a_end, amount.start - 12):amount.start]):
            return amount
    return None


def _value_context(text: str, amount: Amount) -> bool:
    """Valuation, revenue, fund size: an amount that is not the round size."""
    return bool(cues.ZH_VALUE_NOT_ROUND.search(text[max(0, amount.start - 8):amount.start]))


_PAREN_TAIL = re.compile(r"\s*[（(][^（()）]{1,20}[)）]$")
_HARD_BREAK = re.compile(r"[，；。！？;]|,(?!\d)")


def _nearest_amount(text: str, amounts: list[Amount], a_start: int, a_end: int, lo: int, hi: int) -> Amount | None:
    best, best_d = None, 10**9
    for amount in amounts:
        if amount.start < lo or amount.end > hi:
            continue
        gap = text[amount.end:a_start] if amount.end <= a_start else text[a_end:amount.start]
        if _HARD_BREAK.search(gap):
            continue
        d = a_start - amount.end if amount.end <= a_start else amount.start - a_end
        if amount.start > a_end:
            d += 6  # an amount after the round (「B轮1300万美元投资」) is a little less likely
        if d < best_d:
            best, best_d = amount, d
    return best if best_d <= 40 else None


def _verb_before(text: str, anchor: int, lo: int) -> re.Match[str] | None:
    found = None
    for m in cues.ZH_VERB.finditer(text, lo, anchor + 2):
        found = m
    return found


def _title_pseudo_verb(text: str, draft: Draft, a_start: int) -> re.Match[str] | None:
    """A title such as 「初创公司 Eaze 1300 万美元 B 轮投资」 has no verb: the amount starts the predicate."""
    start = min(a_start, draft.amount.start if draft.amount else a_start)
    return _EMPTY.match(text, start) if start > 0 else None


def _is_cumulative(text: str, draft: Draft, lo: int, anchor: int) -> bool:
    if draft.round is not None or draft.amount is None:
        return False
    return bool(cues.ZH_CUMULATIVE.search(text[max(lo, draft.amount.start - 10):draft.amount.start]))


def _clause_start(text: str, pos: int, floor: int) -> int:
    start = floor
    for m in _CLAUSE_BREAK.finditer(text, floor, pos):
        start = m.end()
    return start


def clean_subject(region: str) -> str | None:
    """The company name in a subject region, or None (also for pronouns, which the caller handles).

    A reporting verb usually precedes the name (「数据表明INLT…」); when nothing is left after it,
    the name came first (「Zwift 近日宣布将于…」).
    """
    after = cues.ZH_REPORTING_VERB.sub("", region)
    if after != region:
        found = _clean_subject(after)
        reporter = cues.ZH_REPORTING_VERB.match(region)
        return found if found or reporter is None else _clean_subject(reporter.group().rstrip())
    return _clean_subject(region)


def _clean_subject(region: str) -> str | None:
    region = cues.ZH_SUBJECT_NOISE.sub("", region).strip(" ，,：:")
    region = cues.ZH_DESCRIPTOR_TAIL.sub("", region)
    quoted = _QUOTED.findall(region)
    if quoted:
        return quoted[-1].strip()
    region = re.sub(r"^(?:旗下的?|的|是|为|和|及|与)", "", region)
    region = _PAREN_TAIL.sub("", cues.ZH_SUBJECT_TAIL_NOISE.sub("", region).strip(" ，,"))  # 「月之暗面（Moonshot AI）」
    region = re.sub(r"(?:近日|日前|今日|今天|正式|已经|已)?(?:宣布|表示|透露|称)$", "", region)
    region = cues.ZH_SUBJECT_TAIL_NOISE.sub("", region).strip(" ，,")
    if re.match(r"^(?:这家|这个|一家|该|此|其|这)", region):
        return None
    return region or None


def _bind_subject(draft: Draft, text: str, entities: list[Entity], verb: re.Match[str] | None,
                  floor: int, anchor: int) -> None:
    obj = _OBJECT_FORM.search(text, floor, min(len(text), anchor + 6))
    if obj:  # 「携程对“海鸥旅游”进行战略投资」: the object raised, the subject invested
        names = _names(text, obj.start("obj"), obj.end("obj"), entities)
        if names:
            draft.company = names[0]
            draft.co_companies = names[1:]
            investor = clean_subject(text[_clause_start(text, obj.start(), floor):obj.start()])
            if investor and _NAME_OK.match(investor) and not _BAD_NAME.search(investor):
                draft.investors.append(investor)
            return
    lead_first = _LEAD_FIRST.search(text, floor, min(len(text), anchor + 8))
    if lead_first and (verb is None or verb.start() > lead_first.start()):
        # 「海通证券领投柏睿数据2亿融资」: the investor comes first, the company after 领投/投资
        company = clean_subject(lead_first.group("company"))
        if company and not _BAD_NAME.search(company) and _NAME_OK.match(company):
            draft.company = company
            draft.leads += _names(text, lead_first.start("investor"), lead_first.end("investor"), entities)
            return
    if verb is None:
        draft.pronoun = True
        return
    start = _clause_start(text, verb.start(), floor)
    region = text[start:verb.start()]
    name = clean_subject(region)
    if (name is None or cues.ZH_PRONOUN.match(name)) and start > floor and text[start - 1] in "，,":
        # 「…提供商Vertoe，该公司在2018年完成了…」: the subject is the clause before
        before_text = text[_clause_start(text, start - 1, floor):start - 1]
        founded = _FOUNDED.match(before_text)
        before = clean_subject(founded.group("name") if founded else before_text)
        if before and _NAME_OK.match(before) and not _BAD_NAME.search(before) and len(before) <= 20:
            name = before
    if name is None or cues.ZH_PRONOUN.match(name):
        draft.pronoun = True
        return
    if _NAME_OK.match(name) and not _BAD_NAME.search(name):
        draft.company = _trimmed_by_ner(name, inside(entities, start, verb.start(), ("ORG",)))
    else:
        draft.pronoun = True  # no usable name here: the article's company, as before


def _trimmed_by_ner(name: str, orgs: list[Entity]) -> str:
    """The rules' name, or an NER organisation that ends it (「大数据初创企业Paxata」 -> Paxata): the
    model only trims descriptors the rules left; it never replaces the rules' span."""
    for org in reversed(orgs):
        if len(org.text) >= 2 and name.endswith(org.text) and org.text != name and _NAME_OK.match(org.text) \
                and not _BAD_NAME.search(org.text) and not cues.ZH_DESCRIPTOR_TAIL.match(org.text):
            return org.text
    return name


def _names(text: str, start: int, end: int, entities: list[Entity]) -> list[str]:
    names = split_names(text[start:end], start, entities, cues.ZH_LIST_SPLIT, cues.ZH_NAME_PREFIX,
                        cues.ZH_NAME_SUFFIX)
    names = [_PAREN_TAIL.sub("", cues.ZH_DESCRIPTOR_TAIL.sub("", n).strip() or n).strip(" \"'“”「」《》")
             for n in names]
    return [n for n in names if not _BAD_NAME.search(n) and _NAME_OK.match(n)]


def _bind_investors(draft: Draft, text: str, entities: list[Entity], verb: re.Match[str] | None,
                    a_start: int, a_end: int, lo: int, hi: int) -> None:
    scope_end = min(len(text), hi)

    def next_anchors(m: re.Match[str]) -> bool:
        """「…C+轮融资，不久前由X领投的3.1亿美元C轮融资」: X led the round that follows, not this one."""
        return m.start() >= a_end and hi < len(text) and not _HARD_BREAK.search(text, m.end(), hi)

    previous_lead = 0
    for m in cues.ZH_LEAD.finditer(text, lo, scope_end):
        if next_anchors(m):
            continue
        by = text.rfind("由", 0, m.start())
        floor = _clause_start(text, m.start(), 0)
        start = by + 1 if by >= floor - 1 and by >= 0 and m.start() - by < 60 else floor
        start, previous_lead = max(start, previous_lead), m.end()  # 「由A（领投）、B（领投）投资」
        start = max([start] + [v.end() for v in cues.ZH_VERB.finditer(text, start, m.start())])  # 「获得GGV领投」
        draft.leads += [n for n in _names(text, start, m.start(), entities) if n not in draft.leads]
    for m in cues.ZH_FOLLOW.finditer(text, lo, scope_end):
        if next_anchors(m):
            continue
        floor = _clause_start(text, m.start(), 0)
        lead_end = max((x.end() for x in cues.ZH_LEAD.finditer(text, floor, m.start())), default=floor)
        draft.investors += [n for n in _names(text, lead_end, m.start(), entities) if n not in draft.investors]
    for m in _BY_INVEST.finditer(text, lo, scope_end):
        draft.investors += [n for n in _names(text, m.start("names"), m.end("names"), entities)
                            if n not in draft.investors]
    for m in cues.ZH_INVESTOR_LIST.finditer(text, lo, scope_end):
        stop = _CLAUSE_END.search(text, m.end())
        draft.investors += [n for n in _names(text, m.end(), stop.start() if stop else len(text), entities)
                            if n not in draft.investors]
    if verb is not None and not draft.leads and not draft.investors:
        # 「获得顺为资本的100万美元天使投资」: the investors sit between the verb and the amount/round
        end = min([x for x in (draft.amount.start if draft.amount else None, a_start) if x is not None])
        between = text[verb.end():end]
        between = re.sub(r"(?:的|累计|共|合计|总计|了|来自|约|近|超|逾)+$", "", re.sub(r"^(?:了|来自|由)", "", between))
        if between and end - verb.end() < 60 and not re.search(r"\d|新一轮|一轮|本轮", between):
            draft.investors += _names(text, verb.end(), verb.end() + len(between), entities)
    draft.investors = list(dict.fromkeys(draft.leads + draft.investors))


_LEAD_FIRST = re.compile(
    r"(?P<investor>[^，。；获完宣]{2,30}?)(?:领投|独家领投|注资|战略投资了?|投资了)"
    r"(?P<company>[^，。；获完宣]{2,30}?)"
    r"(?=(?:近|超|约|逾)?\s*(?:[0-9０-９.]+|[一二两三四五六七八九十]+|数)\s*[十百千]?\s*(?:万|亿)[^，。]{0,8}?(?:融资|投资)"
    r"|(?:Pre-?)?[A-H]\+?轮|天使轮|种子轮|战略融资|的)")
_BY_INVEST = re.compile(r"由(?P<names>[^，。；由]{2,80}?)(?:共同|联合)?(?:投资|出资|注资)(?=[，。；,]|$|的|了)")
_CLAUSE_END = re.compile(r"[。；;！？\n]|，(?:此轮|本轮|该轮|本次|资金|融资|募集)")


def _date_near(text: str, dates: list[DateMention], anchor: int, lo: int) -> DateMention | None:
    """The event's date: in the anchor's clause, or a leading clause that is only a date
    (「昨天（10月25日），…」); never a founding date (「成立于今年3月」)."""
    start = _clause_start(text, anchor, lo)
    usable = [d for d in dates if not _FOUNDING.search(text, max(0, d.start - 4), d.start)]
    inside_clause = [d for d in usable if start <= d.start and d.end <= anchor + 12]
    if inside_clause:
        return inside_clause[0]
    leading = [d for d in usable if d.end <= start and len(_DATE_NOISE.sub("", text[_clause_start(text, d.start, 0):
                                                                                     start])) <= 2 + len(d.text)]
    return leading[-1] if leading else None


def undisclosed(text: str) -> bool:
    """「金额未披露」「具体金额暂未透露」: an explicit undisclosed amount."""
    return bool(re.search(r"(?:金额|额度|数额|细节)[^，。]{0,4}(?:未|没有|暂未|尚未|不)(?:披露|透露|公开|公布)", text))


__all__ = ["Qualifier", "clean_subject", "sentence_drafts", "undisclosed"]
