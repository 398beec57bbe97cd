"""Fine-tune a local checkpoint for fundwire's NER: ``python -m models.train_transformer --base PATH --lang zh --out DIR``.

Stages:
1. read the same training material as the spaCy pipeline (``models/zh_data.py``, through the
   source lists of ``models/train.py``): CLUENER train (full), FewFC and weak news labels
   (partial: characters neither a name nor known O are ignored by the loss, as spaCy's "missing"),
   and the project's template sentences; CLUENER dev, labels mapped, is held out for scoring;
2. align the character spans to the base tokenizer's tokens by offset (a Chinese BERT has one
   token per character; a Latin word's pieces take the tag of the character they start with) and
   cut long sentences into overlapping windows, as the backend does at inference;
3. train a token-classification head and the encoder (AdamW, linear warm-up and decay, fixed
   seed) on CUDA when available, else the CPU;
4. save model and tokenizer to ``--out`` with ``CARD.md`` and ``training.json``: the data, its
   licences, the settings and the CLUENER dev P/R/F per label, measured through
   ``extractor.ner_transformers.TransformersNer`` (the code the pipeline runs).

Nothing is downloaded: the base is a directory the user has (``local_files_only=True``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from models import zh_data
from models.zh_data import Annotated

LABELS = ("O", "B-ORG", "I-ORG", "B-PER", "I-PER", "B-GOV", "I-GOV")
IGNORE = -100  # torch's cross-entropy ignore_index: a character whose tag is unknown


@dataclass(frozen=True, slots=True)
class Settings:
    """Training settings; the defaults suit a BERT-base on a GPU."""

    epochs: float = 2.0
    max_steps: int | None = None  # when set, replaces the epochs
    batch_size: int = 16
    learning_rate: float = 5e-5
    warmup: float = 0.1  # share of the steps
    weight_decay: float = 0.01
    max_length: int = 128  # tokens per window, special tokens included
    stride: int = 32  # tokens shared by neighbouring windows
    seed: int = 17


# 1. Data -----------------------------------------------------------------------------------------

def corpus(quick: bool) -> tuple[list[Annotated], list[Annotated], dict[str, int]]:
    """(train, dev, counts): the spaCy pipeline's training material, and CLUENER dev held out."""
    from models.train import training_material

    return training_material(quick)


# 2. Alignment ------------------------------------------------------------------------------------

def token_labels(item: Annotated, offsets: Sequence[tuple[int, int]]) -> list[int]:
    """A label id per token: B- where a name starts inside the token, I- inside a name, else O or IGNORE."""
    ents = zh_data._non_overlapping(item.ents)
    owner = [-1] * len(item.text)  # per character: the index of its name in `ents`
    o = LABELS.index("O")
    outside = [o if item.outside is None else IGNORE] * len(item.text)
    for s, e in item.outside or ():
        outside[max(0, s):max(0, e)] = [o] * len(outside[max(0, s):max(0, e)])
    starts: dict[int, str] = {}
    for k, (s, e, label) in enumerate(ents):
        while s < e and item.text[s].isspace():
            s += 1
        while e > s and item.text[e - 1].isspace():
            e -= 1
        if s < e:
            starts[s] = label
            for i in range(s, e):
                owner[i] = k
    labels = []
    for s, e in offsets:
        begun = next((starts[i] for i in range(s, e) if i in starts), None)
        if begun is not None:
            labels.append(LABELS.index(f"B-{begun}"))
        elif s < len(owner) and owner[s] >= 0:
            labels.append(LABELS.index(f"I-{ents[owner[s]][2]}"))
        else:
            labels.append(outside[s] if s < len(outside) else IGNORE)
    return labels


