"""Money expressions in Chinese and English news: find them, parse them into `Amount` records.

Text is folded with `fold_text` first (full-width digits and signs, NBSP and ideographic spaces
become ASCII): the fold maps one character to one character, so offsets into the folded copy are
offsets into the original text.

In running text (`find_amounts`) a number is money when it carries a currency (symbol, code or
word, before or after), or when it is a Chinese 万/亿 amount (or a vague bucket such as 数千万,
千万级) standing in a funding phrase: followed by a round or 融资/投资, or preceded within a few
characters by 获/完成/融资/投资/估值/金额…, and not followed by a measure word (股, 人, 次, 用户…).
Such bare Chinese amounts are CNY. Plain numbers, years, percentages and counts are never money.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import chain


class Qualifier(StrEnum):
    """How the number relates to the real amount."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    LOWER_BOUND = "lower_bound"
    UPPER_BOUND = "upper_bound"
    RANGE = "range"
    VAGUE = "vague"
    UNDISCLOSED = "undisclosed"


@dataclass(frozen=True, slots=True)
class Amount:
    """One money expression; `value` is None for ranges, vague buckets and undisclosed amounts."""

    text: str
    value: Decimal | None
    min: Decimal | None
    max: Decimal | None
    currency: str | None
    qualifier: Qualifier
    start: int = 0
    end: int = 0


def _fold_table() -> dict[int, str]:
    ranges = chain(range(0xA0, 0x100), range(0x2000, 0x2070), range(0x3000, 0x3040),
                   range(0xFE50, 0xFE70), range(0xFF00, 0xFFF0))
    table: dict[int, str] = {}
    for cp in ranges:
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp) and len(folded) == 1:
            table[cp] = folded
    table[0x301C] = "~"  # wave dash, used for ranges
    return table


_FOLD = _fold_table()


def fold_text(text: str) -> str:
    """NFKC restricted to one-to-one folds (full-width forms, odd spaces): same length as `text`."""
    return text.translate(_FOLD)


# --- vocabulary -------------------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
              "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": Decimal(10) ** 4, "亿": Decimal(10) ** 8}
_EN_SCALE = {"thousand": 3, "k": 3, "million": 6, "mn": 6, "mln": 6, "mm": 6, "m": 6,
             "billion": 9, "bn": 9, "b": 9, "trillion": 12, "tn": 12,
             "crore": 7, "cr": 7, "lakh": 5, "lac": 5, "lakhcrore": 12}

# Longest first, so that 元人民币 wins over 元 and 新加坡元 over 元.
_ZH_CURRENCY = {
    "人民币元": "CNY", "元人民币": "CNY", "人民币": "CNY", "元": "CNY", "块钱": "CNY",
    "美元": "USD", "美金": "USD", "港元": "HKD", "港币": "HKD", "欧元": "EUR", "英镑": "GBP",
    "日元": "JPY", "日币": "JPY", "韩元": "KRW", "韩币": "KRW", "印度卢比": "INR", "卢比": "INR",
    "新加坡元": "SGD", "新加坡币": "SGD", "新元": "SGD", "新币": "SGD", "澳元": "AUD", "澳币": "AUD",
    "加元": "CAD", "加币": "CAD", "加拿大元": "CAD", "新台币": "TWD", "台币": "TWD",
    "瑞士法郎": "CHF", "卢布": "RUB", "泰铢": "THB", "林吉特": "MYR", "印尼盾": "IDR",
    "越南盾": "VND", "雷亚尔": "BRL", "兰特": "ZAR", "新西兰元": "NZD", "瑞典克朗": "SEK",
    "谢克尔": "ILS", "里拉": "TRY",
}
_EN_CURRENCY_WORDS = {
    "dollar": "USD", "us dollar": "USD", "hong kong dollar": "HKD", "singapore dollar": "SGD",
    "australian dollar": "AUD", "canadian dollar": "CAD", "new zealand dollar": "NZD",
    "euro": "EUR", "pound": "GBP", "pound sterling": "GBP", "sterling": "GBP", "yuan": "CNY",
    "renminbi": "CNY", "yen": "JPY", "won": "KRW", "rupee": "INR", "swiss franc": "CHF",
}
_CODES = ("USD", "EUR", "GBP", "CNY", "RMB", "HKD", "SGD", "INR", "JPY", "KRW", "AUD", "CAD",
          "CHF", "NZD", "SEK", "BRL", "ILS", "ZAR", "MYR", "IDR", "THB", "TWD")
