"""Throughput of the extractor: articles per second on one core, for a news mix and for funding briefs.

    .venv/bin/python bench/bench_extract.py [--runs 5] [--quick] [--json] [--spec spacy]

Corpora, read in place from ../shared/data/news (nothing is copied):
- mix: every article of the general news files (36kr long reads 2020, AI news zh/en 2026, the 36kr
  newsflash feed, a TechCrunch digest) plus the funding briefs (finvest zh 2017-2019, TechCrunch
  listing excerpts 2024), so most of it is not about funding, as in a crawl;
- funding: the finvest items whose title names a round (the file also carries IPO and market news)
  and the English items whose title says a company raised money.

Figures: articles/s as the median of --runs passes over the whole corpus (the process is
single-threaded: one core), p50/p95 per-article latency over all passes, and a baseline measured
in the same run on the same articles: reading the JSON line into an Article and splitting it into
sentences (`extractor.segment.sentences`); the ratio is extractor time / baseline time. Model load
(Extractor.load plus the first zh and en extraction, which load the spaCy pipelines lazily) is
timed once and kept out of the throughput. Peak memory: tracemalloc's peak over one extra pass of
the mix (traced, so slower and not timed) and the process's ru_maxrss. The targets of issue 4 are
printed beside the figures; speed never makes the script fail.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.utils
import gc
import json
import platform
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor import cues
from extractor.pipeline import Extractor
from extractor.records import Article
from extractor.segment import detect_lang, sentences

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
NEWS = SHARED / "data" / "news"
TARGET_MIX = 500.0
TARGET_FUNDING = 50.0

GENERAL = ["36kr_articles_2020_*.jsonl", "ai_news_posts_zh_2026.jsonl", "ai_news_posts_en_2026.jsonl",
           "36kr_newsflash_zh_2026.json", "techcrunch_digest_en_2026_a.jsonl"]
FUNDING_ZH = ["finvest_zh_2017_2019_a.jsonl"]
FUNDING_EN = ["listing_excerpts_en_2024_a.jsonl"]
# The finvest file also carries general finance news (IPOs, index changes): its funding items are
# those whose title names a round or an investment received.
ZH_FUNDING_TITLE = re.compile(r"融资|领投|跟投|[A-HＡ-Ｈ天种]\s*[+＋]?\s*轮|战略投资|获.{0,20}投资")
# English items that are about a round: the title says so (the general files are searched too).
EN_FUNDING_TITLE = re.compile(r"(?i)\b(?:rais(?:es|ed|ing)\b.*[$€£]|funding|series [a-h]\b|seed round|pre-seed|"
                              r"(?:led|backed) by\b.*[$€£]|[$€£]\s?\d[\d.,]*\s?(?:m|b|million|billion)\b.*round)")


@dataclass(frozen=True, slots=True)
class Item:
    """One article and the JSON line it came from (the baseline re-parses the line)."""

    raw: str
    article: Article


def _date(value: object) -> dt.date | None:
    """ISO-ish ("2018-07-25 09:56:00", "2026-03-28T00:00:00.000Z"), RFC 2822, or "Oct 25, 2024"."""
    if not isinstance(value, str) or not value.strip():
        return None
    s = value.strip()
    if re.match(r"\d{4}-\d{2}-\d{2}", s):
        return dt.date.fromisoformat(s[:10])
    try:
        return email.utils.parsedate_to_datetime(s).date()
    except (TypeError, ValueError):
        pass
    try:
        return dt.datetime.strptime(s, "%b %d, %Y").date()
    except ValueError:
        return None


def to_article(row: dict[str, object], ident: str) -> Article:
    """One news row in any of the files' shapes -> Article (lang from the script, as a crawl would)."""
    title = row.get("title") if isinstance(row.get("title"), str) else None
    text = next((v for k in ("text", "content", "desc") if isinstance(v := row.get(k), str)), "")
    date = next((d for k in ("date", "published", "ts") if (d := _date(row.get(k)))), None)
    url = next((v for k in ("url", "link") if isinstance(v := row.get(k), str)), None)
    return Article(id=ident, text=text, title=title, published=date,
                   lang=detect_lang((title or "") + text), url=url)


