"""Deduplication measured end to end on fixtures/dedup/reports.jsonl (see DEDUP.md).

Each report is stored as an article, extracted by the real spaCy pipeline and merged with
`apply_extraction`; the events it produces are compared with the hand labels pair by pair: two
mentions placed in one event should carry the same gold key, and two with the same gold key should
share an event. Run with `-s` to see the figures and every pair that is wrong.

Gold keys: a report with `event_key` labels all its mentions with it. A report that states two
rounds has `event_keys` {marker: key}; a mention takes the key whose marker equals its canonical
round, else the key whose marker occurs in its amount text. A mention that matches no marker is
spurious and gets a key of its own, so merging it with anything costs precision.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pytest

from crawlers.records import ParsedPage
from extractor.dedup import apply_extraction
from extractor.pipeline import Extractor
from extractor.records import Article, FundingEvent, parse_published
from extractor.store import Store

REPORTS = Path(__file__).resolve().parents[1] / "fixtures" / "dedup" / "reports.jsonl"
# The targets are P >= 0.98 and R >= 0.95; measured P 1.000 and R 1.000 on this set (DEDUP.md).
# The floors sit at the targets so that a regression fails.
PRECISION_FLOOR = 0.98
RECALL_FLOOR = 0.95
SHUFFLES = 5

Mention = tuple[str, int]  # (report id, mention idx within the report's article)


def load_reports() -> list[dict[str, Any]]:
    return [json.loads(line) for line in REPORTS.read_text(encoding="utf-8").splitlines() if line.strip()]


def report_url(report: dict[str, Any]) -> str:
    return f"https://{report['source']}.example/{report['id']}"


def published(report: dict[str, Any]) -> dt.datetime:
    day = parse_published(report["published"])
    assert day is not None, report["id"]
    return dt.datetime.combine(day, dt.time(8, 0), tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def reports() -> list[dict[str, Any]]:
    return load_reports()


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return Extractor.load("spacy")


@pytest.fixture(scope="module")
def extractions(reports: list[dict[str, Any]], extractor: Extractor) -> dict[str, list[FundingEvent]]:
    """Extraction is a pure function of the article, so one pass serves every arrival order."""
    return {r["id"]: extractor.extract(Article(id=r["id"], text=r["text"], title=r["title"],
                                               published=published(r).date(), lang=r["lang"], url=report_url(r)))
            for r in reports}


def build(reports: Sequence[dict[str, Any]], extractions: dict[str, list[FundingEvent]],
          version: str) -> tuple[Store, dict[str, int]]:
    """A fresh store that received the reports in the given order; returns report id -> article id."""
    store = Store.memory()
    ids: dict[str, int] = {}
    for report in reports:
        page = ParsedPage(url=report_url(report), title=report["title"], published=published(report),
                          lang=report["lang"], text=report["text"])
        (article_id,) = store.add_inline_articles(report["source"], [page])
        ids[report["id"]] = article_id
        apply_extraction(store, article_id, version, extractions[report["id"]])
    return store, ids


def placements(store: Store) -> dict[Mention, str]:
    """Where each stored mention went: (report id, idx) -> event id."""
    rows = store.conn.execute(
        "SELECT em.event_id, a.url, m.idx FROM event_mentions em JOIN mentions m ON m.id = em.mention_id"
        " JOIN articles a ON a.id = m.article_id").fetchall()
    return {(url.rsplit("/", 1)[1], idx): event for event, url, idx in rows}


def partition(store: Store) -> set[frozenset[Mention]]:
    """The grouping of mentions into events, independent of ids and arrival order."""
    groups: dict[str, set[Mention]] = defaultdict(set)
    for mention, event in placements(store).items():
        groups[event].add(mention)
    return {frozenset(g) for g in groups.values()}


def gold_key(report: dict[str, Any], idx: int, event: FundingEvent) -> str:
    if "event_key" in report:
        return str(report["event_key"])
    markers: dict[str, str] = report["event_keys"]
    if event.round in markers:
        return markers[event.round]
    for marker, key in markers.items():
        if marker in (event.amount_text or ""):
            return key
    return f"spurious:{report['id']}:{idx}"


def gold_labels(reports: Iterable[dict[str, Any]], extractions: dict[str, list[FundingEvent]]) -> dict[Mention, str]:
    return {(r["id"], i): gold_key(r, i, e) for r in reports for i, e in enumerate(extractions[r["id"]])}


def describe(mention: Mention, extractions: dict[str, list[FundingEvent]]) -> str:
    e = extractions[mention[0]][mention[1]]
    return f"{mention[0]}#{mention[1]} {e.company} {e.round or '-'} {e.amount_text or '-'} {e.date}"


def pairwise(gold: dict[Mention, str], placed: dict[Mention, str]) -> dict[str, Any]:
    """Pairwise merge precision/recall over the mentions both sides know."""
    tp, false_merges, missed = 0, [], []
    for a, b in itertools.combinations(sorted(gold), 2):
        same_gold, same_event = gold[a] == gold[b], placed[a] == placed[b]
        if same_gold and same_event:
            tp += 1
        elif same_event:
            false_merges.append((a, b))
        elif same_gold:
            missed.append((a, b))
    precision = tp / (tp + len(false_merges)) if tp + len(false_merges) else 1.0
    recall = tp / (tp + len(missed)) if tp + len(missed) else 1.0
    return {"tp": tp, "precision": precision, "recall": recall, "false_merges": false_merges, "missed": missed}


# -- the set itself -----------------------------------------------------------------------------

def test_the_set_is_bilingual_multi_source_and_large_enough(reports: list[dict[str, Any]]) -> None:
    labelled = [k for r in reports for k in ([r["event_key"]] if "event_key" in r else r["event_keys"].values())]
    per_event = Counter(labelled)
    assert len(labelled) >= 30 and len(per_event) >= 12
    assert {r["lang"] for r in reports} == {"zh", "en"}
    assert len({r["id"] for r in reports}) == len(reports)
    sources = defaultdict(set)
    for r in reports:
        sources[r.get("event_key")].add(r["source"])
    assert sum(len(s) >= 2 for s in sources.values()) >= 10, "most events must be reported by several outlets"


def test_the_pipeline_extracts_most_reports(reports: list[dict[str, Any]],
                                            extractions: dict[str, list[FundingEvent]]) -> None:
    missing = [r["id"] for r in reports if not extractions[r["id"]]]
    n = sum(len(v) for v in extractions.values())
    print(f"\nextraction: {len(reports) - len(missing)}/{len(reports)} reports gave mentions, {n} mentions;"
          f" nothing from {missing}")
    assert n >= 30
    assert len(missing) <= 3


# -- pairwise merge quality -----------------------------------------------------------------------

def test_pairwise_merge_precision_and_recall(reports: list[dict[str, Any]], extractor: Extractor,
                                             extractions: dict[str, list[FundingEvent]]) -> None:
    store, _ = build(reports, extractions, extractor.version)
    gold = gold_labels(reports, extractions)
    placed = placements(store)
    assert set(placed) == set(gold), "every mention is linked to exactly one event"
    result = pairwise(gold, placed)
    n_events = store.conn.execute("SELECT count(*) FROM events").fetchone()[0]
    print(f"\npairwise merge: {len(gold)} mentions, {len(set(gold.values()))} gold events, {n_events} events;"
          f" gold pairs {result['tp'] + len(result['missed'])}, predicted pairs"
          f" {result['tp'] + len(result['false_merges'])}, correct {result['tp']}")
    print(f"pairwise merge precision {result['precision']:.3f}  recall {result['recall']:.3f}")
    for a, b in result["false_merges"]:
        print(f"  FALSE MERGE  {describe(a, extractions)}  ==  {describe(b, extractions)}")
    for a, b in result["missed"]:
        print(f"  MISSED       {describe(a, extractions)}  !=  {describe(b, extractions)}")
    assert result["precision"] >= PRECISION_FLOOR
    assert result["recall"] >= RECALL_FLOOR


NEAR_MISSES = [
    ("hengji-2025-A", "hengji-2025-A+"),            # one company, A and A+ six weeks apart
    ("yaoxin-2022-B", "yaoxin-2024-B"),             # one company, two B rounds two years apart
    ("qingyun-tech-2025-A", "qingyun-bio-2025-A"),  # 青昀科技 vs 青昀生物, same month and round
    ("moonshot-2024-02", "moonshot-2024-08"),       # one company, unnamed rounds six months apart
    ("galbot-2024-06", "galbot-2025-06"),           # an earlier round recalled in a later report
]


@pytest.mark.parametrize(("first", "second"), NEAR_MISSES, ids=[f"{a}|{b}" for a, b in NEAR_MISSES])
def test_near_misses_stay_apart(reports: list[dict[str, Any]], extractor: Extractor,
                                extractions: dict[str, list[FundingEvent]], first: str, second: str) -> None:
    store, _ = build(reports, extractions, extractor.version)
    gold, placed = gold_labels(reports, extractions), placements(store)
    events_of = {key: {placed[m] for m, k in gold.items() if k == key} for key in (first, second)}
    assert events_of[first] and events_of[second], "both rounds must be extracted"
    assert not events_of[first] & events_of[second]


# -- idempotence and order ------------------------------------------------------------------------

def events_table(store: Store) -> list[dict[str, Any]]:
    """The events table as stored, minus the `updated_at` timestamp."""
    cur = store.conn.execute("SELECT * FROM events ORDER BY id")
    names = [d[0] for d in cur.description]
    return [{k: v for k, v in zip(names, row, strict=True) if k != "updated_at"} for row in cur.fetchall()]


def event_mentions_table(store: Store) -> list[tuple[str, int]]:
    return store.conn.execute("SELECT event_id, mention_id FROM event_mentions ORDER BY 1, 2").fetchall()


def provenance(store: Store) -> list[tuple[str, int, int]]:
    """event_mentions with each mention named by (article, idx) instead of its row id."""
    return store.conn.execute(
        "SELECT em.event_id, m.article_id, m.idx FROM event_mentions em JOIN mentions m ON m.id = em.mention_id"
        " ORDER BY 1, 2, 3").fetchall()


def apply_again(store: Store, ids: dict[str, int], extractor: Extractor,
                extractions: dict[str, list[FundingEvent]], how: str) -> None:
    """Apply the stored extraction once more, or re-extract every stored article."""
    if how == "same extraction":
        for report_id, article_id in ids.items():
            apply_extraction(store, article_id, extractor.version, extractions[report_id])
    else:
        for stored in list(store.iter_articles()):
            apply_extraction(store, stored.id, extractor.version, extractor.extract(stored.article))


HOW = ["same extraction", "re-extract all"]


@pytest.mark.parametrize("how", HOW)
def test_applying_again_leaves_events_and_provenance_unchanged(
        reports: list[dict[str, Any]], extractor: Extractor, extractions: dict[str, list[FundingEvent]],
        how: str) -> None:
    store, ids = build(reports, extractions, extractor.version)
    events, links = events_table(store), provenance(store)
    apply_again(store, ids, extractor, extractions, how)
    assert events_table(store) == events
    assert provenance(store) == links


@pytest.mark.parametrize("how", HOW)
def test_applying_again_leaves_the_event_mentions_table_identical(
        reports: list[dict[str, Any]], extractor: Extractor, extractions: dict[str, list[FundingEvent]],
        how: str) -> None:
    store, ids = build(reports, extractions, extractor.version)
    before = event_mentions_table(store)
    apply_again(store, ids, extractor, extractions, how)
    assert event_mentions_table(store) == before


def test_arrival_order_does_not_change_the_grouping(reports: list[dict[str, Any]], extractor: Extractor,
                                                    extractions: dict[str, list[FundingEvent]]) -> None:
    store, _ = build(reports, extractions, extractor.version)
    expected = partition(store)
    for seed in range(SHUFFLES):
        shuffled = list(reports)
        random.Random(seed).shuffle(shuffled)
        other, _ = build(shuffled, extractions, extractor.version)
        got = partition(other)
        assert got == expected, f"seed {seed}: {sorted(map(sorted, got ^ expected))}"
    print(f"\narrival order: {SHUFFLES} shuffles give the same {len(expected)} events")
