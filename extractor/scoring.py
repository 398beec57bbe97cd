"""Role-by-role scoring of funding-event predictions against a gold set.

This is the project's own implementation of the protocol in DESIGN.md ("How quality is measured");
it is written to give the same figures as the reference scorer in ``../shared/tools/score.py``
(``tests/test_scoring.py`` checks that). It has its own small normalisers for gold amount strings,
round names and company names, so that the extractor's code never judges itself.

Protocol, per gold document:

* gold and predicted events are aligned greedily on role overlap (company 2 points; amount, round
  and date 1 point each; 1 per shared investor); ties go to the later prediction, then the later gold
  event; pairs scoring 0 are never aligned;
* a prediction aligned to a class ``I`` gold event, and an unaligned prediction whose status is
  ``planned`` or ``reported``, count for nothing; unaligned class ``I`` gold events are not missed;
* single roles (company, amount, round, date) score tp when both sides agree, fp + fn when they
  disagree, fp or fn when only one side has a value; dates count only where the gold has one;
  investor and lead lists are matched name by name;
* an aligned event is "core"-right when company, amount and round are all right (a role that is
  empty on both sides is right, a predicted value the gold lacks does not spoil it);
* a document is detected when it has a counted prediction, and positive when it has a ``V`` event.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

ROLES = ("company", "amount", "round", "investors", "lead", "date")
MICRO_ROLES = ("company", "amount", "round", "investors", "lead")  # the reference's default roles
SINGLE_ROLES = ("company", "amount", "round", "date")
CORE_ROLES = ("company", "amount", "round")
UNCOUNTED_STATUSES = ("planned", "reported")


# -- gold amounts ------------------------------------------------------------------------------

@dataclass(frozen=True)
class GoldAmount:
    """A gold amount: an exact ``value`` or, for vague ones (数千万), only bounds."""

    value: float | None
    low: float | None
    high: float | None
    currency: str | None
    approx: bool


# Longest words first; among words of one length, the first listed wins.
_CURRENCY_WORDS = (
    ("新加坡元", "SGD"),
    ("US$", "USD"), ("USD", "USD"), ("HK$", "HKD"), ("HKD", "HKD"), ("EUR", "EUR"), ("GBP", "GBP"),
    ("JPY", "JPY"), ("INR", "INR"), ("人民币", "CNY"), ("RMB", "CNY"), ("CNY", "CNY"),
    ("美元", "USD"), ("美金", "USD"), ("港元", "HKD"), ("港币", "HKD"), ("欧元", "EUR"), ("英镑", "GBP"),
    ("日元", "JPY"), ("卢比", "INR"), ("Rs", "INR"), ("新元", "SGD"), ("S$", "SGD"),
    ("$", "USD"), ("€", "EUR"), ("£", "GBP"), ("₹", "INR"), ("¥", "CNY"), ("元", "CNY"),
)
_AT_MOST = ("不超过", "不超", "至多", "最多", "最高", "upto")
_AT_LEAST = ("逾", "超过", "超", "过", "morethan", "over", "atleast")
_ABOUT = ("约", "近", "大约", "将近", "接近", "about", "nearly", "around", "approximately", "almost",
          "roughly", "some")
_QUALIFIER = re.compile("|".join(re.escape(w) for w in _AT_MOST + _AT_LEAST + _ABOUT))
_FILLER = re.compile("|".join(re.escape(w) for w in (
    "余", "多", "级", "规模", "左右", "以上", "人民币", "美元", "美金", "港元", "港币", "欧元", "英镑", "日元", "卢比",
    "新加坡元", "新元", "元", "rmb", "cny", "usd", "us$", "hk$", "hkd", "eur", "gbp", "jpy", "inr", "sgd", "s$",
    "$", "€", "£", "¥", "₹", "rs.", "rs")))
_PLUS_SUFFIX = re.compile(r"[0-9一二三四五六七八九十百千万亿][余多]")
_VAGUE = re.compile(r"([数几])([十百千])?([万亿])")                    # 数千万: 1e7..1e8
_ORDER = re.compile(r"([百千])?([万亿])")                               # 千万, 亿: about that much
_CN_AMOUNT = re.compile(r"([0-9.,一二两三四五六七八九十百千零〇]+)(千万|百万|十万|万亿|万|亿)?")
_EN_AMOUNT = re.compile(r"([0-9.,]+)(thousand|million|billion|crore|lakh|mn|bn|mm|cr|k|m|b)?")
_CN_UNIT = {"千万": 1e7, "百万": 1e6, "十万": 1e5, "万亿": 1e12, "万": 1e4, "亿": 1e8, None: 1}
_EN_UNIT = {"thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "mm": 1e6, "billion": 1e9,
            "bn": 1e9, "b": 1e9, "crore": 1e7, "cr": 1e7, "lakh": 1e5, None: 1}
_SCALE = {None: 1, "十": 10, "百": 100, "千": 1000}
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def _chinese_int(text: str) -> int | None:
    """三千五百 → 3500, 二〇一六 → 2016 (digit by digit); None for anything else."""
    if not text:
        return None
    if all(ch in _CN_DIGIT for ch in text):
        return int("".join(str(_CN_DIGIT[ch]) for ch in text))
    total = digit = 0
    for ch in text:
        if ch in _CN_DIGIT:
            digit = _CN_DIGIT[ch]
        elif ch in _SCALE:
            total += (digit or 1) * _SCALE[ch]
            digit = 0
        else:
            return None
    return total + digit


def _number(text: str) -> float | None:
    text = text.replace(",", "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        return _chinese_int(text)


def parse_amount(text: str | None) -> GoldAmount | None:
    """Parse a gold amount string ("2.5亿美元", "数千万元", "$5M", "近千万人民币"); None when unreadable."""
    if text is None:
        return None
    raw = _nfkc(text).replace(" ", "")
    currency = next((code for word, code in _CURRENCY_WORDS if word in raw), None)
    low = raw.lower()
    at_most = low.startswith(_AT_MOST)
    at_least = (low.startswith(_AT_LEAST) or bool(_PLUS_SUFFIX.search(raw))
                or raw.endswith(("以上", "+")))
    approx = at_most or at_least or low.startswith(_ABOUT) or "左右" in raw
    core = _QUALIFIER.sub("", low, count=1) if approx else low
    core = _FILLER.sub("", core).rstrip("+")
    if m := _VAGUE.fullmatch(core):
        base = _SCALE[m.group(2)] * (1e4 if m.group(3) == "万" else 1e8)
        return GoldAmount(None, base, base * 10, currency, True)
    if m := _ORDER.fullmatch(core):
        base = _SCALE[m.group(1)] * (1e4 if m.group(2) == "万" else 1e8)
        return GoldAmount(base, base, None if approx else base * 10, currency, True)
    for pattern, units in ((_CN_AMOUNT, _CN_UNIT), (_EN_AMOUNT, _EN_UNIT)):
        if m := pattern.fullmatch(core):
            num = _number(m.group(1))
            if num is None:
                return None
            value = num * units[m.group(2)]
            return GoldAmount(value, value if at_least else None, value if at_most else None, currency, approx)
    return None


# -- rounds ------------------------------------------------------------------------------------

_ROUND_TAILS = ("fundinground", "financinground", "round", "funding", "financing", "tranche", "extension",
                "轮融资", "融资", "轮", "投资")
_NAMED_ROUNDS = {
    "pre-seed": ("前种子", "preseed", "pre-seed"),
    "seed": ("种子", "seed"),
    "angel": ("天使", "angel", "种子天使", "天使轮"),
    "angel+": ("天使+", "angel+"),
    "strategic": ("战略", "战略投资", "战略融资", "strategic"),
    "pre-IPO": ("preipo", "pre-ipo"),
    "debt": ("债权", "债务", "debt"),
}
_ROUND_ALIAS = {alias: name for name, aliases in _NAMED_ROUNDS.items() for alias in aliases}
_LETTER_ROUND = re.compile(r"(pre-?)?([a-z])(\+*|\d*)")


def _drop_longest_suffix(text: str, suffixes: Iterable[str]) -> str:
    longest = max((s for s in suffixes if text.endswith(s)), key=len, default="")
    return text[: len(text) - len(longest)]


def canon_round(text: str | None) -> str | None:
    """One comparable form for a round: "B轮融资", "Series B" → "B"; "Pre A轮" → "pre-A"; 天使 → "angel"."""
    if text is None:
        return None
    t = _nfkc(text).strip().lower().replace(" ", "")
    for _ in range(3):
        t = _drop_longest_suffix(t, _ROUND_TAILS)
    t = re.sub(r"^(series|round)-?", "", t)
    t = re.sub(r"^pre-?series-?", "pre-", t)
    t = t.replace("＋", "+").replace("plus", "+")
    if not t:
        return None
    if t in _ROUND_ALIAS:
        return _ROUND_ALIAS[t]
    if m := _LETTER_ROUND.fullmatch(t):
        return ("pre-" if m.group(1) else "") + m.group(2).upper() + m.group(3)
    return t


# -- company names -----------------------------------------------------------------------------

_NAME_NOISE = re.compile(r"[\s\"'“”‘’「」《》()（）·,，.]")
_LEGAL_SUFFIXES = ("股份有限公司", "有限责任公司", "集团有限公司", "有限公司", "公司", "集团", "inc", "incorporated",
                   "ltd", "limited", "llc", "corp", "corporation", "co", "gmbh", "plc")
_CITIES = ("北京", "上海", "深圳", "广州", "杭州", "南京", "苏州", "成都", "武汉", "西安", "天津", "重庆", "青岛",
           "宁波", "厦门", "合肥", "长沙", "珠海", "东莞", "无锡", "济南", "郑州", "福州", "大连", "沈阳", "香港")
_GENERIC_WORDS = ("智能", "机器", "机器人", "科技", "技术", "网络", "信息", "控股", "集团", "股份", "生物", "医疗",
                  "医药", "电子", "软件", "数据", "教育", "文化", "传媒", "出行", "汽车", "实业", "发展", "投资", "资本",
                  "基金", "平台", "app", "ai", "lab", "labs", "technologies", "technology", "tech", "holding",
                  "holdings", "group", "inc", "ltd", "global", "international")
_GENERIC_TAIL = re.compile("(?:" + "|".join(_GENERIC_WORDS) + ")+")


def name_key(name: str | None) -> str:
    """Lower-cased name without spaces, quotes, brackets, punctuation and up to two legal suffixes."""
    if not name:
        return ""
    key = _NAME_NOISE.sub("", _nfkc(name).lower())
    for _ in range(2):
        key = _drop_longest_suffix(key, _LEGAL_SUFFIXES)
    return key


def _without_city(key: str) -> str:
    for city in _CITIES:
        if key.startswith(city):
            return key.removeprefix(city).removeprefix("市")
    return key


def names_match(a: str | None, b: str | None) -> bool:
    """Same name, or one is the core of the other (慧拓智能 ~ 青岛慧拓智能机器有限公司)."""
    ka, kb = name_key(a), name_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    ka, kb = _without_city(ka), _without_city(kb)
    if ka == kb:
        return True
    short, long_ = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    han = sum("\u4e00" <= ch <= "\u9fff" for ch in short)
    if (han >= 2 or len(short) >= 4) and long_.startswith(short):
        rest = long_[len(short):]
        return not rest or _GENERIC_TAIL.fullmatch(rest) is not None
    return False


# -- events as the scorer sees them ------------------------------------------------------------

@dataclass(frozen=True)
class PredAmount:
    """A predicted amount: the first of amount/amount_min/amount_max that is a number."""

    ref: float | None
    currency: str | None


@dataclass
class _Event:
    values: dict[str, Any]          # single roles: company (names), amount, round, date; None/[] when absent
    lists: dict[str, list[str]]     # investors (leads included), lead
    klass: Any = "V"
    status: Any = None

    @property
    def required(self) -> bool:
        return self.klass == "V"

    @property
    def optional(self) -> bool:
        return self.klass == "I"


def _float(x: Any) -> float | None:
    try:
        return None if x is None else float(x)
    except (TypeError, ValueError):
        return None


def _name_lists(ev: dict) -> dict[str, list[str]]:
    leads = [n for n in ev.get("lead_investors") or [] if n]
    investors = [n for n in ev.get("investors") or [] if n]
    return {"investors": list(dict.fromkeys(investors + leads)), "lead": leads}


def _gold_event(ev: dict) -> _Event:
    amount: GoldAmount | None = None
    if ev.get("amount_text"):
        amount = parse_amount(ev["amount_text"])
    elif any(ev.get(k) is not None for k in ("amount", "amount_min", "amount_max")):
        amount = GoldAmount(_float(ev.get("amount")), _float(ev.get("amount_min")), _float(ev.get("amount_max")),
                            ev.get("currency"), False)
    company = ev.get("company") or []
    values = {"company": [company] if isinstance(company, str) else list(company), "amount": amount,
              "round": canon_round(ev.get("round_text") or ev.get("round")), "date": ev.get("date")}
    return _Event(values, _name_lists(ev), klass=ev.get("class", "V"))


def _pred_event(ev: dict) -> _Event:
    amount = None
    if any(ev.get(k) is not None for k in ("amount", "amount_min", "amount_max")):
        ref = next((v for v in map(_float, (ev.get("amount"), ev.get("amount_min"), ev.get("amount_max")))
                    if v is not None), None)
        amount = PredAmount(ref, ev.get("currency"))
    rnd = ev.get("round")
    values = {"company": [n for n in [ev.get("company"), *(ev.get("company_aliases") or [])] if n],
              "amount": amount, "round": canon_round(rnd) if rnd not in (None, "undisclosed") else None,
              "date": ev.get("date")}
    return _Event(values, _name_lists(ev), status=ev.get("status"))


def amount_match(pred: PredAmount, gold: GoldAmount) -> bool:
    """Same currency (when the gold has one); within 1.1% (15% if approximate) or inside vague bounds."""
    if pred.ref is None or (gold.currency and pred.currency != gold.currency):
        return False
    if gold.value is not None:
        return abs(pred.ref - gold.value) <= (0.15 if gold.approx else 0.011) * gold.value
    high = gold.high * 1.01 if gold.high else float("inf")
    return (gold.low or 0.0) * 0.99 <= pred.ref <= high


def date_match(pred: Any, gold: Any) -> bool:
    """Compare at the gold's precision: "2016-10" accepts any day of that month."""
    p, g = str(pred), str(gold)
    return p[: len(g)] == g if len(g) < 10 else p[:10] == g[:10]


