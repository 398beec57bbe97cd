"""Tests for extractor.scoring: each rule of the protocol, then agreement with the reference scorer."""
from __future__ import annotations

import copy
import importlib.util
import json
import random
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from extractor.scoring import (
    MICRO_ROLES,
    ROLES,
    GoldAmount,
    canon_round,
    format_scores,
    names_match,
    parse_amount,
    score,
)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
GOLD_SETS = ("duee_fin_dev_a.jsonl", "zh_feed_gold.jsonl", "en_gold_a.jsonl")


def gold_ev(company: str | list[str] = "慧拓智能", **kw: object) -> dict:
    ev = {"class": "V", "company": [company] if isinstance(company, str) else company, "amount_text": None,
          "round_text": None, "investors": [], "lead_investors": [], "date": None}
    ev.update(kw)
    return ev


def pred_ev(company: str | None = "慧拓智能", **kw: object) -> dict:
    ev: dict = {"company": company, "company_aliases": [], "amount": None, "amount_min": None, "amount_max": None,
                "currency": None, "round": None, "date": None, "lead_investors": [], "investors": [],
                "is_current": True, "status": "announced"}
    ev.update(kw)
    return ev


def run(gold_events: list[dict], pred_events: list[dict] | None) -> dict:
    gold = [{"id": "d1", "events": gold_events}]
    pred = [] if pred_events is None else [{"id": "d1", "events": pred_events}]
    return score(gold, pred)


def counts(result: dict, role: str) -> tuple[int, int, int]:
    m = result["roles"][role] if role in result["roles"] else result[role]
    return m["tp"], m["fp"], m["fn"]


# -- normalisers -------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("2.5亿美元", GoldAmount(2.5e8, None, None, "USD", False)),
    ("数千万元", GoldAmount(None, 1e7, 1e8, "CNY", True)),
    ("近千万人民币", GoldAmount(1e7, 1e7, None, "CNY", True)),
    ("千万美金", GoldAmount(1e7, 1e7, 1e8, "USD", True)),
    ("$5M", GoldAmount(5e6, None, None, "USD", False)),
    ("5 亿卢比", GoldAmount(5e8, None, None, "INR", False)),
    ("６０亿元人民币", GoldAmount(6e9, None, None, "CNY", False)),
    ("约2亿元人民币", GoldAmount(2e8, None, None, "CNY", True)),
    ("3000多万元", GoldAmount(3e7, 3e7, None, "CNY", True)),
    ("more than $100 million", GoldAmount(1e8, 1e8, None, "USD", True)),
    ("up to €10M", GoldAmount(1e7, None, 1e7, "EUR", True)),
    ("Rs 50 crore", GoldAmount(5e8, None, None, "INR", False)),
    ("三千万", GoldAmount(3e7, None, None, None, False)),
    ("过亿", GoldAmount(1e8, 1e8, None, None, True)),
])
def test_parse_amount(text: str, expected: GoldAmount) -> None:
    assert parse_amount(text) == expected


def test_parse_amount_leaves_what_the_protocol_cannot_read_unparsed() -> None:
    # "万" in the middle of the number is outside the protocol's grammar: the gold amount counts as absent
    assert parse_amount("220万零五千美金") is None
    assert parse_amount("undisclosed") is None
    assert parse_amount(None) is None


@pytest.mark.parametrize("text, expected", [
    ("天使轮", "angel"), ("种子天使", "angel"), ("前种子", "pre-seed"), ("Pre A轮", "pre-A"), ("Pre-A", "pre-A"),
    ("C+轮", "C+"), ("C ＋", "C+"), ("Series B", "B"), ("B轮融资", "B"), ("战略投资", "strategic"),
    ("PRE-IPO", "pre-IPO"), ("Series A tranche", "A"), ("pre-seed funding round", "pre-seed"), ("C1", "C1"),
    ("growth", "growth"), ("", None), (None, None),
])
def test_canon_round(text: str | None, expected: str | None) -> None:
    assert canon_round(text) == expected


@pytest.mark.parametrize("a, b, same", [
    ("慧拓智能", "青岛慧拓智能机器有限公司", True),
    ("慧拓", "青岛慧拓智能机器有限公司", True),
    ("北京所思", "北京所思信息科技有限责任公司", True),
    ("GreenLite", "GreenLite Inc.", True),
    ("Acme", "Acme Technologies Ltd", True),
    ("慧科", "慧科集团", True),
    ("Box8", "Box", False),           # too short to be a core
    ("慧拓智能", "慧拓餐饮", False),   # the rest is not a generic word
    ("", "慧拓", False),
])
def test_names_match(a: str, b: str, same: bool) -> None:
    assert names_match(a, b) is same
    assert names_match(b, a) is same