_SIGNS = {"US$": "USD", "U.S.$": "USD", "HK$": "HKD", "S$": "SGD", "SG$": "SGD", "A$": "AUD",
          "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD", "NT$": "TWD", "R$": "BRL",
          "$": "USD", "€": "EUR", "£": "GBP", "₹": "INR", "₩": "KRW", "Rs.": "INR", "Rs": "INR",
          "RS.": "INR", "RS": "INR", "¥": "CNY"}

_APPROX = {"约", "大约", "约合", "近", "将近", "接近", "左右", "上下", "about", "around", "approximately",
           "roughly", "nearly", "almost", "close to", "some", "an estimated", "circa", "~"}
_LOWER = {"超", "超过", "逾", "过", "余", "多", "以上", "之多", "不低于", "不少于", "至少", "上",
          "more than", "over", "upwards of", "north of", "at least", "just over", "in excess of",
          "+", "plus"}
_UPPER = {"不超过", "不超", "至多", "最多", "最高", "以下", "以内", "不到", "不足", "up to", "as much as",
          "under", "less than", "below", "just under"}


def _alt(words: Iterable[str]) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


_CN = "零〇一二两三四五六七八九十百千万亿"
_DIG = r"(?>\d++(?:,\d{2,3}+(?!\d))*+(?:\.\d++)?+)"
_ZNUM = rf"(?>(?:{_DIG}|[{_CN}])(?:{_DIG}|[{_CN}余多]|\s(?=[万亿])){{0,24}}+)"
_SCALE = r"(?i:lakh\s?crore|(?:trillion|billion|million|thousand|crore|lakh|lac)s?\b|bn\b|mn\b|mln\b|mm\b|tn\b|cr\b|[mbk](?![a-z]))"
_SIGN_RE = (r"(?:(?<![A-Za-z])(?:US|U\.S\.|HK|SG|S|AU|A|CA|C|NZ|NT|R)\$|\$|€|£|₹|₩|¥|(?<![A-Za-z])R[sS]\.?"
            rf"|(?<![A-Za-z])(?:{'|'.join(_CODES)})(?![A-Za-z])|人民币|美元|港币|港元|欧元)")
_EN_WORDS = _alt([w + "s" for w in _EN_CURRENCY_WORDS] + list(_EN_CURRENCY_WORDS))
_SUFFIX_CUR = (rf"(?:{_alt(_ZH_CURRENCY)}|(?i:(?:{_EN_WORDS})\b)"
               rf"|(?<![A-Za-z])(?:{'|'.join(_CODES)})(?![A-Za-z]))")
_Q_PRE = (rf"(?:{_alt(['大约', '约合', '约', '将近', '接近', '近', '超过', '超', '逾', '过', '不超过', '不超', '至多', '最多', '最高', '不低于', '不少于', '至少', '不到', '不足'])})"
          r"|(?i:(?<![A-Za-z])(?:more\s+than|upwards\s+of|north\s+of|at\s+least|just\s+over|just\s+under"
          r"|in\s+excess\s+of|up\s+to|as\s+much\s+as|less\s+than|close\s+to|an\s+estimated|about|around"
          r"|approximately|roughly|nearly|almost|over|under|below|some|circa)\s{1,2})|~")
_Q_POST = r"(?:以上|以下|以内|左右|上下|之多|余|多|\+|(?i:\s?plus\b))"
_RANGE_SEP = r"(?:\s{0,2}(?:-|–|—|~|至|到)\s{0,2}|\s{1,2}(?i:to)\s{1,2})"

