"""Fixtures for the reliability suite: the fault server, crawl settings with small timeouts, the
`fundwire` command as a subprocess, and a table of what every fault did (printed at the end of the
run, and copied into RELIABILITY.md)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from crawlers.settings import CrawlSettings

from .fault_server import FaultSite, serve_faults

REPO = Path(__file__).resolve().parents[2]
FUNDWIRE = Path(sys.executable).with_name("fundwire")
CAP = 1024 * 1024  # the size cap the fault crawl runs under


@dataclass(frozen=True)
class Row:
    """One line of the RELIABILITY.md table."""

    fault: str
    tries: str
    outcome: str
    lost: str


RESULTS: list[Row] = []


def record(fault: str, tries: object, outcome: str, lost: str = "none") -> None:
    """Add a row to the end-of-run table (and print it, for `-s` runs)."""
    row = Row(fault, str(tries), outcome, lost)
    RESULTS.append(row)
    print(f"RELIABILITY | {row.fault} | {row.tries} | {row.outcome} | {row.lost}")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not RESULTS:
        return
    terminalreporter.section("reliability: what each fault did")
    terminalreporter.write_line("| fault | tries | what happened | data lost |")
    terminalreporter.write_line("|---|---|---|---|")
    for row in RESULTS:
        terminalreporter.write_line(f"| {row.fault} | {row.tries} | {row.outcome} | {row.lost} |")


@pytest.fixture(scope="module")
def fault_site() -> Iterator[FaultSite]:
    with serve_faults() as site:
        yield site


def fault_settings(**changes: object) -> CrawlSettings:
    """Small timeouts and backoff, no politeness delay, loopback allowed, a 1 MB size cap."""
    base = {"allow_private": ("127.0.0.1",), "per_host_delay_s": 0.0, "connect_timeout_s": 1.0, "read_timeout_s": 0.4,
                "retries": 2, "backoff_s": 0.01, "max_retry_after_s": 0.3, "max_bytes": CAP, "idle_poll_s": 0.05,
                "concurrency": 8, "per_host_concurrency": 8, "total_timeout_s": 3.0}
    base.update(changes)
    return CrawlSettings(**base)  # type: ignore[arg-type]


def cli_env(tmp: Path) -> dict[str, str]:
    """The environment for a `fundwire` subprocess: offline, no user config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUNDWIRE_")}
    env.update(HF_HUB_OFFLINE="1", PYTHONUNBUFFERED="1", HOME=str(tmp))
    return env


def fundwire(*args: str, cwd: Path) -> list[str]:
    """The argv of a `fundwire` console-script call."""
    return [str(FUNDWIRE), *args] if FUNDWIRE.exists() else [sys.executable, "-m", "extractor.cli", *args]


def run_fundwire(*args: str, cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(fundwire(*args, cwd=cwd), cwd=cwd, env=cli_env(cwd), capture_output=True, text=True, check=False,
                          timeout=timeout)


def sources_toml(entries: list[tuple[str, str, list[str], list[str]]]) -> str:
    """A sources file: (name, lang, feeds, sitemaps) per source."""
    out = []
    for name, lang, feeds, sitemaps in entries:
        out.append(f'[[source]]\nname = "{name}"\nlang = "{lang}"\nhomepage = "{(feeds or sitemaps)[0].rsplit("/", 1)[0]}/"\n'
                   f"feeds = {feeds!r}\nsitemaps = {sitemaps!r}\ninterval_s = 3600\n".replace("'", '"'))
    return "\n".join(out)


def read_db(path: Path) -> sqlite3.Connection:
    """A plain read connection to a database file (another process may be writing)."""
    conn = sqlite3.connect(str(path), timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def event_keys(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    """The deduplicated events as (company, round, amount) — what a user compares."""
    return sorted(conn.execute("SELECT company, coalesce(round, ''), coalesce(amount, -1) FROM events").fetchall(),
                  key=repr)
