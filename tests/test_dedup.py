"""Deduplication: hand-built mentions from real article rows become events, idempotently."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from crawlers.records import ParsedPage
from extractor.dedup import apply_extraction
from extractor.records import FundingEvent, Status
from extractor.store import Store

V1 = "test-extractor-1"
USD_CNY = Decimal("7.1980")

ZH_URL = "https://www.yunfan.example.cn/articles/100231.html"
EN_URL = "https://ledger.example.com/2024/02/20/moonshot-ai-alibaba-round.html"
EN2_URL = "https://wire.example.com/moonshot-closes-round"

MOONSHOT_ZH = FundingEvent(
    company="月之暗面", company_aliases=("Moonshot AI",), round="A", round_text="A轮",
    amount_min=Decimal(1000000000), currency="USD", amount_text="超10亿美元",
    amount_cny_min=Decimal(1000000000) * USD_CNY, fx_rate=USD_CNY, fx_date=dt.date(2024, 2, 19),
    date=dt.date(2024, 2, 19), date_precision="day", lead_investors=("阿里巴巴",),
    investors=("阿里巴巴", "红杉中国", "美团"), status=Status.CLOSED,
    evidence="月之暗面（Moonshot AI）宣布完成超10亿美元A轮融资，阿里巴巴领投，红杉中国、美团跟投。", confidence=0.9)
MOONSHOT_EN = FundingEvent(
    company="Moonshot AI", round="A", round_text="Series A", amount=Decimal(1000000000), currency="USD",
    amount_text="$1 billion", amount_cny=Decimal(1000000000) * USD_CNY, fx_rate=USD_CNY,
    fx_date=dt.date(2024, 2, 19), date=dt.date(2024, 2, 19), date_precision="day",
    lead_investors=("Alibaba Group",), investors=("Alibaba Group", "HongShan"), status=Status.CLOSED,
    evidence="Chinese AI startup Moonshot AI has raised $1 billion in a Series A round led by Alibaba Group.",
    confidence=0.85)


def add_article(store: Store, url: str, title: str, text: str, published: dt.date, lang: str) -> int:
    page = ParsedPage(url=url, title=title, text=text, lang=lang,
                      published=dt.datetime.combine(published, dt.time(9, 0), tzinfo=dt.UTC))
    (article_id,) = store.add_inline_articles(f"test-{lang}", [page])
    return article_id


def moonshot_articles(store: Store) -> tuple[int, int]:
    zh = add_article(store, ZH_URL, "月之暗面完成超10亿美元A轮融资，阿里巴巴领投", MOONSHOT_ZH.evidence,
                     dt.date(2024, 2, 19), "zh")
    en = add_article(store, EN_URL, "Alibaba leads $1 billion-plus round in Moonshot AI", MOONSHOT_EN.evidence,
                     dt.date(2024, 2, 20), "en")
    return zh, en


def event_rows(store: Store) -> list[dict[str, Any]]:
    """Every event as the user sees it, minus the bookkeeping timestamp."""
    return [{k: v for k, v in row.items() if k != "updated_at"} for row in store.events()]


def mention_rows(store: Store) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "id"} for row in store.mentions()]


def links(store: Store) -> set[tuple[str, int, int]]:
    """(event id, article id, idx) for each provenance link."""
    return set(store.conn.execute(
        "SELECT em.event_id, m.article_id, m.idx FROM event_mentions em JOIN mentions m ON m.id = em.mention_id"
    ).fetchall())


def single_event(store: Store, **where: str) -> dict[str, Any]:
    rows = store.events(**where)
    assert len(rows) == 1, f"expected one event, got {[(r['company'], r['round'], r['date']) for r in rows]}"
    return rows[0]


# -- one round, two languages -------------------------------------------------------------------

@pytest.mark.parametrize("zh_first", [True, False], ids=["zh-then-en", "en-then-zh"])
def test_one_round_reported_in_two_languages_is_one_event(fresh_store: Store, zh_first: bool) -> None:
    zh, en = moonshot_articles(fresh_store)
    order = [(zh, MOONSHOT_ZH), (en, MOONSHOT_EN)]
    for article_id, event in order if zh_first else order[::-1]:
        assert apply_extraction(fresh_store, article_id, V1, [event]) == 1

    event = single_event(fresh_store)
    assert event["company"] in ("月之暗面", "Moonshot AI")
    assert event["round"] == "A"
    assert event["n_mentions"] == 2
    assert event["currency"] == "USD"
    assert event["amount"] == 1_000_000_000
    assert event["amount_cny"] == pytest.approx(7.198e9)
    assert event["date"] == "2024-02-19"
    assert sorted(event["sources"]) == sorted([ZH_URL, EN_URL])
    assert {"阿里巴巴", "Alibaba Group"} <= set(event["lead_investors"])
    assert {"红杉中国", "美团", "HongShan"} <= set(event["investors"])
    assert {(a, i) for _, a, i in links(fresh_store)} == {(zh, 0), (en, 0)}
    # one company, found by either name
    assert fresh_store.db["companies"].count == 1
    assert single_event(fresh_store, company="Moonshot")["id"] == event["id"]
    assert single_event(fresh_store, company="月之暗面")["id"] == event["id"]


def test_arrival_order_does_not_change_the_events() -> None:
    results = []
    for zh_first in (True, False):
        store = Store.memory()
        zh, en = moonshot_articles(store)
        order = [(zh, MOONSHOT_ZH), (en, MOONSHOT_EN)]
        for article_id, event in order if zh_first else order[::-1]:
            apply_extraction(store, article_id, V1, [event])
        rows = event_rows(store)
        for row in rows:
            row.pop("company_id")
            row["lead_investors"] = sorted(row["lead_investors"])
            row["investors"] = sorted(row["investors"])
            row["sources"] = sorted(row["sources"])
        results.append(rows)
        store.close()
    assert results[0] == results[1]


def test_an_earlier_round_mentioned_in_passing_joins_its_own_event(fresh_store: Store) -> None:
    first = add_article(fresh_store, "https://ledger.example.com/2023/03/28/perplexity-series-a.html",
                        "Perplexity raises $25.6 million Series A",
                        "Perplexity AI raised $25.6 million in a Series A round led by NEA.", dt.date(2023, 3, 28), "en")
    later = add_article(fresh_store, "https://ledger.example.com/2024/01/04/perplexity-series-b.html",
                        "Perplexity raises $73.6 million Series B",
                        "Perplexity AI raised $73.6 million in a Series B round led by IVP. It raised a $25.6 million"
                        " Series A led by NEA in March 2023.", dt.date(2024, 1, 4), "en")
    series_a = FundingEvent(company="Perplexity AI", round="A", round_text="Series A", amount=Decimal(25600000),
                            currency="USD", amount_text="$25.6 million", amount_cny=Decimal(176000000),
                            date=dt.date(2023, 3, 28), date_precision="day", lead_investors=("NEA",),
                            investors=("NEA",), evidence="Perplexity AI raised $25.6 million in a Series A.")
    series_b = FundingEvent(company="Perplexity AI", round="B", round_text="Series B", amount=Decimal(73600000),
                            currency="USD", amount_text="$73.6 million", amount_cny=Decimal(526000000),
                            date=dt.date(2024, 1, 4), date_precision="day", lead_investors=("IVP",),
                            investors=("IVP",), evidence="Perplexity AI raised $73.6 million in a Series B.")
    in_passing = dataclasses.replace(series_a, date=dt.date(2023, 3, 1), date_precision="month", is_current=False)
    apply_extraction(fresh_store, first, V1, [series_a])
    apply_extraction(fresh_store, later, V1, [series_b, in_passing])
    rounds = {row["round"]: row for row in fresh_store.events(company="Perplexity")}
    assert set(rounds) == {"A", "B"}
    assert rounds["A"]["n_mentions"] == 2
    assert rounds["B"]["n_mentions"] == 1


# -- different rounds stay apart ----------------------------------------------------------------

def test_two_rounds_of_one_company_stay_two_events(fresh_store: Store) -> None:
    a = add_article(fresh_store, "https://example.cn/zhipu-a", "智谱AI完成A轮融资", "智谱AI宣布完成数亿元A轮融资。",
                    dt.date(2023, 3, 1), "zh")
    a_plus = add_article(fresh_store, "https://example.cn/zhipu-a-plus", "智谱AI完成A+轮融资",
                         "智谱AI宣布完成数亿元A+轮融资。", dt.date(2023, 3, 20), "zh")
    vague = {"currency": "CNY", "amount_text": "数亿元", "amount_min": Decimal("1e8"), "amount_max": Decimal("1e9"),
             "amount_cny_min": Decimal("1e8"), "amount_cny_max": Decimal("1e9")}
    apply_extraction(fresh_store, a, V1, [FundingEvent(company="智谱AI", round="A", round_text="A轮",
                                                       date=dt.date(2023, 3, 1), **vague)])
    apply_extraction(fresh_store, a_plus, V1, [FundingEvent(company="智谱AI", round="A+", round_text="A+轮",
                                                            date=dt.date(2023, 3, 20), **vague)])
    rows = fresh_store.events()
    assert sorted(r["round"] for r in rows) == ["A", "A+"]
    assert all(r["n_mentions"] == 1 for r in rows)


def test_two_series_b_rounds_two_years_apart_stay_two_events(fresh_store: Store) -> None:
    ids = []
    for year in (2022, 2024):
        ids.append(add_article(fresh_store, f"https://example.com/acme-{year}", "Acme Robotics raises Series B",
                               "Acme Robotics raised a $50 million Series B.", dt.date(year, 6, 1), "en"))
    for article_id, year in zip(ids, (2022, 2024), strict=True):
        apply_extraction(fresh_store, article_id, V1, [FundingEvent(
            company="Acme Robotics", round="B", round_text="Series B", amount=Decimal(50000000), currency="USD",
            amount_text="$50 million", amount_cny=Decimal(350000000), date=dt.date(year, 6, 1),
            date_precision="day")])
    rows = fresh_store.events()
    assert [r["date"] for r in rows] == ["2024-06-01", "2022-06-01"]  # newest first
    assert [r["n_mentions"] for r in rows] == [1, 1]


def test_same_round_with_incompatible_amounts_stays_two_events(fresh_store: Store) -> None:
    """'数千万元' and '$1 billion' for one company's A round a week apart are not the same raise."""
    small = add_article(fresh_store, "https://example.cn/x1", "星河机器人完成数千万元A轮融资", "星河机器人完成数千万元A轮融资。",
                        dt.date(2024, 4, 1), "zh")
    big = add_article(fresh_store, "https://example.com/x2", "Xinghe Robotics raises $1B", "Xinghe raised $1B.",
                      dt.date(2024, 4, 8), "en")
    apply_extraction(fresh_store, small, V1, [FundingEvent(
        company="星河机器人", company_aliases=("Xinghe Robotics",), round="A", currency="CNY", amount_text="数千万元",
        amount_min=Decimal("1e7"), amount_max=Decimal("1e8"), amount_cny_min=Decimal("1e7"),
        amount_cny_max=Decimal("1e8"), date=dt.date(2024, 4, 1))])
    apply_extraction(fresh_store, big, V1, [FundingEvent(
        company="Xinghe Robotics", round="A", currency="USD", amount=Decimal("1e9"), amount_text="$1 billion",
        amount_cny=Decimal("7.2e9"), date=dt.date(2024, 4, 8))])
    assert fresh_store.db["companies"].count == 1
    assert len(fresh_store.events()) == 2