# Every alternative below starts with one of these characters; checking them first lets the
# engine skip ordinary Chinese text quickly.
_FIRST = rf"(?=[\dA-Za-z$€£₹₩¥~{_CN}融投交具本金暂均并尚未大约将接近超逾过不至最人美港欧数几上])"

_AMOUNT_RE = re.compile(
    rf"""
    {_FIRST}
    (?:
    (?P<undisclosed>
        (?:融资|投资|交易|具体|本轮)?(?:金额|数额)[^,。;\n]{{0,4}}?(?:暂|均|并|尚)?未(?:对外)?(?:透露|披露|公开|公布)
      | (?:暂|均|并|尚)?未(?:对外)?(?:透露|披露|公开|公布)(?:具体|本轮)?(?:的)?(?:融资|投资|交易)?(?:金额|数额)
      | 金额不详
      | (?i:(?<![A-Za-z])undisclosed\s+(?:amount|sum|fee|figure|price)s?\b)
      | (?i:(?<![A-Za-z])(?:did\s+not|didn't|declined\s+to|would\s+not|wouldn't|won't)\s+disclose
            \s+(?:the\s+)?(?:amount|size|financial\s+terms|terms|how\s+much)\b)
    )
  | (?P<envague>(?i:(?<![A-Za-z])(?P<ev>tens|hundreds|several\s+hundred|a\s+few\s+hundred|several|a\s+few|multiple)?\s*(?:of\s+)?
        (?P<es>millions?|billions?)\s+(?:of\s+)?(?P<ec>{_EN_WORDS}|{'|'.join(_CODES)})\b))
  | (?:(?P<q1>{_Q_PRE})\s?)?(?:(?P<c1>{_SIGN_RE})\s?)?(?:(?P<q1b>{_Q_PRE})\s?)?
    (?P<vague>[数几上](?=[十百千万亿]))?
    (?<![\d.,{_CN}])(?P<n1>{_ZNUM})(?:\s?(?P<s1>{_SCALE}))?
    (?:{_RANGE_SEP}(?P<c2>{_SIGN_RE})?\s?(?P<n2>{_ZNUM})(?:\s?(?P<s2>{_SCALE}))?)?
    (?:\s?(?P<c3>{_SUFFIX_CUR}))?
    (?P<level>量?级)?
    (?P<q2>{_Q_POST})?
    )
    """,
    re.VERBOSE,
)

_BARE_REJECT_RIGHT = re.compile(
    r"\s?(?:[股人次台名家个辆位款份件项条篇张所座套吨倍%天年月日号期户克码字行层楼岁只颗枚种部本间头]"
    r"|平方|平米|公里|千米|用户|像素|注册|活跃|下载|粉丝|会员|订单|营收|收入|销售|市值)")
_FUNDING_RIGHT = re.compile(
    r"\s?(?:的)?(?:[A-Ka-k][0-9]?\+?\s?轮|[Pp]re|天使|种子|战略|融资|投资|注资|募资|资金|轮|美元|人民币)")
_FUNDING_LEFT = re.compile(r"获|完成|融资|募集|募资|投资|注资|估值|金额|规模|总额|资金|筹集|筹资|领投|跟投|出资|为")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_NUM_TOKEN = re.compile(r"\d[\d,]*(?:\.\d+)?|\S")
_EN_VAGUE = {"tens": (7, 8), "hundreds": (8, 9), "several hundred": (8, 9), "a few hundred": (8, 9),
             "several": (6, 7), "a few": (6, 7), "multiple": (6, 7)}


def _tidy(d: Decimal) -> Decimal:
    if d.adjusted() >= 27:  # beyond the context's precision; only adversarial text gets here
        return d
    if d == d.to_integral_value():
        return d.quantize(Decimal(1))
    return d.normalize()