def _role_match(role: str, p: Any, g: Any) -> bool:
    if role == "company":
        return any(names_match(a, b) for a in p for b in g)
    if role == "amount":
        return amount_match(p, g)
    if role == "date":
        return date_match(p, g)
    return bool(p == g)


def list_counts(pred: list[str], gold: list[str]) -> tuple[int, int, int]:
    """tp, fp, fn of two name lists, each predicted name taking the first unused gold name it matches."""
    left = list(gold)
    tp = 0
    for name in pred:
        hit = next((g for g in left if names_match(name, g)), None)
        if hit is not None:
            tp += 1
            left.remove(hit)
    return tp, len(pred) - tp, len(left)


def _overlap(p: _Event, g: _Event) -> int:
    score = sum((2 if role == "company" else 1) for role in SINGLE_ROLES
                if p.values[role] and g.values[role] and _role_match(role, p.values[role], g.values[role]))
    return score + list_counts(p.lists["investors"], g.lists["investors"])[0]


def align(preds: Sequence[_Event], golds: Sequence[_Event]) -> dict[int, int]:
    """Greedy alignment, best overlap first (ties: later prediction, then later gold): pred → gold index."""
    pairs = sorted(((_overlap(p, g), i, j) for i, p in enumerate(preds) for j, g in enumerate(golds)), reverse=True)
    out: dict[int, int] = {}
    for s, i, j in pairs:
        if s > 0 and i not in out and j not in out.values():
            out[i] = j
    return out


