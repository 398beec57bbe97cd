"""The transformers NER backend, end to end, on a tiny BERT built here from a config and a vocabulary.

Nothing is downloaded: the base model is randomly initialised from `BertConfig`, its tokenizer is
a `vocab.txt` written by the test, and `models.train_transformer.fine_tune` teaches it the names
of a handful of sentences. The names use characters that occur nowhere else, so the tiny model
learns them in a few hundred steps and the tests can expect every name, at every window size.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from collections.abc import Iterator
from itertools import pairwise
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.cli import app
from extractor.ner import ModelError, load_backend
from models.zh_data import Annotated

os.environ["HF_HUB_OFFLINE"] = "1"

MISSING = [p for p in ("torch", "transformers") if importlib.util.find_spec(p) is None]
requires_extra = pytest.mark.skipif(
    bool(MISSING), reason=f"{' and '.join(MISSING)} not installed: pip install 'fundwire[transformers]'")

ORGS = ("星河云图", "蓝鲸数智", "红杉中国", "经纬中国")
PEOPLE = ("张伟明", "李静")
GOVS = ("海淀区政府",)
LATIN_ORGS = ("Zeta Orbit", "Quill Kapital")
TEMPLATES = (
    "{星河云图}宣布完成1亿元A轮融资，由{红杉中国}领投，{经纬中国}跟投。",
    "{蓝鲸数智}完成B轮融资，{经纬中国}领投。",
    "{星河云图}创始人{张伟明}表示，本轮资金用于研发。",
    "{海淀区政府}与{蓝鲸数智}签约。",
    "{李静}创办的{蓝鲸数智}获得{红杉中国}投资。",
    "{Zeta Orbit} raised $5 million from {Quill Kapital}.",
)
LABEL_OF = {**{n: "ORG" for n in ORGS + LATIN_ORGS}, **{n: "PER" for n in PEOPLE}, **{n: "GOV" for n in GOVS}}
# Window sizes forced on the backend (tokens, special tokens included) and their overlaps.
MAX_LENGTH = 24  # the tiny model's max_position_embeddings: load_backend windows at this size
TINY_WINDOWS = ((12, 3), (8, 1), (16, 6))


def annotated(template: str) -> Annotated:
    """A template with {names} -> the text and its gold spans."""
    text, ents = "", []
    for piece in template.replace("}", "{").split("{"):
        if piece in LABEL_OF:
            ents.append((len(text), len(text) + len(piece), LABEL_OF[piece]))
        text += piece
    return Annotated(text, tuple(ents))


SENTENCES = [annotated(t) for t in TEMPLATES]
NO_NAMES = Annotated("今天天气很好，没有名字。", ())
LONG = Annotated("".join(s.text for s in SENTENCES[:5] * 3), ())  # ~250 characters, many windows


def expected_spans(text: str) -> set[tuple[int, int, str]]:
    spans = set()
    for name, label in LABEL_OF.items():
        start = text.find(name)
        while start >= 0:
            spans.add((start, start + len(name), label))
            start = text.find(name, start + 1)
    return spans


def tiny_bert(out: Path, texts: list[str], *, hidden: int = 32, layers: int = 2, heads: int = 2,
              max_positions: int = MAX_LENGTH, seed: int = 0) -> Path:
    """A randomly initialised BERT and a WordPiece vocabulary of the texts' characters, saved to `out`."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    latin = "abcdefghijklmnopqrstuvwxyz0123456789"
    chars = sorted({c for t in texts for c in t.lower() if not c.isspace() and c not in latin})
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *latin, *(f"##{c}" for c in latin), *chars]
    out.mkdir(parents=True, exist_ok=True)
    (out / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(str(out / "vocab.txt"), model_max_length=max_positions)
    torch.manual_seed(seed)
    config = BertConfig(vocab_size=len(vocab), hidden_size=hidden, num_hidden_layers=layers,
                        num_attention_heads=heads, intermediate_size=hidden * 2,
                        max_position_embeddings=max_positions)
    BertModel(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def fine_tuned(base: Path, out: Path, steps: int = 200) -> Path:
    from models.train_transformer import Settings, fine_tune

    settings = Settings(max_steps=steps, batch_size=8, learning_rate=3e-3, warmup=0.05,
                        max_length=MAX_LENGTH, stride=6, seed=3)
    # The long text's windows are training material too: the model sees names cut at window edges.
    train = [*SENTENCES * 4, NO_NAMES, Annotated(LONG.text, tuple(sorted(expected_spans(LONG.text))))]
    fine_tune(base, out, train, SENTENCES, settings, log=lambda *_: None)
    return out


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if MISSING:
        pytest.skip(f"{' and '.join(MISSING)} not installed: pip install 'fundwire[transformers]'")
    import torch

    root = tmp_path_factory.mktemp("tiny-bert")
    base = tiny_bert(root / "base", [s.text for s in [*SENTENCES, NO_NAMES]])
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # a tiny model trains faster on one thread, and much faster on a busy machine
    try:
        yield fine_tuned(base, root / "ner")
    finally:
        torch.set_num_threads(threads)


# Pure parts: labels, windows, merging, decoding --------------------------------------------------

@requires_extra
@pytest.mark.parametrize(("label", "role", "kind"), [
    ("O", "outside", None), ("B-ORG", "begin", "ORG"), ("I-company", "inside", "company"),
    ("E-PER", "end", "PER"), ("S-GOV", "single", "GOV"), ("U-PER", "single", "PER"),
    ("L-ORG", "end", "ORG"), ("B_organization", "begin", "organization"), ("PER", "inside", "PER"),
])
def test_labels_of_every_scheme_are_read(label: str, role: str, kind: str | None) -> None:
    from extractor.ner_transformers import parse_label

    tag = parse_label(label)
    assert (tag.role, tag.kind) == (role, kind)


@requires_extra
@pytest.mark.parametrize(("kind", "label"), [
    ("ORG", "ORG"), ("company", "ORG"), ("organization", "ORG"), ("PERSON", "PER"), ("name", "PER"),
    ("government", "GOV"), ("GOV", "GOV"), ("address", None), ("MISC", None), ("LOC", None),
])
def test_model_types_map_to_the_pipeline_labels(kind: str, label: str | None) -> None:
    from extractor.ner_transformers import fundwire_type

    assert fundwire_type(kind) == label


@requires_extra
@pytest.mark.parametrize(("n", "content", "stride"), [(0, 10, 2), (5, 10, 2), (10, 10, 2), (11, 10, 2),
                                                       (100, 10, 2), (100, 7, 6), (37, 4, 0)])
def test_windows_cover_every_token_and_overlap_by_the_stride(n: int, content: int, stride: int) -> None:
    from extractor.ner_transformers import window_starts

    starts = window_starts(n, content, stride)
    covered = {i for s in starts for i in range(s, min(s + content, n))}
    assert covered == set(range(n))
    assert all(b - a == content - stride for a, b in pairwise(starts))


@requires_extra
def test_each_token_takes_the_label_of_the_window_where_it_has_most_context() -> None:
    from extractor.ner_transformers import merge_windows

    # Each window labels its tokens with its own number, so the merged list shows which window won.
    # 10 tokens, windows of 6 overlapping by 2: [0, 6) and [4, 10). Token 4 has 1 token of context
    # to its right in the first window and none to its left in the second; token 5 the reverse.
    assert merge_windows(10, 6, [0, 4], [[1] * 6, [2] * 6]) == [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]
    # 8 tokens, windows of 6 one token apart: token 3 has 2 tokens on its shorter side in windows
    # 1 and 2, token 4 in windows 2 and 3: the earlier window wins a tie.
    assert merge_windows(8, 6, [0, 1, 2], [[1] * 6, [2] * 6, [3] * 6]) == [1, 1, 1, 1, 2, 3, 3, 3]


@requires_extra
@pytest.mark.parametrize(("tags", "words", "names"), [
    (["B-ORG", "I-ORG", "O", "B-PER"], [0, 1, 2, 3], [(0, 2, "ORG"), (3, 4, "PER")]),
    (["I-ORG", "I-ORG", "O"], [0, 1, 2], [(0, 2, "ORG")]),  # lenient: I- after nothing starts a name
    (["B-ORG", "I-PER"], [0, 1], [(0, 1, "ORG"), (1, 2, "PER")]),
    (["S-ORG", "S-ORG", "B-PER", "E-PER", "I-PER"], [0, 1, 2, 3, 4],
     [(0, 1, "ORG"), (1, 2, "ORG"), (2, 4, "PER"), (4, 5, "PER")]),
    (["B-ORG", "O", "O", "I-ORG"], [0, 0, 0, 1], [(0, 4, "ORG")]),  # a word's pieces follow its first
    (["O", "B-ORG", "I-ORG"], [0, 0, 1], [(2, 3, "ORG")]),  # a word that starts O stays O
    (["ORG", "ORG", "O", "PER"], [0, 1, 2, 3], [(0, 2, "ORG"), (3, 4, "PER")]),  # IO scheme
])
def test_decoding(tags: list[str], words: list[int], names: list[tuple[int, int, str]]) -> None:
    from extractor.ner_transformers import decode, parse_label

    assert decode([parse_label(t) for t in tags], words) == names


@requires_extra
def test_training_labels_follow_the_characters() -> None:
    from models.train_transformer import IGNORE, LABELS, token_labels

    item = Annotated("由红杉中国领投", ((1, 5, "ORG"),))
    offsets = [(i, i + 1) for i in range(len(item.text))]
    assert [LABELS[x] for x in token_labels(item, offsets)] == ["O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "O", "O"]
    partial = Annotated("李静投资红杉", ((0, 2, "PER"),), outside=((2, 4),))
    labels = token_labels(partial, [(i, i + 1) for i in range(6)])
    assert labels[:4] == [LABELS.index("B-PER"), LABELS.index("I-PER"), 0, 0]
    assert labels[4:] == [IGNORE, IGNORE]  # neither a name nor known O: left out of the loss
    latin = Annotated("by Zeta Orbit", ((3, 13, "ORG"),))
    pieces = [(0, 2), (3, 4), (4, 7), (8, 9), (9, 13)]  # by | z ##eta | o ##rbit
    assert [LABELS[x] for x in token_labels(latin, pieces)] == ["O", "B-ORG", "I-ORG", "I-ORG", "I-ORG"]


# The tiny model, fine-tuned and loaded the way the CLI loads it ---------------------------------

@requires_extra
@pytest.mark.slow
def test_fine_tuned_model_is_saved_with_a_card(model_dir: Path) -> None:
    card = (model_dir / "CARD.md").read_text(encoding="utf-8")
    assert "CC BY-SA 4.0" in card and "FewFC" in card and "CLUENER" in card
    report = json.loads((model_dir / "training.json").read_text(encoding="utf-8"))
    assert report["steps"] == 200
    assert report["scores"]["dev"]["f"] >= 0.9, report["scores"]


@requires_extra
@pytest.mark.slow
def test_the_backend_finds_the_names_with_exact_offsets(model_dir: Path) -> None:
    backend = load_backend(f"transformers:{model_dir}")
    assert backend.name == "transformers"
    texts = [s.text for s in SENTENCES] + ["", "   ", NO_NAMES.text]
    results = backend.entities(texts, "zh")
    assert len(results) == len(texts)
    for text, ents in zip(texts, results, strict=True):
        for e in ents:
            assert text[e.start:e.end] == e.text
        assert {(e.start, e.end, e.label) for e in ents} == expected_spans(text), text
    english = results[5]
    assert [e.text for e in english] == ["Zeta Orbit", "Quill Kapital"]


@requires_extra
@pytest.mark.slow
@pytest.mark.parametrize(("max_length", "stride"), [(MAX_LENGTH, None), *TINY_WINDOWS])
def test_long_text_is_windowed_and_names_across_window_edges_come_out_whole(
        model_dir: Path, max_length: int, stride: int | None) -> None:
    from extractor.ner_transformers import TransformersNer

    backend = TransformersNer(model_dir, max_length=max_length, stride=stride, batch_size=4)
    content = max_length - 2
    assert len(LONG.text) > 5 * content  # many windows
    edges = {s + content for s in range(0, len(LONG.text), content - backend.stride)}
    straddling = [sp for sp in expected_spans(LONG.text) if any(sp[0] < edge < sp[1] for edge in edges)]
    assert straddling, "the text must put some names across window edges"
    [ents] = backend.entities([LONG.text], "zh")
    for e in ents:
        assert LONG.text[e.start:e.end] == e.text
    assert {(e.start, e.end, e.label) for e in ents} == expected_spans(LONG.text)


@requires_extra
@pytest.mark.slow
def test_version_names_the_model_and_its_config(model_dir: Path) -> None:
    from extractor.pipeline import Extractor

    extractor = Extractor.load(f"transformers:{model_dir}")
    assert extractor.version.startswith(f"fundwire-0.1.0+transformers:{model_dir.name}-")
    assert extractor.version == Extractor.load(f"transformers:{model_dir}").version


@requires_extra
@pytest.mark.slow
def test_cli_extract_with_the_model_keeps_the_batch_contract(model_dir: Path, runner: CliRunner,
                                                             tmp_path: Path) -> None:
    articles = [
        {"id": "zh-1", "text": SENTENCES[0].text, "published": "2024-03-01", "lang": "zh"},
        {"id": "zh-2", "text": "今天天气很好。", "published": "2024-03-01", "lang": "zh"},
        {"id": "en-1", "text": SENTENCES[5].text, "published": "2024-03-01", "lang": "en"},
    ]
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles), encoding="utf-8")
    sink = tmp_path / "out.jsonl"
    result = runner.invoke(app, ["extract", "--ner", f"transformers:{model_dir}", "--input", str(source),
                                 "--output", str(sink)])
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in sink.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == ["zh-1", "zh-2", "en-1"]
    assert all("error" not in line for line in lines)
    [event] = lines[0]["events"]
    assert event["company"] == "星河云图"
    assert event["round"] == "A" and event["lead_investors"] == ["红杉中国"]
    assert lines[1]["events"] == []


# Without the extra ----------------------------------------------------------------------------

@pytest.fixture
def without_transformers(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the extra were not installed: `import transformers` fails, the backend module reloads."""
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.delitem(sys.modules, "extractor.ner_transformers", raising=False)


@pytest.mark.usefixtures("without_transformers")
def test_without_the_extra_the_backend_says_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as caught:
        load_backend(f"transformers:{tmp_path}")
    assert str(caught.value) == "the transformers backend needs the extra: pip install 'fundwire[transformers]'"


@pytest.mark.usefixtures("without_transformers")
def test_without_the_extra_the_cli_fails_with_one_line(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 1, "text": "x"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", "--ner", f"transformers:{tmp_path}", "--input", str(source)])
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: the transformers backend needs the extra: pip install 'fundwire[transformers]'"]
    assert result.stdout == ""


@requires_extra
def test_a_directory_without_a_model_is_a_one_line_error(runner: CliRunner, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": 1, "text": "x"}) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["extract", "--ner", f"transformers:{tmp_path / 'nope'}", "--input", str(source)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("error: no model at ") and "config.json" in line
