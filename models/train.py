"""Rebuild the trained pipelines: ``python -m models.train zh [--quick] [--out DIR]``.

Stages for ``zh``:
1. read the training sources from ``../shared/data`` (see ``models/zh_data.py``) and write
   ``train.spacy`` / ``dev.spacy`` (CLUENER dev, labels mapped) into a work folder;
2. train with ``models/zh.cfg`` (fixed seed);
3. copy the best model to ``--out`` (default ``models/zh``; ``/tmp/fundwire-zh-quick`` with
   ``--quick``) and record its scores in ``meta.json``: CLUENER dev P/R/F per label, recall of
   the gold company/investor names of the evaluation sets (measurement only, never training
   data), and sentences per second on one core.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import spacy
from spacy.cli.train import train as spacy_train
from spacy.language import Language
from spacy.tokens import DocBin
from spacy.training import Example

from models import zh_data

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
SEED = 17

NEWS_FILES = ("finvest_zh_2017_2019_a.jsonl", "ai_newsflashes_zh_2026.jsonl", "ai_news_posts_zh_2026.jsonl",
              "36kr_newsflash_zh_2026.json", "36kr_homepage_zh_2018.jsonl")
FEWFC_FILES = ("full/train_base.json", "full/test_base.json", "full/train_trans.json", "full/test_trans.json",
               "fewfc_investment_events.jsonl")
GOLD_FILES = ("duee_fin_dev_a.jsonl", "zh_feed_gold.jsonl")
SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")


def gold_names(path: Path) -> list[tuple[str, list[str]]]:
    """(text, names) per gold document: funded companies and investors that occur in the text."""
    docs = []
    for line in path.open(encoding="utf-8"):
        row = json.loads(line)
        text = f"{row.get('title') or ''}\n{row['text']}"
        names = {n for e in row.get("events", []) for k in ("company", "investors", "lead_investors")
                 for n in e.get(k) or [] if n and n in text}
        if names:
            docs.append((text, sorted(names)))
    return docs


def name_recall(nlp: Language, path: Path) -> dict[str, float | int]:
    """Share of gold names that the NER finds as an ORG span, exactly or overlapping, somewhere in the text."""
    exact = overlap = total = 0
    for text, names in gold_names(path):
        sentences = [s for s in SENTENCE.findall(text) if any(n in s for n in names)]
        found_exact: set[str] = set()
        found_overlap: set[str] = set()
        for doc in nlp.pipe(sentences):
            orgs = [(e.start_char, e.end_char) for e in doc.ents if e.label_ in ("ORG", "GOV")]
            orgs_exact = {e.text for e in doc.ents if e.label_ == "ORG"}
            for name in names:
                if name in orgs_exact:
                    found_exact.add(name)
                for m in re.finditer(re.escape(name), doc.text):
                    if any(s < m.end() and m.start() < e for s, e in orgs):
                        found_overlap.add(name)
        total += len(names)
        exact += len(found_exact)
        overlap += len(found_overlap)
    return {"names": total, "org_exact": round(exact / total, 3), "org_or_gov_overlap": round(overlap / total, 3)}


def speed(nlp: Language, sentences: list[str]) -> dict[str, float]:
    """Sentences and characters per second, one process, after a warm-up."""
    list(nlp.pipe(sentences[:50]))
    start = time.perf_counter()
    for _ in nlp.pipe(sentences, batch_size=256):
        pass
    seconds = time.perf_counter() - start
    chars = sum(len(s) for s in sentences)
    return {"sentences_per_s": round(len(sentences) / seconds), "chars_per_s": round(chars / seconds),
            "mean_chars": round(chars / len(sentences), 1)}


def training_material(quick: bool) -> tuple[list[Any], list[Any], dict[str, int]]:
    """(train, dev, counts): the annotated training items in a seeded shuffle, CLUENER dev held out,
    and what came from where. Shared with models.train_transformer, so both models learn the same."""
    cluener = list(zh_data.read_cluener(SHARED / "cluener" / "train.json"))
    fewfc = list(zh_data.read_fewfc(SHARED / "fewfc" / f for f in FEWFC_FILES))
    weak, orgs, _ = zh_data.weak_news(SHARED / "news" / f for f in NEWS_FILES)
    investors = {n for n in orgs if zh_data.ORG_SUFFIX.search(n)}
    # Measurement sets are never training data: keep their names out of the written sentences too.
    exclude = {n for f in GOLD_FILES if (SHARED / "eval" / f).exists()
               for _, names in gold_names(SHARED / "eval" / f) for n in names}
    written = zh_data.synthetic(4000, orgs - investors, investors, seed=SEED, exclude=exclude)
    dev = list(zh_data.read_cluener(SHARED / "cluener" / "dev.json"))
    if quick:
        cluener, fewfc, weak, written, dev = cluener[:800], fewfc[:400], weak[:300], written[:300], dev[:300]
    counts = {"cluener_train": len(cluener), "fewfc_partial": len(fewfc), "news_weak_partial": len(weak),
              "news_weak_names": len(orgs), "project_written": len(written), "cluener_dev": len(dev)}
    train = cluener + fewfc + weak + written
    random.Random(SEED).shuffle(train)
    return train, dev, counts


def build_corpus(work: Path, quick: bool) -> dict[str, int]:
    nlp = spacy.blank("zh")
    items, dev_items, counts = training_material(quick)
    train = DocBin(store_user_data=False)
    for item in items:
        doc = zh_data.to_doc(nlp, item)
        if doc is not None:
            train.add(doc)
    train.to_disk(work / "train.spacy")
    dev = DocBin()
    for item in dev_items:
        dev.add(zh_data.to_doc(nlp, item))
    dev.to_disk(work / "dev.spacy")
    return counts


def evaluate(model_dir: Path, quick: bool) -> dict[str, object]:
    nlp = spacy.load(model_dir)
    dev_docs = list(DocBin().from_disk(model_dir.parent / "_work" / "dev.spacy").get_docs(nlp.vocab)) \
        if (model_dir.parent / "_work").exists() else []
    scores: dict[str, object] = {}
    if dev_docs:
        examples = [Example(nlp.make_doc(d.text), d) for d in dev_docs]
        s = nlp.evaluate(examples)
        scores["cluener_dev"] = {"p": round(s["ents_p"], 3), "r": round(s["ents_r"], 3), "f": round(s["ents_f"], 3),
                                 "per_type": {k: {m: round(v, 3) for m, v in d.items()}
                                              for k, d in s["ents_per_type"].items()}}
    for f in GOLD_FILES:
        if (SHARED / "eval" / f).exists():
            scores[f"gold_name_recall:{f}"] = name_recall(nlp, SHARED / "eval" / f)
    dev_text = [d.text for d in dev_docs] or ["由红杉中国领投，IDG资本跟投。"] * 500
    funding = [s for t, _ in zh_data.read_news(SHARED / "news" / NEWS_FILES[0])
               for s in SENTENCE.findall(t) if "融资" in s][: 300 if quick else 2000]
    scores["speed_cluener_dev"] = speed(nlp, dev_text)
    if funding:
        scores["speed_funding_sentences"] = speed(nlp, funding)
    return scores


def _forget_training_paths(config: Path) -> None:
    """The temporary corpus paths mean nothing outside this run; loading never reads them."""
    text = config.read_text(encoding="utf-8")
    config.write_text(re.sub(r'^(train|dev) = ".*"$', r"\1 = null", text, flags=re.MULTILINE), encoding="utf-8")


def train_zh(out: Path, quick: bool) -> dict[str, object]:
    tmp = Path(tempfile.mkdtemp(prefix="fundwire-zh-"))
    work = tmp / "_work"
    work.mkdir()
    started = time.perf_counter()
    counts = build_corpus(work, quick)
    print("corpus:", json.dumps(counts), f"({time.perf_counter() - started:.0f}s)", flush=True)
    overrides = {"paths.train": str(work / "train.spacy"), "paths.dev": str(work / "dev.spacy")}
    if quick:
        overrides.update({"training.max_steps": 200, "training.eval_frequency": 100})
    spacy_train(HERE / "zh.cfg", tmp / "output", overrides=overrides)
    best = tmp / "model-best"
    shutil.move(str(tmp / "output" / "model-best"), best)
    train_seconds = round(time.perf_counter() - started)
    scores = evaluate(best, quick)
    nlp = spacy.load(best)
    nlp.meta.update({
        "name": "fundwire_zh_ner", "version": "0.1.0", "license": "CC BY-SA 4.0",
        "author": "fundwire", "description": "Character-level Chinese NER (ORG, PER, GOV) for funding news; "
        "see models/CARD-zh.md",
        "sources": [{"name": "CLUENER2020", "url": "https://github.com/CLUEbenchmark/CLUENER2020"},
                    {"name": "FewFC (CCKS 2020)", "url": "https://github.com/TimeBurningFish/FewFC",
                     "license": "CC BY-SA 4.0"},
                    {"name": "weak labels on ../shared/data/news (fundwire rules)"},
                    {"name": "fundwire-written template sentences"}],
        "fundwire": {"corpus": counts, "scores": scores, "train_seconds": train_seconds, "quick": quick},
    })
    if out.exists():
        shutil.rmtree(out)
    nlp.to_disk(out)
    _forget_training_paths(out / "config.cfg")
    shutil.rmtree(tmp)
    return nlp.meta["fundwire"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.train", description=__doc__.split("\n")[0])
    parser.add_argument("lang", choices=["zh"])
    parser.add_argument("--quick", action="store_true", help="small smoke run (a minute), not for shipping")
    parser.add_argument("--out", type=Path, help="output directory (default models/zh; a temp dir with --quick)")
    args = parser.parse_args(argv)
    if not SHARED.exists():
        parser.error(f"training data not found at {SHARED}")
    out = args.out or (Path(tempfile.gettempdir()) / "fundwire-zh-quick" if args.quick else HERE / args.lang)
    report = train_zh(out, args.quick)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    print(f"saved to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
