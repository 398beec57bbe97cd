"""Writing event and mention rows as CSV or JSON lines (the CLI opens the file)."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from typing import IO, Any


def _cell(value: Any) -> Any:
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_rows(rows: Sequence[dict[str, Any]], sink: IO[str], fmt: str) -> None:
    """Write rows to an open text stream; lists become JSON strings in CSV cells."""
    if fmt == "jsonl":
        for row in rows:
            sink.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
        return
    if fmt != "csv":
        raise ValueError(f"unknown format {fmt!r}")
    columns = list(dict.fromkeys(key for row in rows for key in row))
    writer = csv.DictWriter(sink, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