# -- idempotence and replacement ----------------------------------------------------------------

def test_applying_the_same_extraction_twice_changes_nothing(fresh_store: Store) -> None:
    zh, en = moonshot_articles(fresh_store)
    apply_extraction(fresh_store, zh, V1, [MOONSHOT_ZH])
    apply_extraction(fresh_store, en, V1, [MOONSHOT_EN])
    before = (event_rows(fresh_store), mention_rows(fresh_store), links(fresh_store), fresh_store.stats()["tables"])
    apply_extraction(fresh_store, zh, V1, [MOONSHOT_ZH])
    apply_extraction(fresh_store, en, V1, [MOONSHOT_EN])
    apply_extraction(fresh_store, en, V1, [MOONSHOT_EN])
    after = (event_rows(fresh_store), mention_rows(fresh_store), links(fresh_store), fresh_store.stats()["tables"])
    assert after == before
    assert len(before[0]) == 1 and before[0][0]["n_mentions"] == 2


def test_an_article_re_extracted_with_no_events_drops_what_only_it_supported(fresh_store: Store) -> None:
    zh, en = moonshot_articles(fresh_store)
    acme = add_article(fresh_store, "https://example.com/acme", "Acme Robotics raises $20M Series A",
                       "Acme Robotics raised a $20 million Series A led by Sequoia Capital.", dt.date(2024, 2, 20), "en")
    acme_a = FundingEvent(company="Acme Robotics", round="A", round_text="Series A", amount=Decimal(20000000),
                          currency="USD", amount_text="$20 million", amount_cny=Decimal(143960000),
                          date=dt.date(2024, 2, 20), lead_investors=("Sequoia Capital",),
                          investors=("Sequoia Capital",))
    apply_extraction(fresh_store, zh, V1, [MOONSHOT_ZH])
    apply_extraction(fresh_store, en, V1, [MOONSHOT_EN, acme_a])  # the en page also mentions Acme
    apply_extraction(fresh_store, acme, V1, [acme_a])
    assert {(r["company"], r["n_mentions"]) for r in fresh_store.events()} == \
        {("Acme Robotics", 2), (single_event(fresh_store, company="Moonshot")["company"], 2)}

    assert apply_extraction(fresh_store, en, "test-extractor-2", []) == 0
    rows = {r["round"]: r for r in fresh_store.events()}
    assert rows["A"]["n_mentions"] == 1
    assert {r["n_mentions"] for r in fresh_store.events()} == {1}
    assert all(EN_URL not in r["sources"] for r in fresh_store.events())
    assert {m["article_id"] for m in fresh_store.mentions()} == {zh, acme}
    extraction = fresh_store.conn.execute(
        "SELECT extractor_version, n_events FROM extractions WHERE article_id = ?", (en,)).fetchone()
    assert extraction == ("test-extractor-2", 0)

    apply_extraction(fresh_store, acme, "test-extractor-2", [])
    assert [r["company"] for r in fresh_store.events()] == [single_event(fresh_store)["company"]]
    assert fresh_store.conn.execute("SELECT count(*) FROM event_mentions").fetchone()[0] == 1