def _rows(path: Path) -> Iterator[str]:
    """Each article of a file as one JSON string (.jsonl lines; the newsflash feed's two lists)."""
    if path.suffix == ".jsonl":
        yield from (line for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        return
    data = json.loads(path.read_text(encoding="utf-8"))
    for key in ("articles", "flash"):
        yield from (json.dumps(row, ensure_ascii=False) for row in data.get(key, []))


def load_items(patterns: list[str]) -> list[Item]:
    items = []
    for pattern in patterns:
        for path in sorted(NEWS.glob(pattern)):
            for n, raw in enumerate(_rows(path)):
                items.append(Item(raw, to_article(json.loads(raw), f"{path.stem}:{n}")))
    return items


def corpora() -> tuple[list[Item], list[Item], dict[str, int]]:
    general = load_items(GENERAL)
    funding_zh = load_items(FUNDING_ZH)
    listing = load_items(FUNDING_EN)
    mix = general + funding_zh + listing
    zh = [i for i in funding_zh if ZH_FUNDING_TITLE.search(i.article.title or "")]
    en = [i for i in listing + general if i.article.lang == "en" and EN_FUNDING_TITLE.search(i.article.title or "")]
    funding = zh + en
    sizes = {"general": len(general), "finvest_zh": len(funding_zh), "listing_en": len(listing),
             "funding_zh": len(zh), "funding_en": len(en)}
    return mix, funding, sizes


def first_pass_share(items: list[Item]) -> float:
    """Share of articles the pipeline's cheap regex gate lets through to sentence and NER work."""
    hits = sum(bool(cues.FIRST_PASS[i.article.lang or "en"].search((i.article.title or "") + "\n" + i.article.text))
               for i in items)
    return hits / len(items) if items else 0.0


def baseline_one(item: Item) -> object:
    """What any pass over the corpus costs: parse the line into an Article and split its sentences."""
    article = to_article(json.loads(item.raw), item.article.id)
    return sentences(article.text, article.lang or "en")


def timed_pass(fn: Callable[[Item], object], items: list[Item], latencies: list[float] | None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one pass; CPU well under wall means the machine was busy."""
    clock = time.perf_counter
    cpu0, start = time.process_time(), clock()
    for item in items:
        t0 = clock()
        fn(item)
        if latencies is not None:
            latencies.append(clock() - t0)
    return clock() - start, time.process_time() - cpu0


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def measure(extractor: Extractor, items: list[Item], runs: int) -> dict[str, float]:
    """Median over runs of extractor and baseline passes, interleaved so drift hits both alike."""
    ext_secs, ext_cpu, base_secs = [], [], []
    latencies: list[float] = []
    for _ in range(runs):
        gc.collect()
        base_secs.append(timed_pass(baseline_one, items, None)[0])
        gc.collect()
        wall, cpu = timed_pass(lambda i: extractor.extract(i.article), items, latencies)
        ext_secs.append(wall)
        ext_cpu.append(cpu)
    events = sum(len(extractor.extract(i.article)) for i in items)
    ext, base = statistics.median(ext_secs), statistics.median(base_secs)
    return {"articles": len(items), "chars": sum(len(i.article.text) + len(i.article.title or "") for i in items),
            "events": events, "median_s": ext, "articles_per_s": len(items) / ext,
            "min_s": min(ext_secs), "max_s": max(ext_secs), "cpu_median_s": statistics.median(ext_cpu),
            "cpu_articles_per_s": len(items) / statistics.median(ext_cpu),
            "p50_ms": _quantile(latencies, 0.50) * 1e3, "p95_ms": _quantile(latencies, 0.95) * 1e3,
            "baseline_median_s": base, "baseline_articles_per_s": len(items) / base,
            "ratio_vs_baseline": ext / base, "first_pass_share": first_pass_share(items)}


def peak_memory(extractor: Extractor, items: list[Item]) -> dict[str, float]:
    tracemalloc.start()
    for item in items:
        extractor.extract(item.article)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is bytes on macOS, KiB on Linux
    return {"tracemalloc_peak_mib": peak / 2**20,
            "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 2**20}


def _quick_sample(items: list[Item], n: int) -> list[Item]:
    step = max(1, len(items) // n)
    return items[::step][:n]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="timed passes per corpus (median reported)")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 pass over ~200 mix / ~50 funding articles")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--spec", default="spacy", help="NER backend given to Extractor.load")
    args = ap.parse_args()
    if not NEWS.is_dir():
        sys.exit(f"bench_extract: {NEWS} not found; this benchmark reads the shared news files "
                 f"(a ../shared checkout next to the repository)")
    runs = 1 if args.quick else max(1, args.runs)

    mix, funding, sizes = corpora()
    sizes = {**sizes, "full_mix": len(mix), "full_funding": len(funding)}
    if args.quick:
        mix, funding = _quick_sample(mix, 200), _quick_sample(funding, 50)

    t0 = time.perf_counter()
    extractor = Extractor.load(args.spec)
    for lang in ("zh", "en"):  # the spaCy pipelines load on first use
        warm = next(i for i in funding if i.article.lang == lang)
        extractor.extract(warm.article)
    load_s = time.perf_counter() - t0

    result = {
        "python": platform.python_version(), "machine": platform.machine(), "spec": args.spec,
        "version": extractor.version, "runs": runs, "quick": args.quick, "threads": "one core (single-threaded)",
        "corpus_sizes": {**sizes, "mix": len(mix), "funding": len(funding)},
        "load_s": load_s,
        "mix": measure(extractor, mix, runs),
        "funding": measure(extractor, funding, runs),
        "memory": peak_memory(extractor, mix),
        "targets": {"mix_articles_per_s": TARGET_MIX, "funding_articles_per_s": TARGET_FUNDING},
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)


def report(r: dict) -> None:
    s = r["corpus_sizes"]
    print(f"extractor {r['version']} · Python {r['python']} {r['machine']} · {r['threads']} · "
          f"median of {r['runs']} run(s){' · QUICK' if r['quick'] else ''}")
    print(f"corpus: mix {s['full_mix']} articles ({s['general']} general news + {s['finvest_zh']} finvest zh briefs + "
          f"{s['listing_en']} TechCrunch listing excerpts); funding {s['full_funding']} "
          f"({s['funding_zh']} zh finvest + {s['funding_en']} en, chosen by title)"
          + (f"; QUICK: an even sample of {s['mix']} / {s['funding']}" if r["quick"] else ""))
    if "zh-none" in r["version"]:
        print("NOTE: no trained Chinese model in models/zh: zh articles run the rules without NER, "
              "so zh figures will drop once the model ships")
    print(f"model load (Extractor.load + first zh/en extraction): {r['load_s']:.2f} s, not in the figures below")
    print()
    head = (f"{'corpus':<9}{'articles':>9}{'1st pass':>9}{'events':>7}{'median s':>10}{'art/s':>9}"
            f"{'p50 ms':>8}{'p95 ms':>8}{'base art/s':>12}{'x base':>8}{'target':>8}  verdict")
    print(head)
    print("-" * len(head))
    for name, target in (("mix", r["targets"]["mix_articles_per_s"]),
                         ("funding", r["targets"]["funding_articles_per_s"])):
        m = r[name]
        verdict = ("PASS" if m["articles_per_s"] >= target else "BELOW") + (" (quick: smoke only)" if r["quick"] else "")
        print(f"{name:<9}{m['articles']:>9}{m['first_pass_share']:>9.0%}{m['events']:>7}{m['median_s']:>10.3f}"
              f"{m['articles_per_s']:>9.1f}{m['p50_ms']:>8.2f}{m['p95_ms']:>8.2f}"
              f"{m['baseline_articles_per_s']:>12,.0f}{m['ratio_vs_baseline']:>8.1f}{target:>8.0f}  {verdict}")
    mem = r["memory"]
    busy = [n for n in ("mix", "funding") if r[n]["cpu_median_s"] < 0.9 * r[n]["median_s"]]
    if busy:
        cpu = ", ".join(f"{n} {r[n]['cpu_articles_per_s']:.0f}/s" for n in busy)
        print(f"NOTE: the machine was busy (CPU time under 90% of wall time), so wall-clock figures understate "
              f"the extractor; by CPU time: {cpu}")
    print()
    print("1st pass = share of articles the cheap regex gate lets through; x base = extractor time / baseline "
          "(parse the JSON line + split sentences) on the same articles, same run")
    print(f"peak memory over the mix: tracemalloc {mem['tracemalloc_peak_mib']:.1f} MiB (Python allocations "
          f"during extraction, models already loaded); ru_maxrss {mem['ru_maxrss_mib']:.0f} MiB (whole process)")


if __name__ == "__main__":
    main()
