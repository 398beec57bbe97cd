"""Throughput of the normalisation layer: values normalised per second.

    .venv/bin/python bench/bench_normalise.py [--repeat 5]

Inputs: the amount and round cells of ../shared/data/structured/*.csv and the eval gold, and the
sentences of ../shared/data/news/finvest_zh_2017_2019_a.jsonl (Chinese funding briefs) for the
finders; built-in samples when ../shared is absent. Prints the median of several repetitions.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from extractor.companies import company_key
from extractor.dates import find_dates
from extractor.fx import to_cny
from extractor.money import find_amounts, parse_amount
from extractor.rounds import canonical_round, find_rounds

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PUB = datetime.date(2018, 7, 25)

SAMPLE_AMOUNTS = ["2.5亿美元", "数千万元", "近亿元", "$8.5 million", "Rs 20 crore", "20,00,00,000", "undisclosed",
                  "1-2亿元", "超过2.9亿美元", "US$30m"]
SAMPLE_ROUNDS = ["Series B", "天使轮", "Pre-A+轮", "Seed/ Angel Funding", "Private Equity", "debt_round", "C ＋"]
SAMPLE_SENTENCES = ["聚芯微电子宣布完成数千万元A轮融资，该轮投资由五岳华诺于2017年联合完成。",
                    "NYC-based GreenLite raised a $28.5 million Series B on Tuesday, led by Accel.",
                    "7月25日消息，ScaleFactor获1000万美元A轮融资，此前曾获得千万级Pre-A轮融资。"]
SAMPLE_NAMES = ["北京字节跳动科技有限公司", "ByteDance Ltd.", "Shopee Pte. Ltd.", "月之暗面"]


def _inputs() -> tuple[list[str], list[str], list[str], list[str]]:
    amounts, rounds, sentences, names = [], [], [], []
    if not DATA.exists():
        return SAMPLE_AMOUNTS * 200, SAMPLE_ROUNDS * 200, SAMPLE_SENTENCES * 300, SAMPLE_NAMES * 300
    with (DATA / "structured" / "TechCrunchcontinentalUSA.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            amounts.append(r["raisedAmt"])
            rounds.append(r["round"])
            names.append(r["company"])
    with (DATA / "structured" / "india_startup_funding_2015_2020.csv").open(encoding="cp1252", newline="") as f:
        for r in csv.DictReader(f):
            amounts.append(r["AmountInUSD"])
            rounds.append(r["InvestmentType"])
            names.append(r["StartupName"])
    for gold in (DATA / "eval").glob("*.jsonl"):
        for line in gold.open(encoding="utf-8"):
            for e in json.loads(line)["events"]:
                amounts += [e["amount_text"]] if e.get("amount_text") else []
                rounds += [e["round_text"]] if e.get("round_text") else []
                names += e.get("company") or []
    for line in (DATA / "news" / "finvest_zh_2017_2019_a.jsonl").open(encoding="utf-8"):
        text = json.loads(line)["text"]
        sentences += [s for s in re.split(r"(?<=[。！？\n])", text) if s.strip()]
    return amounts, rounds, sentences, names


def _time(fn: Callable[[str], object], items: list[str], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for x in items:
            fn(x)
        runs.append(time.perf_counter() - t0)
    return statistics.median(runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    amounts, rounds, sentences, names = _inputs()
    parsed = [a for a in (parse_amount(x, default_currency="USD") for x in amounts) if a is not None]
    t0 = time.perf_counter()
    to_cny(parsed[0], PUB)
    print(f"fx converter built once in {time.perf_counter() - t0:.2f} s")
    chars = sum(map(len, sentences))
    cases: list[tuple[str, Callable[[str], object], list[str]]] = [
        ("parse_amount", lambda x: parse_amount(x, default_currency="USD"), amounts),
        ("canonical_round", canonical_round, rounds),
        ("company_key", company_key, names),
        ("find_amounts (sentence)", find_amounts, sentences),
        ("find_rounds (sentence)", find_rounds, sentences),
        ("find_dates (sentence)", lambda s: find_dates(s, PUB), sentences),
    ]
    print(f"{len(amounts)} amounts, {len(rounds)} rounds, {len(names)} names, {len(sentences)} sentences "
          f"({chars} chars); median of {args.repeat}")
    print(f"{'function':<26}{'items':>8}{'median s':>11}{'items/s':>12}{'µs/item':>10}")
    for name, fn, items in cases:
        secs = _time(fn, items, args.repeat)
        print(f"{name:<26}{len(items):>8}{secs:>11.4f}{len(items) / secs:>12,.0f}{secs / len(items) * 1e6:>10.1f}")
    conv = [a for a in parsed if a.currency][:2000]
    secs = _time(lambda _: [to_cny(a, PUB) for a in conv], ["x"], args.repeat)
    print(f"{'to_cny':<26}{len(conv):>8}{secs:>11.4f}{len(conv) / secs:>12,.0f}{secs / len(conv) * 1e6:>10.1f}")


if __name__ == "__main__":
    main()