# -- counting ----------------------------------------------------------------------------------

def prf(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 rounded to 4 places, with the counts."""
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(f, 4), "tp": tp, "fp": fp, "fn": fn}


class _Tally:
    def __init__(self) -> None:
        self.roles = {role: [0, 0, 0] for role in ROLES}
        self.event = [0, 0, 0]
        self.doc = [0, 0, 0]

    def add(self, role: str, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        c = self.roles[role]
        c[0], c[1], c[2] = c[0] + tp, c[1] + fp, c[2] + fn

    def spurious(self, ev: _Event) -> None:
        self.event[1] += 1
        for role in ROLES:
            self.add(role, fp=len(ev.lists[role]) if role in ev.lists else int(bool(ev.values[role])))

    def missed(self, ev: _Event) -> None:
        self.event[2] += 1
        for role in ROLES:
            self.add(role, fn=len(ev.lists[role]) if role in ev.lists else int(bool(ev.values[role])))

    def pair(self, p: _Event, g: _Event) -> None:
        core_ok = True
        for role in SINGLE_ROLES:
            pv, gv = p.values[role], g.values[role]
            if role == "date" and gv in (None, [], ""):
                continue
            if pv and gv:
                ok = _role_match(role, pv, gv)
                self.add(role, tp=int(ok), fp=int(not ok), fn=int(not ok))
            else:
                self.add(role, fp=int(bool(pv)), fn=int(bool(gv)))
                ok = not gv
            core_ok = core_ok and (ok or role not in CORE_ROLES)
        for role in ("investors", "lead"):
            self.add(role, *list_counts(p.lists[role], g.lists[role]))
        self.event[0 if core_ok else 1] += 1
        if not core_ok:
            self.event[2] += 1


def _by_id(records: Iterable[dict]) -> dict[str, dict]:
    return {str(rec["id"]): rec for rec in records}


def score(gold: list[dict], pred: list[dict], *, micro_roles: Sequence[str] = MICRO_ROLES) -> dict:
    """Score predictions ({"id", "events"}) against gold records; the keys follow score.py's --json.

    ``roles`` holds all of ROLES; ``micro`` sums ``micro_roles`` (by default the reference's default
    roles, i.e. without date). Documents are keyed by ``str(id)``; the last record of an id wins, and
    predictions for ids not in the gold are ignored.
    """
    golds, preds = _by_id(gold), _by_id(pred)
    tally = _Tally()
    for doc_id, grec in golds.items():
        gevs = [_gold_event(e) for e in grec.get("events") or []]
        pevs = [_pred_event(e) for e in (preds.get(doc_id) or {}).get("events") or []]
        pairs = align(pevs, gevs)
        counted = [i for i, p in enumerate(pevs)
                   if (gevs[pairs[i]].required if i in pairs else p.status not in UNCOUNTED_STATUSES)]
        found, positive = bool(counted), any(g.required for g in gevs)
        if found or positive:
            tally.doc[0 if found and positive else 1 if found else 2] += 1
        for i, p in enumerate(pevs):
            if i not in pairs:
                if p.status not in UNCOUNTED_STATUSES:
                    tally.spurious(p)
            elif not gevs[pairs[i]].optional:
                tally.pair(p, gevs[pairs[i]])
        aligned_gold = set(pairs.values())
        for j, g in enumerate(gevs):
            if j not in aligned_gold and not g.optional:
                tally.missed(g)
    micro = [sum(tally.roles[r][k] for r in micro_roles) for k in range(3)]
    return {
        "roles": {role: prf(*tally.roles[role]) for role in ROLES},
        "micro": prf(*micro),
        "micro_roles": list(micro_roles),
        "event_core": prf(*tally.event),
        "document": prf(*tally.doc),
        "docs": len(golds),
        "docs_without_prediction": sum(1 for doc_id in golds if doc_id not in preds),
    }


def format_scores(result: dict) -> str:
    """The scores as a plain-text table."""
    rows = [*result["roles"].items(), ("MICRO", result["micro"]), ("event-core", result["event_core"]),
            ("document", result["document"])]
    lines = [f"{'':<12}{'P':>8}{'R':>8}{'F1':>8}{'tp':>6}{'fp':>6}{'fn':>6}"]
    lines += [f"{name:<12}{m['p']:>8.3f}{m['r']:>8.3f}{m['f1']:>8.3f}{m['tp']:>6}{m['fp']:>6}{m['fn']:>6}"
              for name, m in rows]
    lines.append(f"micro over: {', '.join(result.get('micro_roles', MICRO_ROLES))}")
    lines.append(f"docs {result['docs']}, without a prediction line {result['docs_without_prediction']}")
    return "\n".join(lines)