def _zh_number(s: str) -> Decimal | None:
    """Value of a numeral mixing Arabic digits, Chinese numerals and 十/百/千/万/亿 (1亿2000万, 三千万)."""
    total = Decimal(0)
    section = Decimal(0)
    number: Decimal | None = None
    prev_digit = False
    for tok in _NUM_TOKEN.findall(s):
        if tok[0].isdigit():
            if number is not None:
                return None
            if len(tok) > 40:
                return None  # no real amount has that many digits
            try:
                number = Decimal(tok.replace(",", ""))
            except InvalidOperation:
                return None
            prev_digit = False
            continue
        if tok in _CN_DIGITS:
            d = _CN_DIGITS[tok]
            number = number * 10 + d if (number is not None and prev_digit) else Decimal(d)
            prev_digit = True
            continue
        prev_digit = False
        if tok in _CN_SMALL:
            section += (number if number is not None else Decimal(1)) * _CN_SMALL[tok]
            number = None
        elif tok in _CN_BIG:
            base = section + (number if number is not None else 0)
            if base == 0:
                base = Decimal(1)
            if tok == "万":
                section, number = base * _CN_BIG[tok], None
            else:
                total, section, number = (total + base) * _CN_BIG[tok], Decimal(0), None
        elif tok in "余多":
            continue
        else:
            return None
    return total + section + (number if number is not None else 0)


def _trailing_unit(s: str) -> Decimal:
    m = re.search(r"[十百千万亿]+$", s)
    if not m:
        return Decimal(1)
    return _zh_number(m.group()) or Decimal(1)


def _scale(word: str | None) -> Decimal:
    if not word:
        return Decimal(1)
    key = re.sub(r"\s", "", word.lower())
    key = key[:-1] if key.endswith("s") and key[:-1] in _EN_SCALE else key
    return Decimal(10) ** _EN_SCALE.get(key, 0)


def _currency(word: str | None, zh_context: bool) -> str | None:
    if not word:
        return None
    if word in _ZH_CURRENCY:
        return _ZH_CURRENCY[word]
    if word in _SIGNS:
        code = _SIGNS[word]
        return "CNY" if code == "CNY" and zh_context else ("JPY" if code == "CNY" else code)
    upper = word.upper()
    if upper in _CODES:
        return "CNY" if upper == "RMB" else upper
    low = re.sub(r"\s+", " ", word.lower())
    low = low[:-1] if low.endswith("s") and low[:-1] in _EN_CURRENCY_WORDS else low
    return _EN_CURRENCY_WORDS.get(low)


def _qualifier_word(word: str | None) -> str | None:
    return re.sub(r"\s+", " ", word.strip().lower()) if word else None