def encode(tokenizer: Any, items: Sequence[Annotated], settings: Settings) -> list[tuple[list[int], list[int]]]:
    """(input ids, label ids) per training window, special tokens labelled IGNORE."""
    from extractor.ner_transformers import _special_tokens, window_starts

    prefix, suffix = _special_tokens(tokenizer)
    content = settings.max_length - len(prefix) - len(suffix)
    stride = min(settings.stride, content // 2)  # a wider overlap only multiplies the windows
    encoded = tokenizer([it.text for it in items], add_special_tokens=False, return_offsets_mapping=True,
                        verbose=False)
    windows = []
    for item, ids, offsets in zip(items, encoded["input_ids"], encoded["offset_mapping"], strict=True):
        labels = token_labels(item, offsets)
        for s in window_starts(len(ids), content, stride) if ids else []:
            window_labels = labels[s:s + content]
            if all(x == IGNORE for x in window_labels):
                continue
            windows.append((prefix + ids[s:s + content] + suffix,
                            [IGNORE] * len(prefix) + window_labels + [IGNORE] * len(suffix)))
    return windows


# 3. Training -------------------------------------------------------------------------------------

def fine_tune(base: Path, out: Path, train: Sequence[Annotated], dev: Sequence[Annotated],
              settings: Settings = Settings(), *, counts: dict[str, int] | None = None,
              log: Any = print) -> dict[str, Any]:
    """Train from `base`, save to `out` with CARD.md and training.json; returns the report."""
    import torch
    from transformers import AutoModelForTokenClassification, AutoTokenizer

    random.seed(settings.seed)
    torch.manual_seed(settings.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(base, local_files_only=True)
    if not tokenizer.is_fast:
        raise SystemExit(f"error: the base at {base} needs a fast tokenizer (tokenizer.json) for character offsets")
    model = AutoModelForTokenClassification.from_pretrained(
        base, local_files_only=True, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)}, ignore_mismatched_sizes=True).to(device)
    windows = encode(tokenizer, train, settings)
    if not windows:
        raise SystemExit("error: no training windows: the training items carry no labels")
    per_epoch = -(-len(windows) // settings.batch_size)
    total = settings.max_steps or max(1, round(per_epoch * settings.epochs))  # max_steps wins, as in HF
    warmup = int(total * settings.warmup)
    decay = [p for n, p in model.named_parameters() if not n.endswith("bias") and "LayerNorm" not in n]
    rest = [p for n, p in model.named_parameters() if n.endswith("bias") or "LayerNorm" in n]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                                   {"params": rest, "weight_decay": 0.0}], lr=settings.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: (step + 1) / max(1, warmup) if step < warmup
        else max(0.0, (total - step) / max(1, total - warmup)))
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    rng = random.Random(settings.seed)
    started = time.perf_counter()
    model.train()
    step, losses = 0, []
    while step < total:
        order = list(range(len(windows)))
        rng.shuffle(order)
        for b in range(0, len(order), settings.batch_size):
            if step >= total:
                break
            batch = [windows[i] for i in order[b:b + settings.batch_size]]
            width = max(len(ids) for ids, _ in batch)
            input_ids = torch.tensor([ids + [pad] * (width - len(ids)) for ids, _ in batch], device=device)
            mask = torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids, _ in batch], device=device)
            labels = torch.tensor([lab + [IGNORE] * (width - len(lab)) for _, lab in batch], device=device)
            loss = model(input_ids=input_ids, attention_mask=mask, labels=labels).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            losses.append(loss.item())
            step += 1
            if step % 100 == 0 or step == total:
                log(f"step {step}/{total} loss {sum(losses[-100:]) / len(losses[-100:]):.4f}")
    train_seconds = round(time.perf_counter() - started, 1)
    model.config.fundwire = {"base": base.resolve().name, "steps": total, "seed": settings.seed}
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    del model
    scores = evaluate(out, dev, settings) if dev else {}
    report = {
        "base": str(base), "base_config_sha256": _config_hash(base), "device": device,
        "settings": asdict(settings), "corpus": counts or {"train_items": len(train), "dev_items": len(dev)},
        "train_windows": len(windows), "steps": total, "final_loss": round(sum(losses[-50:]) / len(losses[-50:]), 4),
        "train_seconds": train_seconds, "scores": scores,
    }
    (out / "training.json").write_text(json.dumps(report, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (out / "CARD.md").write_text(card(out, report), encoding="utf-8")
    return report


# 4. Scores and the card --------------------------------------------------------------------------

def evaluate(model_dir: Path, dev: Sequence[Annotated], settings: Settings) -> dict[str, Any]:
    """Exact-span P/R/F overall and per label, through the backend the pipeline runs."""
    from extractor.ner_transformers import TransformersNer

    backend = TransformersNer(model_dir, max_length=settings.max_length, stride=settings.stride)
    started = time.perf_counter()
    predicted = backend.entities([it.text for it in dev], "zh")
    seconds = time.perf_counter() - started
    tally: dict[str, list[int]] = {label: [0, 0, 0] for label in zh_data.LABELS}  # tp, predicted, gold
    for item, ents in zip(dev, predicted, strict=True):
        gold = {(s, e, label) for s, e, label in item.ents}
        guess = {(e.start, e.end, e.label) for e in ents}
        for s, e, label in guess:
            tally[label][1] += 1
            tally[label][0] += (s, e, label) in gold
        for *_, label in gold:
            tally[label][2] += 1
    total = [sum(t[i] for t in tally.values()) for i in range(3)]
    return {"dev": {**_prf(*total), "per_type": {label: _prf(*t) for label, t in tally.items()}},
            "sentences_per_s": round(len(dev) / seconds, 1) if seconds else None, "device": backend.device}


def _prf(tp: int, predicted: int, gold: int) -> dict[str, float]:
    p = tp / predicted if predicted else 0.0
    r = tp / gold if gold else 0.0
    return {"p": round(p, 3), "r": round(r, 3), "f": round(2 * p * r / (p + r), 3) if p + r else 0.0}


def _config_hash(path: Path) -> str:
    config = path / "config.json"
    return hashlib.sha256(config.read_bytes()).hexdigest()[:16] if config.exists() else "none"


def card(out: Path, report: dict[str, Any]) -> str:
    """CARD.md: what the model is, what it was trained on under which licences, how well it does."""
    dev = report["scores"].get("dev", {})
    rows = "\n".join(f"| {label} | {s['p']} | {s['r']} | {s['f']} |" for label, s in dev.get("per_type", {}).items())
    corpus_rows = "\n".join(f"| {k} | {v} |" for k, v in report["corpus"].items())
    settings = ", ".join(f"{k}={v}" for k, v in report["settings"].items())
    return f"""# {out.name}: fundwire NER (token classification, ORG / PER / GOV)

Fine-tuned by `python -m models.train_transformer` from the local base checkpoint
`{Path(report['base']).name}` (config sha256 {report['base_config_sha256']}). Use it with
`fundwire extract --ner transformers:{out}`.

## Data

| source | items |
|---|---|
{corpus_rows}

- **CLUENER2020** (https://github.com/CLUEbenchmark/CLUENER2020), a research benchmark: train
  split for training, dev split held out for the scores below; company/organization -> ORG,
  name -> PER, government -> GOV, other classes O.
- **FewFC (CCKS 2020)** (https://github.com/TimeBurningFish/FewFC), licensed CC BY-SA 4.0;
  event-argument spans used as partial labels. Attribution: FewFC, CCKS 2020. This model, as a
  work trained on it, is shared under CC BY-SA 4.0.
- Weak labels by fundwire's funding-phrase rules on unlabelled news in `../shared/data/news`
  (publishers' content, used for weak supervision).
- Template sentences written by the fundwire project (`models/zh_data.py`).

## Scores (CLUENER dev, exact spans)

Overall: P {dev.get('p', '-')} R {dev.get('r', '-')} F {dev.get('f', '-')}

| label | P | R | F |
|---|---|---|---|
{rows}

## Settings

{settings}; device {report['device']}; {report['train_windows']} training windows, {report['steps']} steps,
final loss {report['final_loss']}, {report['train_seconds']} s.
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m models.train_transformer", description=__doc__.split("\n")[0])
    defaults = Settings()
    parser.add_argument("--base", type=Path, required=True, help="local checkpoint directory (config, weights, "
                        "tokenizer), e.g. a Chinese BERT or RoBERTa you downloaded")
    parser.add_argument("--lang", choices=["zh"], default="zh")
    parser.add_argument("--out", type=Path, required=True, help="output directory")
    parser.add_argument("--epochs", type=float, default=defaults.epochs)
    parser.add_argument("--max-steps", type=int, help="stop after this many optimiser steps")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
    parser.add_argument("--max-length", type=int, default=defaults.max_length)
    parser.add_argument("--quick", action="store_true", help="a small subset of the data: a smoke run")
    args = parser.parse_args(argv)
    from models.train import SHARED

    if not (args.base / "config.json").is_file():
        parser.error(f"no checkpoint at {args.base}: expected a directory with config.json")
    if not SHARED.exists():
        parser.error(f"training data not found at {SHARED}")
    settings = Settings(epochs=args.epochs, max_steps=args.max_steps, batch_size=args.batch_size,
                        learning_rate=args.learning_rate, max_length=args.max_length)
    train, dev, counts = corpus(args.quick)
    print("corpus:", json.dumps(counts), flush=True)
    report = fine_tune(args.base, args.out, train, dev, settings, counts=counts)
    print(json.dumps(report["scores"], ensure_ascii=False, indent=1))
    print(f"saved to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