# -- rules -------------------------------------------------------------------------------------

def test_perfect_prediction_scores_one() -> None:
    g = gold_ev(amount_text="2.5亿美元", round_text="D轮", investors=["红杉", "IDG"], lead_investors=["红杉"],
                date="2016-10-26")
    p = pred_ev(amount=2.5e8, currency="USD", round="D", investors=["IDG", "红杉"], lead_investors=["红杉"],
                date="2016-10-26")
    r = run([g], [p])
    for role in ROLES:
        assert r["roles"][role]["f1"] == 1.0, role
    assert counts(r, "event_core") == (1, 0, 0)
    assert counts(r, "document") == (1, 0, 0)
    assert counts(r, "micro") == (6, 0, 0)      # date is outside the default micro roles
    assert r["micro_roles"] == list(MICRO_ROLES)
    assert score([{"id": "d1", "events": [g]}], [{"id": "d1", "events": [p]}], micro_roles=ROLES)["micro"]["tp"] == 7


def test_alignment_pairs_each_prediction_with_its_best_gold_event() -> None:
    golds = [gold_ev("甲科技", amount_text="1亿元", round_text="B轮"), gold_ev("乙科技", amount_text="2000万元",
                                                                        round_text="A轮")]
    preds = [pred_ev("乙科技", amount=2e7, currency="CNY", round="A"),
             pred_ev("甲科技", amount=1e8, currency="CNY", round="B")]
    r = run(golds, preds)
    assert counts(r, "event_core") == (2, 0, 0)
    assert counts(r, "company") == (2, 0, 0)


def test_prediction_sharing_no_role_stays_unaligned() -> None:
    r = run([gold_ev("甲科技", round_text="B轮")], [pred_ev("丙公司", round="A")])
    assert counts(r, "event_core") == (0, 1, 1)
    assert counts(r, "company") == (0, 1, 1)
    assert counts(r, "round") == (0, 1, 1)


def test_aligned_event_with_a_wrong_role_is_not_core_right() -> None:
    r = run([gold_ev(amount_text="1亿元", round_text="B轮")], [pred_ev(amount=1e8, currency="CNY", round="C")])
    assert counts(r, "round") == (0, 1, 1)
    assert counts(r, "event_core") == (0, 1, 1)
    # a round the gold does not name is a false positive but does not spoil the core
    r = run([gold_ev(amount_text="1亿元")], [pred_ev(amount=1e8, currency="CNY", round="C")])
    assert counts(r, "round") == (0, 1, 0)
    assert counts(r, "event_core") == (1, 0, 0)


def test_class_i_gold_is_neither_required_nor_penalised() -> None:
    optional = gold_ev(round_text="A轮", **{"class": "I"})
    assert counts(run([optional], []), "event_core") == (0, 0, 0)
    assert counts(run([optional], None), "document") == (0, 0, 0)
    r = run([optional], [pred_ev(round="B")])           # aligned on company: ignored, even the wrong round
    assert counts(r, "event_core") == (0, 0, 0)
    assert counts(r, "round") == (0, 0, 0)
    assert counts(r, "document") == (0, 0, 0)


@pytest.mark.parametrize("status, counted", [("planned", False), ("reported", False), ("announced", True),
                                             ("closed", True), (None, True)])
def test_unmatched_planned_or_reported_predictions_are_not_counted(status: str | None, counted: bool) -> None:
    r = run([], [pred_ev("别家公司", round="A", status=status)])
    assert counts(r, "event_core") == ((0, 1, 0) if counted else (0, 0, 0))
    assert counts(r, "document") == ((0, 1, 0) if counted else (0, 0, 0))


def test_matched_reported_prediction_is_scored_normally() -> None:
    r = run([gold_ev(round_text="A轮")], [pred_ev(round="A", status="reported")])
    assert counts(r, "event_core") == (1, 0, 0)


