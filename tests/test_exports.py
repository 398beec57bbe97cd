"""Exports: CSV, JSON lines and Parquet of stored events and mentions; export paths kept in bounds."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from crawlers.records import ParsedPage
from extractor.dedup import apply_extraction
from extractor.exports import (
    ExportError,
    MissingDependency,
    UnsafeExportPath,
    export_path,
    write_parquet,
    write_rows,
)
from extractor.records import FundingEvent
from extractor.store import Store

UTC = dt.UTC


@pytest.fixture
def filled(fresh_store: Store) -> Store:
    """Two events: one reported twice with different amounts (a conflict), one in dollars."""
    articles = [ParsedPage(url=f"https://news.example/{n}", title=f"t{n}", lang="zh", text=f"text {n}",
                           published=dt.datetime(2024, 5, 20 + n, tzinfo=UTC)) for n in range(3)]
    a1, a2, a3 = fresh_store.add_inline_articles("demo", articles)
    deep = FundingEvent(company="深空智元", round="B+", currency="CNY", date=dt.date(2024, 5, 20),
                        lead_investors=("星河资本",), investors=("星河资本", "云起创投"), amount=Decimal("1.2e8"),
                        amount_text="1.2亿元", amount_cny=Decimal("1.2e8"))
    apply_extraction(fresh_store, a1, "t", [deep])
    apply_extraction(fresh_store, a2, "t", [dataclasses.replace(
        deep, amount=Decimal("1.3e8"), amount_text="1.3亿元", amount_cny=Decimal("1.3e8"))])
    apply_extraction(fresh_store, a3, "t", [FundingEvent(
        company="Moonshot AI", round="B", amount=Decimal("1e9"), currency="USD", amount_text="$1 billion",
        amount_cny=Decimal("7.1e9"), date=dt.date(2024, 2, 5))])
    return fresh_store


# -- csv and jsonl ------------------------------------------------------------------------------

def test_csv_keeps_lists_as_json_cells(filled: Store) -> None:
    sink = io.StringIO()
    write_rows(filled.events(), sink, "csv")
    rows = {r["company"]: r for r in csv.DictReader(io.StringIO(sink.getvalue()))}
    assert json.loads(rows["深空智元"]["lead_investors"]) == ["星河资本"]
    assert json.loads(rows["深空智元"]["sources"]) == ["https://news.example/0", "https://news.example/1"]


def test_jsonl_is_one_event_a_line(filled: Store) -> None:
    sink = io.StringIO()
    write_rows(filled.events(), sink, "jsonl")
    lines = [json.loads(line) for line in sink.getvalue().splitlines()]
    assert [line["company"] for line in lines] == ["深空智元", "Moonshot AI"]


def test_write_rows_refuses_parquet_on_a_text_stream() -> None:
    with pytest.raises(ExportError, match="write_parquet"):
        write_rows([{"a": 1}], io.StringIO(), "parquet")


# -- parquet ------------------------------------------------------------------------------------

def test_parquet_events_keep_types_lists_and_sources(filled: Store, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (pip install 'fundwire[parquet]')")
    events = filled.events()
    target = tmp_path / "events.parquet"
    write_parquet(events, target)
    table = pq.read_table(target)
    assert table.column_names == list(events[0])
    assert str(table.schema.field("amount_cny").type) == "double"
    assert str(table.schema.field("n_mentions").type) == "int64"
    assert str(table.schema.field("investors").type) == "list<element: string>"
    rows = {r["company"]: r for r in table.to_pylist()}
    deep = rows["深空智元"]
    assert deep["investors"] == ["星河资本", "云起创投"] and deep["n_mentions"] == 2
    assert deep["sources"] == ["https://news.example/0", "https://news.example/1"]
    # conflicts are nested records: they travel as JSON text, the same as in CSV
    assert {c["field"] for c in json.loads(deep["conflicts"])} >= {"amount_cny"}
    assert rows["Moonshot AI"]["amount_cny"] == 7.1e9 and rows["Moonshot AI"]["lead_investors"] == []


def test_parquet_mentions_and_an_empty_export(filled: Store, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet", reason="pyarrow is not installed (pip install 'fundwire[parquet]')")
    mentions = list(filled.mentions())
    sink = io.BytesIO()
    write_parquet(mentions, sink)
    table = pq.read_table(io.BytesIO(sink.getvalue()))
    assert table.num_rows == 3 and "article_url" in table.column_names
    assert sorted(table.column("amount_text").to_pylist()) == ["$1 billion", "1.2亿元", "1.3亿元"]
    write_parquet([], tmp_path / "none.parquet")
    assert pq.read_table(tmp_path / "none.parquet").num_rows == 0


def test_parquet_without_pyarrow_says_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # makes `import pyarrow` fail
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(MissingDependency, match=r"pip install 'fundwire\[parquet\]'"):
        write_parquet([{"a": 1}], tmp_path / "x.parquet")
    assert not (tmp_path / "x.parquet").exists()


# -- path safety --------------------------------------------------------------------------------

@pytest.fixture
def folder(tmp_path: Path) -> Path:
    inside = tmp_path / "exports"
    (inside / "by-year").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    return inside


@pytest.mark.parametrize("name", ["events.csv", "by-year/2024.parquet", "./by-year/../events.jsonl", "new.csv"])
def test_names_inside_the_folder_resolve_there(folder: Path, name: str) -> None:
    assert export_path(folder, name) == (folder / name).resolve()


def test_an_absolute_path_inside_the_folder_is_fine(folder: Path) -> None:
    assert export_path(folder, folder / "events.csv") == (folder / "events.csv").resolve()


@pytest.mark.parametrize("name", ["../events.csv", "by-year/../../events.csv", "../elsewhere/x.csv",
                                  "/etc/passwd", "/tmp/events.csv"])
def test_names_escaping_the_folder_are_refused(folder: Path, name: str) -> None:
    with pytest.raises(UnsafeExportPath, match="outside the export folder"):
        export_path(folder, name)


def test_a_symlinked_folder_pointing_out_is_refused(folder: Path) -> None:
    (folder / "out").symlink_to(folder.parent / "elsewhere", target_is_directory=True)
    with pytest.raises(UnsafeExportPath):
        export_path(folder, "out/events.csv")


def test_a_symlinked_file_pointing_out_is_refused_even_before_it_exists(folder: Path) -> None:
    target = folder.parent / "elsewhere" / "victim.csv"
    (folder / "events.csv").symlink_to(target)  # dangling: writing through it would create victim.csv
    with pytest.raises(UnsafeExportPath):
        export_path(folder, "events.csv")
    assert not target.exists()


def test_a_symlink_that_stays_inside_is_fine(folder: Path) -> None:
    (folder / "latest").symlink_to(folder / "by-year", target_is_directory=True)
    assert export_path(folder, "latest/x.csv") == (folder / "by-year" / "x.csv").resolve()


def test_a_folder_reached_through_a_symlink_is_the_real_folder(folder: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-to-exports"
    link.symlink_to(folder, target_is_directory=True)
    assert export_path(link, "events.csv") == (folder / "events.csv").resolve()


@pytest.mark.parametrize(("name", "message"), [("", "empty"), ("  ", "empty"), ("by-year", "is a folder"),
                                              (".", "folder itself"), ("by-year/..", "folder itself")])
def test_names_that_are_not_files(folder: Path, name: str, message: str) -> None:
    with pytest.raises(ExportError, match=message):
        export_path(folder, name)


def test_a_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_path(tmp_path / "nope", "events.csv")


def test_an_export_written_to_a_resolved_path_lands_inside(filled: Store, folder: Path) -> None:
    path = export_path(folder, "by-year/events.jsonl")
    with path.open("w", encoding="utf-8") as sink:
        write_rows(filled.events(), sink, "jsonl")
    assert len(path.read_text(encoding="utf-8").splitlines()) == 2
