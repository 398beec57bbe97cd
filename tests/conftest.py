"""Shared fixtures: a fresh in-memory store, a temp database path, the CLI runner, ../shared.

Everything here runs offline: the Hugging Face hub is told so before any test module imports a
model, and the only servers tests talk to are the ones the code under test starts on 127.0.0.1.
"""

from __future__ import annotations

import os

os.environ["HF_HUB_OFFLINE"] = "1"

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from extractor.store import Store

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# Environment variables the CLI reads; a developer's own settings must not leak into tests.
CLI_ENV_VARS = ("FUNDWIRE_DB", "FUNDWIRE_CONFIG")


@pytest.fixture
def fresh_store() -> Iterator[Store]:
    """A migrated in-memory database."""
    store = Store.memory()
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def tmp_db(tmp_path: Path) -> Path:
    """A path for a database file that does not exist yet."""
    return tmp_path / "fundwire.db"


@pytest.fixture
def shared() -> Path:
    """../shared (real third-party data and tools); skips when this checkout has none."""
    if not SHARED.is_dir():
        pytest.skip(f"../shared is absent ({SHARED}): real data tests need the shared folder")
    return SHARED


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner working in an empty temp directory (no stray fundwire.toml or fundwire.db)
    with the FUNDWIRE_* variables cleared."""
    for name in CLI_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return CliRunner()
