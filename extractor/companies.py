"""Company names: canonical keys for matching, display forms, and aliases written in the text.

`company_key` removes what varies between mentions of one legal entity (width, case, spaces,
quotes, brackets, punctuation, legal suffixes, "the", a leading city or province of a Chinese
legal name). `company_core` also drops generic industry tails (科技, 技术, Technologies…): it is
for matching only, never for display.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Chinese legal forms attach directly (字节跳动科技有限公司); Latin ones only after a space or
# comma, so that HashiCorp and Zinc keep their names.
_LEGAL_SUFFIX = re.compile(
    r"(?i)(?:(?:[\s,，]*(?:集团股份有限公司|集团有限公司|股份有限公司|有限责任公司|有限公司|股份公司|公司|集团)"
    r"|[\s,，]+(?:pte\.?\s*ltd\.?|pvt\.?\s*ltd\.?|private\s+limited|co\.?,?\s*ltd\.?|inc\.?|incorporated|ltd\.?|limited"
    r"|co\.|corp\.?|corporation|l\.?l\.?c\.?|gmbh|plc|s\.a\.|s\.a\.s\.|b\.v\.|n\.v\.|ag|sas))[\s.,&]*)+$")
_REGION_IN_BRACKETS = re.compile(r"[(（](?:中国|北京|上海|深圳|广州|杭州|香港|天津|苏州|南京|成都|武汉|重庆)[)）]")
_REGION = re.compile(
    r"^(?:北京|上海|天津|重庆|深圳|广州|杭州|南京|苏州|成都|武汉|西安|青岛|宁波|厦门|合肥|长沙|珠海|东莞|无锡|济南"
    r"|郑州|福州|大连|沈阳|佛山|常州|南通|温州|嘉兴|绍兴|昆明|贵阳|南昌|南宁|石家庄|太原|哈尔滨|长春|香港"
    r"|广东|浙江|江苏|山东|福建|湖北|湖南|四川|河南|河北|安徽|江西|辽宁|吉林|黑龙江|陕西|山西|云南|贵州|广西"
    r"|海南|甘肃|内蒙古|新疆|西藏|宁夏|青海)(?:市|省)?")
_THE = re.compile(r"(?i)^the\s+")
_STRIP = re.compile(r"[\s\"'“”‘’「」『』《》〈〉()（）\[\]【】{}·.,，、:;：；!?！？&/\\|_\-–—*]+")
_GENERIC_TAIL = re.compile(
    r"(?:信息技术|网络科技|互联网|在线|集团|科技|技术|网络|信息|智能|机器人|机器|数据|软件|电子|生物|医疗|医药|教育|文化|传媒"
    r"|控股|实业|发展|technologies|technology|tech|labs?|ai|holdings?|group|global|international"
    r"|systems?|software|networks?|ventures?)$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _nfkc(name: str) -> str:
    return unicodedata.normalize("NFKC", name)


def strip_legal_suffix(name: str) -> str:
    """`name` without a trailing legal form (有限公司, Inc., Pte. Ltd. …), script and case kept."""
    stripped = _LEGAL_SUFFIX.sub("", name.strip())
    return stripped.strip(" ,，&") or name.strip()


def _bare(name: str) -> str:
    t = _nfkc(name).strip()
    t = _REGION_IN_BRACKETS.sub("", t)
    bare = _LEGAL_SUFFIX.sub("", t)
    if bare != t and _CJK.match(bare):
        without_region = _REGION.sub("", bare)
        if len(without_region) >= 2:
            bare = without_region
    return _THE.sub("", bare).casefold()


def short_name(name: str) -> str:
    """The display form of a legal name: no legal suffix and, when it had one, no leading region
    (北京月之暗面科技有限公司 -> 月之暗面科技); other names are returned as they are."""
    stripped = strip_legal_suffix(name)
    if stripped != name.strip() and _CJK.match(stripped):
        without_region = _REGION.sub("", _REGION_IN_BRACKETS.sub("", stripped))
        if len(without_region) >= 2:
            return without_region
    return stripped


_TRADE_TAIL = re.compile(r"(?:信息技术|网络科技|智能科技|科技|技术|网络|信息)$")


def trade_name(legal: str) -> str | None:
    """The name a company trades under, from its legal name: 北京月之暗面科技有限公司 -> 月之暗面.
    Only for legal names, and only when at least three characters remain (稀宇科技 stays)."""
    short = short_name(legal)
    if short == legal.strip() or not _CJK.match(short):
        return None
    trade = _TRADE_TAIL.sub("", short)
    return trade if trade != short and len(trade) >= 3 else None


def company_key(name: str) -> str:
    """Canonical key: NFKC, casefold, no legal suffix, leading region of a legal name, "the", punctuation."""
    return _STRIP.sub("", _bare(name))


def company_core(name: str) -> str:
    """`company_key` with generic industry tails removed (字节跳动科技 → 字节跳动), for matching only."""
    core = _bare(name).strip()
    while True:
        m = _GENERIC_TAIL.search(core)
        if not m or m.start() == 0:
            break
        rest = core[:m.start()].rstrip(" ,.-")
        latin_tail = not _CJK.match(m.group())
        if latin_tail and not core[:m.start()].endswith((" ", "-")):
            break  # "OpenAI" keeps its AI; "Moonshot AI" loses it
        if len(_CJK.findall(rest)) < 2 and len(_STRIP.sub("", rest)) < 3:
            break
        core = rest
    return _STRIP.sub("", core)


def same_company(a: str, b: str) -> bool:
    """Same key or core, or one core a prefix of the other key followed only by generic tails."""
    ka, kb = company_key(a), company_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    ca, cb = company_core(a), company_core(b)
    if ca == cb:
        return True
    ra, rb = _REGION.sub("", ka) or ka, _REGION.sub("", kb) or kb
    if ra == rb:
        return True
    short_raw, long_raw = sorted((ra, rb), key=len)
    short = company_core(short_raw)
    if len(_CJK.findall(short)) >= 2 or len(short) >= 4:
        return long_raw.startswith(short) and company_core(long_raw) == short
    return False


@dataclass(frozen=True, slots=True)
class AliasPair:
    """Two names the text gives one company; the span covers the whole written pair."""

    name: str
    alias: str
    start: int
    end: int


_LATIN_NAME = r"[A-Za-z0-9][A-Za-z0-9.&'+\-]*(?:\s[A-Za-z0-9][A-Za-z0-9.&'+\-]*){0,4}"
_PAIR_RE = re.compile(
    rf"""
      (?P<zh>[\u4e00-\u9fff]{{2,16}})\s?[（(]\s?(?P<en>{_LATIN_NAME})\s?[)）]
    | (?<![A-Za-z0-9.&'+\-])(?P<en2>[A-Z][A-Za-z0-9.&'+\-]*(?:\s[A-Z0-9][A-Za-z0-9.&'+\-]*){{0,4}})\s?[（(]\s?(?P<zh2>[\u4e00-\u9fff]{{2,12}})\s?[)）]
    | (?<![\u4e00-\u9fffA-Za-z0-9])(?P<legal>[\u4e00-\u9fffA-Za-z0-9()（）]{{2,40}}?)\s?[（(](?:以下)?简称[:：]?\s?[“"「『]?(?P<short>[^”"」』)）,，]{{1,20}}?)[”"」』]?[)）]
    | (?<![A-Za-z0-9.&'+\-])(?P<new>[A-Z][A-Za-z0-9.&'+\-]*(?:\s[A-Z0-9][A-Za-z0-9.&'+\-]*){{0,4}})\s?[(,]\s?(?:formerly(?:\sknown\sas)?|previously\sknown\sas|f/k/a)\s(?P<old>[A-Z][A-Za-z0-9.&'+\-]*(?:\s[A-Z0-9][A-Za-z0-9.&'+\-]*){{0,4}})
    | (?P<zhnew>[\u4e00-\u9fff]{{2,16}})[（(](?:原名|前身为|前身是|曾用名)[:：]?(?P<zhold>[^)）]{{2,20}})[)）]
    """,
    re.VERBOSE,
)
_ZH_BOUNDARY = re.compile(
    r".*(?:宣布|获得|完成|旗下|公司|企业|创企|初创|平台|品牌|消息|表示|据悉|其中|投资|领投|参投|跟投|孵化|以及|通过"
    r"|[的是由与和及向对在将为称了])(?=..)")
_NOT_NAMES = {"ai", "ceo", "cto", "cfo", "coo", "ipo", "vc", "pe", "saas", "app", "api", "ar", "vr", "iot", "b2b",
              "b2c", "gpu", "cpu", "llm", "esg", "nasdaq", "nyse", "hk", "sz", "sh", "ltd", "inc"}


def _zh_name(run: str) -> str:
    m = _ZH_BOUNDARY.match(run)
    return run[m.end():] if m else run


def _plausible_latin(alias: str) -> bool:
    low = alias.lower()
    if low in _NOT_NAMES or re.fullmatch(r"[\d.\s]+|\d+\.[a-z]{2}", low):
        return False
    return not re.fullmatch(r"(?:nasdaq|nyse|hkex|sse|szse)\b.*", low)


def find_alias_pairs(text: str) -> list[AliasPair]:
    """Bilingual pairs (月之暗面（Moonshot AI）, StepFun (阶跃星辰)), 以下简称 and "formerly" aliases."""
    pairs: list[AliasPair] = []
    for m in _PAIR_RE.finditer(text):
        start, end = m.span()
        if m.group("zh"):
            name = _zh_name(m.group("zh"))
            alias = m.group("en").strip()
            start = m.start("zh") + len(m.group("zh")) - len(name)
            if len(name) < 2 or not _plausible_latin(alias):
                continue
        elif m.group("en2"):
            name, alias = m.group("en2").strip(), m.group("zh2")
            if not _plausible_latin(name):
                continue
        elif m.group("legal"):
            name = _zh_name(m.group("legal")) if _CJK.search(m.group("legal")) else m.group("legal")
            alias = m.group("short").strip()
            start = m.start("legal") + len(m.group("legal")) - len(name)
        elif m.group("new"):
            name, alias = m.group("new").strip(), m.group("old").strip()
        else:
            name = _zh_name(m.group("zhnew"))
            alias = m.group("zhold").strip()
            start = m.start("zhnew") + len(m.group("zhnew")) - len(name)
        if name and alias and company_key(name) != company_key(alias):
            pairs.append(AliasPair(name, alias, start, end))
    return pairs