@pytest.mark.parametrize("amount_text, value, ok", [
    ("1亿元", 1.01e8, True), ("1亿元", 0.99e8, True), ("1亿元", 1.0105e8, True), ("1亿元", 1.02e8, False),
    ("约1亿元", 1.14e8, True), ("约1亿元", 1.16e8, False), ("近亿元", 0.9e8, True),
    ("数千万元", 5e7, True), ("数千万元", 1e7, True), ("数千万元", 1.5e8, False), ("数千万元", 9e6, False),
    ("过亿", 3e8, False),     # 过亿 has a value (1e8) and 15% tolerance, not an open bound
])
def test_amount_tolerance_and_vague_bounds(amount_text: str, value: float, ok: bool) -> None:
    r = run([gold_ev(amount_text=amount_text)], [pred_ev(amount=value, currency="CNY")])
    assert counts(r, "amount") == ((1, 0, 0) if ok else (0, 1, 1))


def test_amount_bounds_of_a_prediction_are_used_when_it_has_no_value() -> None:
    r = run([gold_ev(amount_text="数千万元")], [pred_ev(amount_min=1e7, amount_max=1e8, currency="CNY")])
    assert counts(r, "amount") == (1, 0, 0)


@pytest.mark.parametrize("currency, ok", [("USD", True), ("CNY", False), (None, False)])
def test_amount_needs_the_gold_currency(currency: str | None, ok: bool) -> None:
    r = run([gold_ev(amount_text="2.5亿美元")], [pred_ev(amount=2.5e8, currency=currency)])
    assert counts(r, "amount") == ((1, 0, 0) if ok else (0, 1, 1))


def test_gold_without_currency_accepts_any() -> None:
    r = run([gold_ev(amount_text="7200万")], [pred_ev(amount=7.2e7, currency="HKD")])
    assert counts(r, "amount") == (1, 0, 0)


def test_company_core_matches_legal_name() -> None:
    r = run([gold_ev("青岛慧拓智能机器有限公司")], [pred_ev("慧拓智能")])
    assert counts(r, "company") == (1, 0, 0)
    r = run([gold_ev("慧拓智能")], [pred_ev("Waytous", company_aliases=["青岛慧拓智能机器有限公司"])])
    assert counts(r, "company") == (1, 0, 0)


@pytest.mark.parametrize("gold_date, pred_date, expected", [
    ("2016-10-26", "2016-10-26", (1, 0, 0)), ("2016-10-26", "2016-10-25", (0, 1, 1)),
    ("2016-10", "2016-10-03", (1, 0, 0)), ("2016", "2016-05-01", (1, 0, 0)), ("2016", "2017-01-01", (0, 1, 1)),
    ("2016-10-26", None, (0, 0, 1)), (None, "2016-10-26", (0, 0, 0)),   # dates scored only where gold has one
])
def test_date_at_gold_precision(gold_date: str | None, pred_date: str | None, expected: tuple) -> None:
    r = run([gold_ev(round_text="A轮", date=gold_date)], [pred_ev(round="A", date=pred_date)])
    assert counts(r, "date") == expected


def test_investor_lists_match_name_by_name_and_leads_count_as_investors() -> None:
    g = gold_ev(investors=["红杉资本中国", "IDG资本"], lead_investors=["红杉资本中国"])
    p = pred_ev(investors=["IDG资本", "某某基金"], lead_investors=["红杉资本中国"])
    r = run([g], [p])
    assert counts(r, "investors") == (2, 1, 0)
    assert counts(r, "lead") == (1, 0, 0)


def test_unaligned_events_count_every_role_they_carry() -> None:
    g = gold_ev("甲科技", amount_text="1亿元", round_text="B轮", investors=["A", "B"], date="2016-01-01")
    p = pred_ev("乙科技", amount=5e6, currency="USD", round="A", investors=["C"], lead_investors=["C"],
                date="2016-01-01")
    p["company_aliases"] = []
    r = run([g], [p])
    # the dates agree, so the two align and only the date is right
    assert counts(r, "date") == (1, 0, 0)
    r = run([g], [dict(p, date="2015-01-01")])
    assert counts(r, "company") == (0, 1, 1)
    assert counts(r, "investors") == (0, 1, 2)
    assert counts(r, "lead") == (0, 1, 0)
    assert counts(r, "date") == (0, 1, 1)


