"""The transformers NER backend: a local token-classification model directory in place of spaCy.

`TransformersNer(path)` loads the model and its fast tokenizer from `path` only
(`local_files_only=True`: nothing is ever downloaded) on CUDA when available, else the CPU.
`entities(texts, lang)` works in four steps:

1. tokenise each text whole (no special tokens), keeping the fast tokenizer's character offsets;
2. cut the token sequence into windows of `max_length` tokens (special tokens included) that
   overlap by `stride` tokens, and label all windows of the call in batches;
3. merge: each token takes its label from the window where it lies furthest from an edge (the
   most context on both sides); ties go to the earlier window, so the result is deterministic;
4. decode the BIO / BIOES / BILOU / IO tags per word (a word's label is its first token's), map
   the model's types to ORG / PER / GOV (others are dropped after decoding, so they still end a
   name) and cut the spans from the text by offset, so `text[e.start:e.end] == e.text` always.

One model serves every language: `lang` is accepted for the protocol and not used.
"""

from __future__ import annotations

import hashlib
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from extractor.ner import ModelError
from extractor.relations import Entity

# Fail at import, cheaply, so that `load_backend` can say what to install (without importing torch).
for _package in ("torch", "transformers"):
    if importlib.util.find_spec(_package) is None:
        raise ImportError(f"{_package} is not installed")

INSTALL = "the transformers backend needs the extra: pip install 'fundwire[transformers]'"
TYPES = {
    "org": "ORG", "organization": "ORG", "organisation": "ORG", "company": "ORG", "corporation": "ORG",
    "per": "PER", "person": "PER", "people": "PER", "name": "PER",
    "gov": "GOV", "government": "GOV",
}
PREFIXES = {"B": "begin", "I": "inside", "M": "inside", "E": "end", "L": "end", "S": "single", "U": "single"}


@dataclass(frozen=True, slots=True)
class Tag:
    """One label of the model: its position in a name and the model's own type (None for O)."""

    role: str  # outside | begin | inside | end | single
    kind: str | None


def parse_label(label: str) -> Tag:
    """`B-ORG`, `I_company`, `S-PER`, `O`, or a bare type (IO scheme)."""
    if label.upper() in ("O", "OUTSIDE"):
        return Tag("outside", None)
    head, sep, rest = label.replace("_", "-").partition("-")
    if sep and head.upper() in PREFIXES and rest:
        return Tag(PREFIXES[head.upper()], rest)
    return Tag("inside", label)


def fundwire_type(kind: str | None) -> str | None:
    """The pipeline's label for a model type, or None to drop it."""
    return TYPES.get(kind.lower()) if kind else None


def window_starts(n_tokens: int, content: int, stride: int) -> list[int]:
    """Start token of each window of `content` tokens overlapping by `stride`, covering all tokens."""
    step = max(1, content - stride)
    starts = [0]
    while starts[-1] + content < n_tokens:
        starts.append(starts[-1] + step)
    return starts


def merge_windows(n_tokens: int, content: int, starts: Sequence[int],
                  window_tags: Sequence[Sequence[int]]) -> list[int]:
    """One label id per token: the window where the token is furthest from an edge; ties to the earlier."""
    best = [(-1, 0)] * n_tokens  # (context on the shorter side, label id)
    for start, tags in zip(starts, window_tags, strict=True):
        length = min(content, n_tokens - start)
        for i in range(length):
            # the text's own beginning and end are not window edges: no context is missing there
            left = i if start > 0 else n_tokens
            right = length - 1 - i if start + length < n_tokens else n_tokens
            if min(left, right) > best[start + i][0]:
                best[start + i] = (min(left, right), tags[i])
    return [label for _, label in best]


def decode(tags: Sequence[Tag], word_ids: Sequence[int | None]) -> list[tuple[int, int, str]]:
    """Token spans `(first, last + 1, model type)` of the names in a tagged token sequence.

    A word's later tokens follow its first token; the decoding is lenient (an `I-X` after `O`
    starts a name), as most taggers' output needs.
    """
    names: list[tuple[int, int, str]] = []
    current: list[Any] | None = None  # [first, last + 1, kind]
    previous_word: int | None = None
    for i, (tag, word) in enumerate(zip(tags, word_ids, strict=True)):
        if word is not None and word == previous_word:
            if current is not None and current[1] == i:
                current[1] = i + 1
            continue
        previous_word = word
        if tag.role == "outside" or tag.kind is None:
            current = None
            continue
        continues = current is not None and current[2] == tag.kind and current[1] == i
        if tag.role in ("inside", "end") and continues:
            assert current is not None
            current[1] = i + 1
        else:
            current = [i, i + 1, tag.kind]
            names.append(current)  # type: ignore[arg-type]
        if tag.role in ("end", "single"):
            current = None
    return [(s, e, k) for s, e, k in names]


