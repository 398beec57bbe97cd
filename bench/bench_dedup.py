"""Merging mentions into events at scale: 100,000 synthetic mentions through the real store and dedup.

    .venv/bin/python bench/bench_dedup.py [--quick] [--runs N] [--mentions N] [--sample N] [--json]

The corpus (seeded, so every run sees the same data): 20,000 companies (1,000 with --quick) with
Zipf-like mention counts (weight 1/rank^0.9, at most 300 mentions a company, at least one), each
company's events climbing the round ladder on dates spread over 2020-2024, each event reported by
1-4 articles 0-5 days apart in Chinese or English, under the short name, the legal name
(北京X科技有限公司) or the English name (a bilingual pair 月之暗面（Moonshot AI） in some reports),
with the amount exact, rounded (超X), vague (数千万, 数亿) or undisclosed, in CNY, USD, EUR or HKD.
Every mention is a `FundingEvent` of one synthetic article row (`Store.add_inline_articles`).

Two ways in, both ending in `extractor.dedup.cluster_events` over the stored mentions:
- incremental: `apply_extraction` per article, as the crawler does. It re-clusters all the mentions
  of the company touched, so its cost grows with the company's history. It is measured on the last
  --sample articles (by date) arriving into a database that already holds the rest;
- bulk: the same company resolution and `Store.replace_mentions` per article, then
  `cluster_events` + `Store.replace_events` once per company at the end (what a re-extraction of a
  whole archive should do). This is the path timed on all the mentions.
With --quick both run on all 5,000 mentions from an empty database, and the two groupings are
compared (they must be equal: clustering is a function of the stored mentions).

Figures: wall time and mentions/s (median of --runs; a database file in a temp directory, WAL),
peak Python memory (tracemalloc, one extra traced run, not timed) and the process's ru_maxrss.
Speed never makes the script fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import random
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawlers.records import ParsedPage
from extractor.companies import company_key
from extractor.dedup import apply_extraction, cluster_events
from extractor.records import FundingEvent, Status
from extractor.store import Store

VERSION = "bench-dedup"
SEED = 20240219
MAX_PER_COMPANY = 300
ZIPF_EXPONENT = 0.9
START, END = dt.date(2020, 1, 1), dt.date(2024, 12, 31)
RATES = {"CNY": Decimal(1), "USD": Decimal("7.10"), "EUR": Decimal("7.80"), "HKD": Decimal("0.91")}
CURRENCIES = (["CNY"] * 12) + (["USD"] * 6) + ["EUR", "HKD"]
LADDER = ["seed", "angel", "pre-A", "A", "A+", "B", "B+", "C", "C+", "D", "E", "pre-IPO", "strategic"]
ZH_SYLLABLES = "星云智元光启深度未来灵犀澜海芯源数字极客青松启明远景天工月之暗面零一阶跃百川银河通用宇树衡际曜昀"
EN_SYLLABLES = ["xin", "hao", "yun", "zhi", "guang", "lan", "hai", "xing", "ming", "tian", "yuan", "qi", "jie",
                "bai", "chuan", "yin", "he", "yu", "shu", "heng", "ling", "xi", "feng", "rui"]
ZH_TAILS = ["科技", "智能", "机器人", "生物", "半导体", "数据", "医疗"]
EN_TAILS = [" AI", " Robotics", " Bio", " Semi", " Data", " Health", " Tech"]
CITIES = ["北京", "上海", "深圳", "杭州", "苏州", "南京", "成都", "武汉"]


@dataclass(frozen=True, slots=True)
class Company:
    zh: str
    en: str
    legal: str


@dataclass(frozen=True, slots=True)
class Report:
    """One synthetic article and the one mention extracted from it."""

    page: ParsedPage
    event: FundingEvent


def company_names(n: int, rng: random.Random) -> list[Company]:
    """`n` distinct companies (the name spaces hold about 90,000 of each script: room for 20,000)."""
    out, seen = [], set()
    while len(out) < n:
        core = "".join(rng.sample(ZH_SYLLABLES, 2)) + rng.choice(ZH_SYLLABLES)
        tail = rng.randrange(len(ZH_TAILS))
        zh = core + ZH_TAILS[tail]
        en = "".join(rng.sample(EN_SYLLABLES, 3)).capitalize() + EN_TAILS[tail]
        if zh in seen or en in seen:
            continue
        seen |= {zh, en}
        out.append(Company(zh=zh, en=en, legal=f"{rng.choice(CITIES)}{core}科技有限公司"))
    return out


def mention_counts(n_companies: int, total: int, rng: random.Random) -> list[int]:
    """Zipf-like counts summing to `total`, each in [1, MAX_PER_COMPANY]."""
    weights = [1 / (rank + 1) ** ZIPF_EXPONENT for rank in range(n_companies)]
    scale = (total - n_companies) / sum(weights)
    counts = [min(MAX_PER_COMPANY, 1 + int(w * scale)) for w in weights]
    while sum(counts) < total:
        i = rng.randrange(n_companies)
        if counts[i] < MAX_PER_COMPANY:
            counts[i] += 1
    while sum(counts) > total:
        i = rng.randrange(n_companies)
        if counts[i] > 1:
            counts[i] -= 1
    return counts


def amount_variant(cny: Decimal, currency: str, rng: random.Random) -> dict[str, object]:
    """The same round amount as one outlet writes it: exact, rounded down with 超, vague, or undisclosed."""
    rate = RATES[currency]
    value = (cny / rate).quantize(Decimal(1))
    kind = rng.random()
    if kind < 0.55:
        return {"amount": value, "currency": currency, "amount_text": f"{value} {currency}",
                "amount_cny": cny, "fx_rate": rate}
    if kind < 0.75:
        low = Decimal(10) ** (len(str(value)) - 1)
        return {"amount_min": low, "currency": currency, "amount_text": f"超{low}{currency}",
                "amount_cny_min": low * rate, "fx_rate": rate}
    if kind < 0.9:
        low = Decimal(10) ** (len(str(int(cny))) - 1)
        return {"amount_min": low, "amount_max": low * 10, "currency": "CNY", "amount_text": "数千万元",
                "amount_cny_min": low, "amount_cny_max": low * 10, "fx_rate": Decimal(1)}
    return {"amount_text": "undisclosed", "undisclosed": True}


def synthetic_reports(total: int, n_companies: int, seed: int = SEED) -> list[Report]:
    """`total` reports (one mention each) in order of publication."""
    rng = random.Random(seed)
    companies = company_names(n_companies, rng)
    reports: list[Report] = []
    span = (END - START).days
    for ci, (company, count) in enumerate(zip(companies, mention_counts(n_companies, total, rng), strict=True)):
        per_event = [rng.choice((1, 1, 2, 2, 3, 4)) for _ in range(count)]
        sizes: list[int] = []
        while sum(sizes) < count:
            sizes.append(min(per_event[len(sizes)], count - sum(sizes)))
        days = sorted(rng.sample(range(span), len(sizes)))
        rung = rng.randrange(4)
        for ei, (size, day) in enumerate(zip(sizes, days, strict=True)):
            round_ = LADDER[min(rung + ei, len(LADDER) - 1)]
            cny = Decimal(rng.choice((5, 8, 10, 20, 30, 50, 100, 200, 500))) * Decimal(10) ** rng.choice((6, 7, 8))
            date = START + dt.timedelta(days=day)
            currency = rng.choice(CURRENCIES)
            for ri in range(size):
                lang = rng.choice(("zh", "zh", "en"))
                published = date + dt.timedelta(days=rng.randrange(6))
                form = rng.random()
                if lang == "en":
                    name, aliases = company.en, ((company.zh,) if form < 0.2 else ())
                elif form < 0.15:
                    name, aliases = company.zh, (company.en,)
                elif form < 0.3:
                    name, aliases = company.legal, ()
                else:
                    name, aliases = company.zh, ()
                event = FundingEvent(
                    company=name, company_aliases=aliases, round=round_ if rng.random() > 0.2 else None,
                    date=published if ri else date, date_precision="day", lead_investors=("启明创投",),
                    investors=("启明创投", "红杉中国"), status=Status.CLOSED, evidence=f"{name} 完成融资",
                    confidence=0.8, **amount_variant(cny, currency, rng))  # type: ignore[arg-type]
                url = f"https://bench.example/{ci}/{ei}/{ri}"
                page = ParsedPage(url=url, title=f"{name}完成融资", lang=lang, text=event.evidence,
                                  published=dt.datetime.combine(published, dt.time(9), tzinfo=dt.UTC))
                reports.append(Report(page=page, event=event))
    reports.sort(key=lambda r: (r.page.published, r.page.url))
    return reports


def store_articles(store: Store, reports: Sequence[Report], batch: int = 2_000) -> list[int]:
    ids: list[int] = []
    for i in range(0, len(reports), batch):
        ids += store.add_inline_articles("bench", [r.page for r in reports[i:i + batch]])
    return ids


def merge_incremental(store: Store, ids: Sequence[int], reports: Sequence[Report]) -> None:
    for article_id, report in zip(ids, reports, strict=True):
        apply_extraction(store, article_id, VERSION, [report.event])


def merge_bulk(store: Store, ids: Sequence[int], reports: Sequence[Report], batch: int = 5_000) -> None:
    """apply_extraction's stages 1-2 per article, stage 3 (re-clustering) once per company at the end."""
    touched: set[int] = set()
    for i in range(0, len(ids), batch):
        with store.transaction() as conn:
            for article_id, report in zip(ids[i:i + batch], reports[i:i + batch], strict=True):
                event = report.event
                key = company_key(event.company) or event.company.casefold()
                company = store.company_id(conn, key, event.company)
                for alias in event.company_aliases:
                    alias_key = company_key(alias)
                    if alias_key and alias_key != key:
                        other = store.link_alias(conn, company, alias_key, alias, "article")
                        if other is not None:
                            store.merge_companies(conn, company, other)
                            touched.discard(other)
                touched |= store.replace_mentions(conn, article_id, VERSION, [(event, company)])
    live = {int(r[0]) for r in store.conn.execute("SELECT id FROM companies")}
    with store.transaction() as conn:
        for company in sorted(touched & live):
            store.replace_events(conn, company, cluster_events(store.mentions_of_company(conn, company)))