def test_document_level_counting() -> None:
    optional = dict(gold_ev("乙"), **{"class": "I"})
    gold = [
        {"id": "pos-found", "events": [gold_ev("甲")]},
        {"id": "pos-missed", "events": [gold_ev("甲")]},
        {"id": "pos-wrong-event", "events": [gold_ev("甲")]},     # found the document, not the event
        {"id": "neg-false-alarm", "events": []},
        {"id": "neg-quiet", "events": []},
        {"id": "optional-only", "events": [optional]},
        {"id": "rumour-only", "events": []},
        {"id": 7, "events": []},                                   # ids compare as strings
    ]
    pred = [
        {"id": "pos-found", "events": [pred_ev("甲")]},
        {"id": "pos-missed", "events": []},
        {"id": "pos-wrong-event", "events": [pred_ev("丙", round="A")]},
        {"id": "neg-false-alarm", "events": [pred_ev("丙")]},
        {"id": "optional-only", "events": [pred_ev("乙")]},
        {"id": "rumour-only", "events": [pred_ev("丙", status="reported")]},
        {"id": "7", "events": []},
        {"id": "not-in-gold", "events": [pred_ev("丁")]},
    ]
    r = score(gold, pred)
    assert counts(r, "document") == (2, 1, 1)
    assert r["docs"] == 8
    assert r["docs_without_prediction"] == 1      # neg-quiet


def test_format_scores_lists_every_row() -> None:
    text = format_scores(run([gold_ev(round_text="A轮")], [pred_ev(round="A")]))
    for row in (*ROLES, "MICRO", "event-core", "document"):
        assert row in text


# -- agreement with the reference --------------------------------------------------------------

def _shared() -> Path:
    if not (SHARED / "tools" / "score.py").is_file():
        pytest.skip(f"reference scorer not found at {SHARED / 'tools/score.py'} (../shared is absent)")
    return SHARED


def _load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _as_prediction(ev: dict) -> dict:
    names = list(ev.get("company") or [])
    if "amount" in ev:
        amount = {k: ev.get(k) for k in ("amount", "amount_min", "amount_max", "currency")}
    else:
        parsed = parse_amount(ev.get("amount_text")) if ev.get("amount_text") else None
        amount = {"amount": parsed.value if parsed else None, "amount_min": parsed.low if parsed else None,
                  "amount_max": parsed.high if parsed else None, "currency": parsed.currency if parsed else None}
    return {"company": names[0] if names else None, "company_aliases": names[1:], **amount,
            "round": ev.get("round_text"), "date": ev.get("date"), "lead_investors": list(ev.get("lead_investors") or []),
            "investors": list(ev.get("investors") or []), "is_current": ev.get("is_current", True),
            "status": "announced"}


def _perfect(gold: list[dict]) -> list[dict]:
    return [{"id": rec["id"], "events": [_as_prediction(e) for e in rec.get("events") or []]} for rec in gold]


def _perturb(ev: dict, rng: random.Random) -> dict:
    ev = copy.deepcopy(ev)
    name = ev["company"] or "某公司"
    ev["company"] = rng.choice([name, name + "有限公司", "北京" + name, name[:2], name + "科技", "Acme", None])
    if rng.random() < 0.3:
        ev["company_aliases"] = []
    value = ev["amount"] if ev["amount"] is not None else ev["amount_min"]
    pick = rng.randrange(9)
    if value is not None and pick < 6:
        ev["amount"] = value * (1.005, 1.0105, 1.05, 1.14, 1.3, 0.5)[pick]
    elif pick == 6:
        ev["amount"], ev["amount_min"], ev["amount_max"] = None, None, None
    elif pick == 7:
        ev["currency"] = {"USD": "CNY", "CNY": "USD"}.get(ev["currency"], None)
    else:
        ev["amount"], ev["amount_min"] = None, value
    ev["round"] = rng.choice([ev["round"], ev["round"], None, "undisclosed", "B", "Series A", "天使轮", "Pre-A"])
    ev["date"] = rng.choice([ev["date"], (ev["date"] or "")[:7] or None, "2016", "2016-10-25", "2024-09-19", None])
    investors = ev["investors"]
    ev["investors"] = rng.sample(investors, k=rng.randint(0, len(investors))) + rng.choice([[], ["Foo Capital"]])
    ev["lead_investors"] = rng.choice([ev["lead_investors"], investors[:1], []])
    ev["status"] = rng.choice(["announced", "closed", "planned", "reported", None])
    return ev


