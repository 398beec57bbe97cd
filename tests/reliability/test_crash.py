"""kill -9 during `fundwire crawl --once` (with extraction), at random moments, over and over.

After every kill the database passes `PRAGMA integrity_check`, holds no URL twice and has kept every
page and article it had before; the run that finally completes gives the articles and pages of an
uninterrupted run, and the same events once every article is extracted.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawlers.demo_site import serve_site

from .conftest import cli_env, event_keys, fundwire, read_db, record, run_fundwire, sources_toml
from .fault_server import NewsSite, serve_news

KILLS = 20
N_GENERATED = 40
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, NewsSite]]:
    """The demo outlets plus a generated outlet (each answer 20 ms late); the sources file."""
    with serve_site(port=0) as demo, serve_news(N_GENERATED, delay_s=0.02) as news:
        folder = tmp_path_factory.mktemp("crash")
        toml = folder / "sources.toml"
        toml.write_text(sources_toml([
            ("demo-zh", "zh", [demo.base_url("zh") + "/feed.xml"], [demo.base_url("zh") + "/sitemap.xml"]),
            ("demo-en", "en", [demo.base_url("en") + "/feed.xml"], [demo.base_url("en") + "/sitemap.xml"]),
            ("gen", "zh", [news.base + "/feed.xml"], []),
        ]), encoding="utf-8")
        yield toml, news


def _crawl_args(toml: Path, db: Path) -> list[str]:
    return ["crawl", "--once", "--sources", str(toml), "--source", "demo-zh", "--source", "demo-en",
            "--source", "gen", "--allow-private", "127.0.0.1", "--delay", "0", "--db", str(db)]


def _snapshot(db: Path) -> tuple[set[str], set[str]]:
    """Check the file after a kill; return its page and article URLs."""
    with read_db(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        for table in ("pages", "articles", "frontier"):
            dupes = conn.execute(f"SELECT url FROM {table} GROUP BY url HAVING count(*) > 1").fetchall()
            assert dupes == [], f"{table} holds a URL twice: {dupes}"
        pages = {u for (u,) in conn.execute("SELECT url FROM pages")}
        articles = {u for (u,) in conn.execute("SELECT url FROM articles")}
    return pages, articles


def _unextracted(db: Path) -> int:
    with read_db(db) as conn:
        return conn.execute("SELECT count(*) FROM articles WHERE id NOT IN (SELECT article_id FROM extractions)"
                            ).fetchone()[0]


def test_kill_9_at_random_moments_loses_nothing(sites: tuple[Path, NewsSite], tmp_path: Path) -> None:
    toml, _ = sites
    started = time.monotonic()
    reference = tmp_path / "reference.db"
    done = run_fundwire(*_crawl_args(toml, reference), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ref_pages, ref_articles = _snapshot(reference)
    assert len(ref_articles) >= N_GENERATED

    db = tmp_path / "crashed.db"
    rng = random.Random(7)
    kills, finished_early, pages, articles = 0, 0, set[str](), set[str]()
    while kills < KILLS:
        child = subprocess.Popen(fundwire(*_crawl_args(toml, db), cwd=tmp_path), cwd=tmp_path, env=cli_env(tmp_path),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            child.wait(timeout=rng.uniform(0.3, 4.5))
            finished_early += 1
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
            kills += 1
        now_pages, now_articles = _snapshot(db)
        assert pages <= now_pages and articles <= now_articles  # nothing stored before a kill went missing
        pages, articles = now_pages, now_articles
        assert time.monotonic() - started < 150

    final = run_fundwire(*_crawl_args(toml, db), cwd=tmp_path)
    assert final.returncode == 0, final.stderr
    pages, articles = _snapshot(db)
    assert articles == ref_articles and pages == ref_pages
    with read_db(db) as conn:
        assert conn.execute("SELECT count(*) FROM frontier WHERE state = 'in_flight'").fetchone()[0] == 0
        events_before = event_keys(conn)
    unextracted = _unextracted(db)
    assert unextracted == 0  # a restart extracts what a kill left unextracted
    with read_db(reference) as ref:
        assert events_before == event_keys(ref)
    # and re-extracting everything changes nothing
    redo = run_fundwire("extract", "--all", "--db", str(db), cwd=tmp_path)
    assert redo.returncode == 0, redo.stderr
    with read_db(db) as conn, read_db(reference) as ref:
        assert event_keys(conn) == event_keys(ref)
        n_events = len(event_keys(ref))
        missing = len(set(event_keys(ref)) - set(events_before))
    seconds = time.monotonic() - started
    record("kill -9 during crawl --once + extraction", f"{kills} kills ({finished_early} runs ended first)",
           f"integrity ok and no URL twice after every kill; final {len(articles)} articles / {len(pages)} pages "
           f"= uninterrupted run; {unextracted} articles left unextracted, {missing} of {n_events} events "
           f"missing (each restart extracts what a kill left); {seconds:.0f} s",
           "none")


def test_an_article_stored_just_before_a_kill_is_extracted_after_restart(sites: tuple[Path, NewsSite],
                                                                         tmp_path: Path) -> None:
    toml, _ = sites
    db = tmp_path / "window.db"
    child = subprocess.Popen(fundwire(*_crawl_args(toml, db), cwd=tmp_path), cwd=tmp_path, env=cli_env(tmp_path),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and child.poll() is None:
            if db.exists() and _unextracted_safe(db) > 0:
                break
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    hit = _unextracted(db)
    assert hit > 0, "the kill missed the window"
    done = run_fundwire(*_crawl_args(toml, db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    left = _unextracted(db)
    record("kill -9 between storing an article and extracting it", 1,
           f"{hit} article(s) stored unextracted at the kill; {left} still unextracted after a full restart",
           f"{left} article(s) without events until `extract --all`")
    assert left == 0


def _unextracted_safe(db: Path) -> int:
    try:
        return _unextracted(db)
    except sqlite3.Error:  # the schema may not exist yet
        return 0