def grouping(store: Store) -> set[frozenset[str]]:
    rows = store.conn.execute("SELECT em.event_id, a.url FROM event_mentions em JOIN mentions m"
                              " ON m.id = em.mention_id JOIN articles a ON a.id = m.article_id").fetchall()
    groups: dict[str, set[str]] = {}
    for event, url in rows:
        groups.setdefault(event, set()).add(url)
    return {frozenset(g) for g in groups.values()}


def run_once(reports: Sequence[Report], sample: int, *, quick: bool) -> dict[str, object]:
    """One fresh database: store the articles, merge (bulk, then incremental for the sample)."""
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        ids = store_articles(store, reports)
        t1 = time.perf_counter()
        head = len(reports) if quick else len(reports) - sample
        merge_bulk(store, ids[:head], reports[:head])
        t2 = time.perf_counter()
        out: dict[str, object] = {"store_articles_s": t1 - t0, "bulk_s": t2 - t1, "bulk_mentions": head}
        if quick:
            bulk_groups = grouping(store)
            store.close()
            store = Store.open(Path(tmp) / "incremental.db")
            ids = store_articles(store, reports)
            t2 = time.perf_counter()
            merge_incremental(store, ids, reports)
            out.update(incremental_mentions=len(reports), same_grouping=grouping(store) == bulk_groups)
        else:
            merge_incremental(store, ids[head:], reports[head:])
            out.update(incremental_mentions=sample)
        out["incremental_s"] = time.perf_counter() - t2
        counts = store.conn.execute("SELECT (SELECT count(*) FROM mentions), (SELECT count(*) FROM events),"
                                    " (SELECT count(*) FROM companies)").fetchone()
        out.update(mentions=counts[0], events=counts[1], companies=counts[2])
        store.close()
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="5,000 mentions of 1,000 companies")
    parser.add_argument("--mentions", type=int, help="mentions in all (default 100,000; 5,000 with --quick)")
    parser.add_argument("--runs", type=int, help="timed runs, median reported (default 3; 1 for the full size)")
    parser.add_argument("--sample", type=int, default=1_000, help="articles merged one by one at the end")
    parser.add_argument("--no-tracemalloc", action="store_true", help="skip the extra traced run")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    total = args.mentions or (5_000 if args.quick else 100_000)
    n_companies = max(1, total // 5)
    runs = args.runs or (3 if args.quick else 1)

    t = time.perf_counter()
    reports = synthetic_reports(total, n_companies)
    generate_s = time.perf_counter() - t
    results = []
    for _ in range(runs):
        gc.collect()
        results.append(run_once(reports, args.sample, quick=args.quick))
    peak_mib = None
    if not args.no_tracemalloc:
        tracemalloc.start()
        run_once(reports, args.sample, quick=args.quick)
        peak_mib = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()

    def med(key: str) -> float:
        return statistics.median(float(r[key]) for r in results)  # type: ignore[arg-type]

    last = results[-1]
    figures = {
        "mentions": total, "companies_generated": n_companies, "runs": runs, "generate_s": round(generate_s, 2),
        "store_articles_s": round(med("store_articles_s"), 2),
        "bulk_mentions": last["bulk_mentions"], "bulk_s": round(med("bulk_s"), 2),
        "bulk_mentions_per_s": round(float(last["bulk_mentions"]) / med("bulk_s"), 1),  # type: ignore[arg-type]
        "incremental_mentions": last["incremental_mentions"], "incremental_s": round(med("incremental_s"), 2),
        "incremental_mentions_per_s": round(float(last["incremental_mentions"]) / med("incremental_s"), 1),  # type: ignore[arg-type]
        "events": last["events"], "companies": last["companies"],
        "same_grouping_bulk_vs_incremental": last.get("same_grouping"),
        "tracemalloc_peak_mib": round(peak_mib, 1) if peak_mib is not None else None,
        "ru_maxrss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:36} {value}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
