"""What the transformers NER backend costs on the CPU, with the tiny test BERT (not a real checkpoint).

    .venv/bin/python bench/bench_transformers.py [--runs 3] [--threads 1] [--json]

The model is the one the tests build (`tests/test_transformers_backend.py`: hidden 32, 2 layers,
2 heads, 24 positions), its vocabulary widened to every character of the corpus and fine-tuned
for 100 steps, run with one torch thread by default, so the figures are the backend's own overhead (tokenising, windowing, batching,
merging) plus a very small network: a BERT-base costs far more per window.

Figures, each the median of --runs:
- load: `Extractor.load("transformers:DIR")` in a fresh process, imports of torch and
  transformers included (what `fundwire extract --ner transformers:DIR` pays once), and the same
  in a warm process (imports done);
- articles/s through `Extractor.extract` (candidate sentences only go to the NER) on the funding
  corpus of `bench/bench_extract.py` (../shared/data/news), and on its news mix;
- NER sentences/s: the backend alone on those articles' candidate sentences.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import torch
import transformers
from bench_extract import NEWS, corpora

from extractor.pipeline import Extractor
from tests.test_transformers_backend import NO_NAMES, SENTENCES, fine_tuned, tiny_bert

LOAD = ("import time, sys; t = time.perf_counter(); from extractor.pipeline import Extractor; "
        "Extractor.load(sys.argv[1]); print(time.perf_counter() - t)")


def build_model(root: Path, texts: list[str]) -> Path:
    base = tiny_bert(root / "base", [s.text for s in [*SENTENCES, NO_NAMES]] + texts)
    return fine_tuned(base, root / "ner", steps=100)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    # One thread, as bench_extract.py: on a small or busy CPU, torch's own threads contend (seen
    # here on 2 shared cores: 17 articles/s with 2 threads, 76 with 1); 0 leaves torch's choice.
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (0: torch's own choice)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not NEWS.is_dir():
        parser.error(f"the news corpus is not at {NEWS}")
    if args.threads:
        torch.set_num_threads(args.threads)
    transformers.logging.set_verbosity_error()
    mix, funding, sizes = corpora()
    root = Path(tempfile.mkdtemp(prefix="fundwire-bench-tf-"))
    model = build_model(root, [i.article.text + (i.article.title or "") for i in mix + funding])
    spec = f"transformers:{model}"

    env = {**os.environ, "PYTHONPATH": str(REPO), "TRANSFORMERS_VERBOSITY": "error",
           **({"OMP_NUM_THREADS": str(args.threads)} if args.threads else {})}
    cold = [float(subprocess.run([sys.executable, "-c", LOAD, spec], capture_output=True, text=True, env=env,
                                 check=True, cwd=REPO).stdout.split()[-1]) for _ in range(args.runs)]
    warm = []
    for _ in range(args.runs):
        started = time.perf_counter()
        extractor = Extractor.load(spec)
        warm.append(time.perf_counter() - started)

    figures: dict[str, object] = {
        "torch": torch.__version__, "transformers": transformers.__version__, "threads": torch.get_num_threads(),
        "device": extractor.ner.device,  # type: ignore[attr-defined]
        "corpus": sizes, "load_cold_s": round(statistics.median(cold), 2),
        "load_warm_s": round(statistics.median(warm), 3)}
    for name, items in (("funding", funding), ("mix", mix)):
        articles = [i.article for i in items]
        for article in articles[:20]:
            extractor.extract(article)  # warm-up
        rates = []
        for _ in range(args.runs):
            started = time.perf_counter()
            for article in articles:
                extractor.extract(article)
            rates.append(len(articles) / (time.perf_counter() - started))
        figures[f"{name}_articles"] = len(articles)
        figures[f"{name}_articles_per_s"] = round(statistics.median(rates), 1)

    sentences = [s.text for i in funding for s, _ in extractor._candidates(
        (i.article.title or "").strip(), i.article.text, i.article.lang or "zh")]
    rates = []
    for _ in range(args.runs):
        started = time.perf_counter()
        extractor.ner.entities(sentences, "zh")
        rates.append(len(sentences) / (time.perf_counter() - started))
    figures["ner_sentences"] = len(sentences)
    figures["ner_sentences_per_s"] = round(statistics.median(rates), 1)

    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    else:
        for key, value in figures.items():
            print(f"{key:28} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