class TransformersNer:
    """A token-classification model directory (config, weights, fast tokenizer) as the NER stage."""

    name = "transformers"

    def __init__(self, path: Path, *, max_length: int | None = None, stride: int | None = None,
                 batch_size: int = 32, device: str | None = None) -> None:
        if not (path / "config.json").is_file():
            raise ModelError(f"no model at {path}: expected a directory with config.json, weights and a tokenizer")
        try:
            import torch
            from transformers import AutoModelForTokenClassification, AutoTokenizer
        except ImportError as exc:
            raise ModelError(f"{INSTALL} ({exc})") from exc
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            model = AutoModelForTokenClassification.from_pretrained(path, local_files_only=True)
        except (OSError, ValueError, KeyError) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"cannot load the model at {path}: {first_line}") from exc
        if not self.tokenizer.is_fast:
            raise ModelError(f"the model at {path} needs a fast tokenizer (tokenizer.json) for character offsets")
        self.path = path
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = model.to(self.device).eval()
        self.tags = [parse_label(model.config.id2label[i]) for i in range(model.config.num_labels)]
        if not any(fundwire_type(t.kind) for t in self.tags):
            labels = ", ".join(model.config.id2label[i] for i in range(model.config.num_labels))
            raise ModelError(f"the model at {path} has no ORG/PER/GOV-like labels (it has: {labels})")
        self.prefix, self.suffix = _special_tokens(self.tokenizer)
        limit = min(x for x in (self.tokenizer.model_max_length, getattr(model.config, "max_position_embeddings",
                                                                          None), 512) if x)
        self.max_length = max_length or limit
        content = self.max_length - len(self.prefix) - len(self.suffix)
        if content < 2:
            raise ModelError(f"max_length {self.max_length} leaves no room for text between the special tokens")
        self.content = content
        self.stride = min(stride if stride is not None else content // 4, content // 2)
        self.batch_size = batch_size

    @property
    def version(self) -> str:
        digest = hashlib.sha256((self.path / "config.json").read_bytes()).hexdigest()[:10]
        return f"transformers:{self.path.resolve().name}-{digest}"

    def entities(self, texts: Sequence[str], lang: str) -> list[list[Entity]]:
        if not texts:
            return []
        encoded = self.tokenizer(list(texts), add_special_tokens=False, return_offsets_mapping=True,
                                 verbose=False)
        windows: list[tuple[int, int]] = []  # (text index, start token)
        for t, ids in enumerate(encoded["input_ids"]):
            if ids:
                windows += [(t, s) for s in window_starts(len(ids), self.content, self.stride)]
        labelled = self._label(windows, encoded["input_ids"])
        out: list[list[Entity]] = []
        for t, text in enumerate(texts):
            ids = encoded["input_ids"][t]
            if not ids:
                out.append([])
                continue
            starts = [s for (i, s) in windows if i == t]
            merged = merge_windows(len(ids), self.content, starts, [labelled[(t, s)] for s in starts])
            out.append(self._spans(text, encoded["offset_mapping"][t], encoded.word_ids(t), merged))
        return out

    def _label(self, windows: list[tuple[int, int]], all_ids: list[list[int]]) -> dict[tuple[int, int], list[int]]:
        """Label ids per window content token; windows batched by length to keep padding small."""
        import torch

        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        order = sorted(windows, key=lambda w: len(all_ids[w[0]][w[1]:w[1] + self.content]))
        result: dict[tuple[int, int], list[int]] = {}
        for b in range(0, len(order), self.batch_size):
            batch = order[b:b + self.batch_size]
            rows = [self.prefix + all_ids[t][s:s + self.content] + self.suffix for t, s in batch]
            width = max(len(r) for r in rows)
            input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=self.device)
            mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows], device=self.device)
            with torch.inference_mode():
                logits = self.model(input_ids=input_ids, attention_mask=mask).logits
            best = logits.argmax(-1).tolist()
            for (t, s), row, labels in zip(batch, rows, best, strict=True):
                n = len(row) - len(self.prefix) - len(self.suffix)
                result[(t, s)] = labels[len(self.prefix):len(self.prefix) + n]
        return result

    def _spans(self, text: str, offsets: Sequence[tuple[int, int]], word_ids: Sequence[int | None],
               labels: Sequence[int]) -> list[Entity]:
        found = []
        for first, last, kind in decode([self.tags[i] for i in labels], word_ids):
            label = fundwire_type(kind)
            if label is None:
                continue
            start, end = offsets[first][0], offsets[last - 1][1]
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                found.append(Entity(text[start:end], label, start, end))
        return found


def _special_tokens(tokenizer: Any) -> tuple[list[int], list[int]]:
    """The ids a tokenizer puts before and after one sequence ([CLS] … [SEP], <s> … </s>)."""
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a", add_special_tokens=True)["input_ids"]
    for i in range(len(full) - len(bare) + 1):
        if full[i:i + len(bare)] == bare:
            return full[:i], full[i + len(bare):]
    return [], []