def _perturbed(gold: list[dict], seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for rec in _perfect(gold):
        if rng.random() < 0.1:
            continue                                   # a document without a prediction line
        events = [_perturb(e, rng) if rng.random() < 0.7 else e for e in rec["events"] if rng.random() > 0.15]
        if rng.random() < (0.4 if rec["events"] else 0.05):
            spurious = _perturb(_as_prediction(gold_ev(rng.choice(["假公司", "某某网络", "Acme"]))), rng)
            events.append(spurious)
        if rng.random() < 0.2:
            events += copy.deepcopy(events)            # duplicates: ties in the alignment
        rng.shuffle(events)
        out.append({"id": rec["id"], "events": events})
    out.append({"id": "no-such-document", "events": [_as_prediction(gold_ev("Ghost"))]})
    rng.shuffle(out)
    return out


def _reference(shared: Path, gold: Path, pred: Path, roles: tuple[str, ...]) -> dict:
    cmd = [sys.executable, str(shared / "tools" / "score.py"), "--gold", str(gold), "--pred", str(pred), "--json",
           "--roles", ",".join(roles)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=60)
    return json.loads(done.stdout)


def _assert_same(ours: dict, ref: dict, where: str) -> None:
    for key, want in ref.items():
        if key == "roles":
            for role, metrics in want.items():
                _assert_same(ours["roles"][role], metrics, f"{where} roles.{role}")
        elif isinstance(want, dict):
            _assert_same(ours[key], want, f"{where} {key}")
        else:
            assert ours[key] == pytest.approx(want, abs=1e-9), f"{where} {key}: ours {ours[key]}, reference {want}"


@pytest.mark.parametrize("gold_name", GOLD_SETS)
def test_agrees_with_reference_scorer(gold_name: str, tmp_path: Path) -> None:
    shared = _shared()
    gold_path = shared / "data" / "eval" / gold_name
    gold = _load(gold_path)
    variants = {
        "perfect": _perfect(gold),
        "empty-file": [],
        "empty-events": [{"id": rec["id"], "events": []} for rec in gold],
        **{f"perturbed-{seed}": _perturbed(gold, seed) for seed in (1, 2, 3)},
    }
    for name, pred in variants.items():
        pred_path = tmp_path / f"{name}.jsonl"
        pred_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in pred), encoding="utf-8")
        for roles in (MICRO_ROLES, ROLES):
            ref = _reference(shared, gold_path, pred_path, roles)
            ours = score(gold, _load(pred_path), micro_roles=roles)
            _assert_same(ours, ref, f"{gold_name}/{name}/{len(roles)} roles")
        if name == "perfect":
            assert ours["event_core"]["f1"] == 1.0 and ours["document"]["f1"] == 1.0


def _goldnorm() -> ModuleType:
    path = _shared() / "tools" / "goldnorm.py"
    spec = importlib.util.spec_from_file_location("reference_goldnorm", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_normalisers_agree_with_reference() -> None:
    ref = _goldnorm()
    events = [e for name in GOLD_SETS for rec in _load(SHARED / "data" / "eval" / name) for e in rec["events"]]
    amounts = {e["amount_text"] for e in events if e.get("amount_text")} | {
        "数千万元", "几百万美元", "千万美元", "超千万", "近亿元", "亿元", "3000多万元", "1亿元以上", "5亿元左右", "不超过5亿元",
        "最高1亿美元", "逾10亿港元", "1千万", "1.5千万", "三千五百万", "二〇一六万", "1,200万新加坡元", "S$5M", "HK$3.2bn",
        "¥100万", "￥100万", "£2m", "US$ 12 million", "about $1 billion", "nearly $20M", "$5M+", "$10 mm",
        "₹10 lakh", "Rs. 25 crore", "$ 3.5 billion dollars", "5 billion yen", "一百零五万元", "1.2.3亿", ".", "万",
    }
    for text in sorted(amounts):
        mine, theirs = parse_amount(text), ref.parse_amount(text)
        as_dict = None if mine is None else {"value": mine.value, "min": mine.low, "max": mine.high,
                                              "currency": mine.currency, "approx": mine.approx}
        assert as_dict == theirs, text
    rounds = {e.get("round_text") for e in events} | {
        "A+", "A1", "B++", "pre-B", "Pre-Series A", "Series C extension", "angel+", "天使+轮", "债权融资", "plus",
        "战略融资", "Round A", "series-b", "IPO", "undisclosed", "Growth round", "pre seed"}
    for text in rounds:
        assert canon_round(text) == ref.canon_round(text), text
    names = {n for e in events for n in (e.get("company") or []) + (e.get("investors") or [])} | {
        "青岛慧拓智能机器有限公司", "慧拓", "Tesco", "Zinc Labs", "上海市某某科技", "某某", "Acme Holdings Inc.", "“新浪”"}
    pool = sorted(names)
    rng = random.Random(0)
    pairs = [(a, b) for a in pool for b in rng.sample(pool, 30)] + [(a, a[:k]) for a in pool for k in (2, 3, 4)]
    for a, b in pairs:
        assert names_match(a, b) == ref.names_match(a, b), (a, b)