def _from_match(m: re.Match[str], text: str, zh_context: bool, in_text: bool,
                default_currency: str | None) -> Amount | None:
    start, end = m.span()
    if m.group("undisclosed"):
        return Amount(text[start:end], None, None, None, None, Qualifier.UNDISCLOSED, start, end)
    if m.group("envague"):
        low, high = _EN_VAGUE.get(re.sub(r"\s+", " ", (m.group("ev") or "").lower()), (6, 9))
        if m.group("es").lower().startswith("billion"):
            low, high = (low + 3, high + 3) if m.group("ev") else (9, 12)
        cur = _currency(m.group("ec"), zh_context)
        lo, hi = Decimal(10) ** low, Decimal(10) ** high
        return Amount(text[start:end], None, lo, hi, cur,
                      Qualifier.VAGUE, start, end)
    n1, n2 = m.group("n1"), m.group("n2")
    v1 = _zh_number(n1)
    v2 = _zh_number(n2) if n2 else None
    if v1 is None or (n2 and v2 is None):
        return None
    zh_unit = bool(re.search(r"[万亿]", n1 + (n2 or "")))
    cn_only = not re.search(r"\d", n1)
    sign = m.group("c1") or m.group("c2")
    cur = _currency(sign, zh_context) or _currency(m.group("c3"), zh_context)
    vague = m.group("vague")
    level = m.group("level")
    if cur is None:
        if in_text:
            if not (zh_unit and not m.group("s1") and not m.group("s2")):
                return None
            if _BARE_REJECT_RIGHT.match(text, end):
                return None
            left = text[max(0, start - 8):start]
            if not (_FUNDING_RIGHT.match(text, end) or _FUNDING_LEFT.search(left)):
                return None
            cur = "CNY"
        else:
            cur = "CNY" if (zh_unit or vague or level) else default_currency
    if in_text and cn_only and not zh_unit and not m.group("s1"):
        return None  # 一家, 三个: Chinese numerals without 万/亿 are not money in running text
    s2 = _scale(m.group("s2"))
    s1 = _scale(m.group("s1")) if m.group("s1") else s2
    if n2 and v2 is not None:
        if not re.search(r"[万亿十百千]$", n1) and re.search(r"[万亿]$", n2):
            v1 *= _trailing_unit(n2)
        bottom, top = _tidy(v1 * s1), _tidy(v2 * s2)
        if bottom > top:
            return None
        return Amount(text[start:end], None, bottom, top, cur, Qualifier.RANGE, start, end)
    value = _tidy(v1 * s1)
    words = {_qualifier_word(m.group(g)) for g in ("q1", "q1b", "q2")} - {None}
    if re.search(r"[余多]", n1):
        words.add("余")
    if vague == "上":
        words.add("上")
    if vague in ("数", "几") or level:
        return Amount(text[start:end], None, value, _tidy(value * 10), cur, Qualifier.VAGUE, start, end)
    if words & _UPPER:
        return Amount(text[start:end], value, None, value, cur, Qualifier.UPPER_BOUND, start, end)
    if words & _LOWER:
        return Amount(text[start:end], value, value, None, cur, Qualifier.LOWER_BOUND, start, end)
    if words & _APPROX or (cn_only and re.fullmatch(r"[十百千]?[万亿]", n1)):
        return Amount(text[start:end], value, None, None, cur, Qualifier.APPROXIMATE, start, end)
    return Amount(text[start:end], value, None, None, cur, Qualifier.EXACT, start, end)


_UNDISCLOSED_WHOLE = re.compile(r"(?i)(?:undisclosed|not\s+disclosed|未透露|未披露|未公开|未公布|不详)")
_JUNK = " \t\r\n,;:.。，；：、()（）[]【】\"'“”"


def parse_amount(text: str, *, default_currency: str | None = None) -> Amount | None:
    """Parse a string that is one amount expression ("2.5亿美元", "数千万元", "$10-15 million").

    Chinese 万/亿 amounts without a currency are CNY; plain numbers get `default_currency`;
    ¥ is CNY unless `default_currency` is "JPY". Returns None when `text` is not an amount.
    """
    folded = fold_text(text)
    core = folded.strip(_JUNK)
    if not core:
        return None
    if _UNDISCLOSED_WHOLE.fullmatch(core) or re.fullmatch(r"(?i)undisclosed\s+(?:amount|sum)", core):
        return Amount(text, None, None, None, None, Qualifier.UNDISCLOSED, 0, len(text))
    m = _AMOUNT_RE.fullmatch(core)
    if m is None:
        return None
    amount = _from_match(m, core, default_currency != "JPY", False, default_currency)
    if amount is None:
        return None
    return Amount(text, amount.value, amount.min, amount.max, amount.currency, amount.qualifier,
                  0, len(text))


def find_amounts(text: str, *, lang: str | None = None) -> list[Amount]:
    """Every money expression in running text, in order, with offsets into `text`."""
    folded = fold_text(text)
    zh_context = lang == "zh" if lang else bool(_CJK.search(text))
    found: list[Amount] = []
    for m in _AMOUNT_RE.finditer(folded):
        amount = _from_match(m, folded, zh_context, True, None)
        if amount is not None:
            found.append(Amount(text[amount.start:amount.end], amount.value, amount.min, amount.max,
                                amount.currency, amount.qualifier, amount.start, amount.end))
    return found