def test_deleting_the_last_mention_of_an_event_removes_its_provenance(fresh_store: Store) -> None:
    zh, _ = moonshot_articles(fresh_store)
    apply_extraction(fresh_store, zh, V1, [MOONSHOT_ZH])
    apply_extraction(fresh_store, zh, V1, [])
    assert fresh_store.events() == []
    assert fresh_store.stats()["tables"]["event_mentions"] == 0
    assert fresh_store.stats()["tables"]["mentions"] == 0


# -- conflicts ----------------------------------------------------------------------------------

def test_disagreeing_mentions_are_merged_with_conflicts_recorded(fresh_store: Store) -> None:
    zh, en = moonshot_articles(fresh_store)
    wire = add_article(fresh_store, EN2_URL, "Moonshot AI said to raise $1.05 billion",
                       "Moonshot AI is raising about $1.05 billion, people familiar said.", dt.date(2024, 2, 21), "en")
    apply_extraction(fresh_store, zh, V1, [MOONSHOT_ZH])
    apply_extraction(fresh_store, en, V1, [MOONSHOT_EN])
    apply_extraction(fresh_store, wire, V1, [dataclasses.replace(
        MOONSHOT_EN, amount=Decimal(1050000000), amount_text="$1.05 billion",
        amount_cny=Decimal(1050000000) * USD_CNY, date=dt.date(2024, 2, 21), status=Status.REPORTED,
        confidence=0.6)])
    event = single_event(fresh_store)
    assert event["n_mentions"] == 3
    conflicts = {c["field"]: c for c in event["conflicts"]}
    assert {"status", "date", "amount_cny"} <= set(conflicts), event["conflicts"]
    assert conflicts["status"]["chosen"] == "closed"  # two of three say closed
    assert conflicts["status"]["alternatives"] == ["reported"]
    assert event["date"] == "2024-02-19"
    assert len(conflicts["amount_cny"]["alternatives"]) == 2


def test_agreeing_mentions_record_no_conflicts(fresh_store: Store) -> None:
    zh, en = moonshot_articles(fresh_store)
    apply_extraction(fresh_store, zh, V1, [MOONSHOT_ZH])
    apply_extraction(fresh_store, en, V1, [MOONSHOT_EN])
    assert single_event(fresh_store)["conflicts"] == []
