"""Writing event and mention rows as CSV, JSON lines or Parquet, and keeping export paths in bounds.

CSV and JSON lines go to an open text stream (the CLI opens it); Parquet is binary and goes to a
path or a binary stream. Parquet needs pyarrow, the optional `parquet` extra, imported only when
asked for. `export_path` resolves a file name inside a chosen folder and refuses one that would
land outside it (`..`, an absolute path elsewhere, a symlink pointing out).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

TEXT_FORMATS = ("csv", "jsonl")
FORMATS = (*TEXT_FORMATS, "parquet")


class ExportError(Exception):
    """An export cannot be written as asked."""


class UnsafeExportPath(ExportError):
    """The output path would land outside the export folder."""


class MissingDependency(ExportError):
    """An optional dependency of this format is not installed."""


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_rows(rows: Sequence[dict[str, Any]], sink: IO[str], fmt: str) -> None:
    """Write rows to an open text stream; lists become JSON strings in CSV cells.

    Parquet is binary: use `write_parquet` (this raises ExportError for it)."""
    if fmt == "jsonl":
        for row in rows:
            sink.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return
    if fmt == "parquet":
        raise ExportError("parquet is a binary format: write it with write_parquet to a file")
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(sink, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})


# -- parquet ------------------------------------------------------------------------------------

def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet  # registers pyarrow.parquet on the module
    except ImportError as exc:
        raise MissingDependency("parquet export needs pyarrow: pip install 'fundwire[parquet]'") from exc
    return pyarrow


def _column_kind(values: Sequence[Any]) -> str:
    """One Arrow-friendly kind per column, from all its non-null values: bool, int, float, str,
    list (of strings) or json (anything mixed or nested, stored as a JSON string)."""
    present = [v for v in values if v is not None]
    if not present:
        return "str"
    if all(isinstance(v, bool) for v in present):
        return "bool"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "int"
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        return "float"
    if all(isinstance(v, str) for v in present):
        return "str"
    if all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in present):
        return "list"
    return "json"


def parquet_table(rows: Sequence[dict[str, Any]]) -> Any:
    """The rows as a `pyarrow.Table`: one typed column per key (in first-seen order), string lists
    as list<string>, nested or mixed values as JSON strings."""
    pa = _pyarrow()
    columns = list(dict.fromkeys(key for row in rows for key in row))
    arrays, fields = [], []
    for name in columns:
        values = [row.get(name) for row in rows]
        kind = _column_kind(values)
        if kind == "json":
            values = [None if v is None else json.dumps(v, ensure_ascii=False, default=str) for v in values]
            kind = "str"
        elif kind == "float":
            values = [None if v is None else float(v) for v in values]
        arrow_type = {"bool": pa.bool_(), "int": pa.int64(), "float": pa.float64(), "str": pa.string(),
                      "list": pa.list_(pa.string())}[kind]
        arrays.append(pa.array(values, type=arrow_type))
        fields.append(pa.field(name, arrow_type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_parquet(rows: Sequence[dict[str, Any]], sink: str | Path | IO[bytes]) -> None:
    """Write rows as one Parquet file (zstd) to a path or a binary stream."""
    pa = _pyarrow()
    target = str(sink) if isinstance(sink, Path) else sink
    pa.parquet.write_table(parquet_table(rows), target, compression="zstd")


# -- path safety --------------------------------------------------------------------------------

def export_path(folder: str | Path, name: str | Path) -> Path:
    """`name` resolved inside `folder` (relative names are taken from the folder).

    Symlinks are followed before checking, so a link inside the folder that points out of it is
    refused like `../x` or an absolute path elsewhere. The folder itself is not a file name."""
    root = Path(folder).resolve()
    if not root.is_dir():
        raise ExportError(f"export folder does not exist: {folder}")
    if not str(name).strip():
        raise ExportError("empty export file name")
    candidate = (root / Path(name)).resolve()  # an absolute `name` replaces root here, as intended
    if candidate == root:
        raise ExportError(f"{name} is the export folder itself, not a file name")
    if not candidate.is_relative_to(root):
        raise UnsafeExportPath(f"refusing to write {name}: it resolves to {candidate}, outside the export "
                               f"folder {root}")
    if candidate.is_dir():
        raise ExportError(f"{name} is a folder, not a file name")
    return candidate
