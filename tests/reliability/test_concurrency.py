"""`crawl --forever`, `extract --all` and `report` at once on one database file, repeatedly.

No process may fail with "database is locked", no write may be lost (every article stored, every
article's extraction matching its stored mentions), and the forever crawler stops on SIGTERM with
exit status 0 and no URL left in flight.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from .conftest import cli_env, fundwire, read_db, record, sources_toml
from .fault_server import serve_news

N_ARTICLES = 40
ROUNDS = 3
pytestmark = pytest.mark.slow


def _count(db: Path, sql: str) -> int:
    try:
        with read_db(db) as conn:
            return int(conn.execute(sql).fetchone()[0])
    except sqlite3.Error:  # the crawler has not created the schema yet
        return 0


def test_forever_crawl_extract_and_report_share_one_database(tmp_path: Path) -> None:
    started = time.monotonic()
    with serve_news(N_ARTICLES, delay_s=0.05) as news:
        toml = tmp_path / "sources.toml"
        toml.write_text(sources_toml([("gen", "zh", [news.base + "/feed.xml"], [])]), encoding="utf-8")
        db = tmp_path / "shared.db"
        env = cli_env(tmp_path)
        crawler = subprocess.Popen(
            fundwire("crawl", "--forever", "--sources", str(toml), "--source", "gen", "--allow-private",
                     "127.0.0.1", "--delay", "0", "--db", str(db), cwd=tmp_path),
            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stderrs: list[str] = []
        runs = {"extract --all": 0, "report": 0}
        try:
            deadline = time.monotonic() + 20
            while not db.exists() and time.monotonic() < deadline:
                time.sleep(0.05)
            for _ in range(ROUNDS):
                others = [
                    subprocess.Popen(fundwire("extract", "--all", "--db", str(db), cwd=tmp_path), cwd=tmp_path,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
                    subprocess.Popen(fundwire("report", "--format", "json", "--db", str(db), cwd=tmp_path),
                                     cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
                    subprocess.Popen(fundwire("report", "--period", "month", "--db", str(db), cwd=tmp_path),
                                     cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True),
                ]
                for proc, name in zip(others, ("extract --all", "report", "report"), strict=True):
                    _, err = proc.communicate(timeout=120)
                    stderrs.append(err)
                    assert proc.returncode == 0, f"{name}: {err}"
                    runs[name] += 1
                assert crawler.poll() is None, "the forever crawler stopped by itself"
            deadline = time.monotonic() + 60
            while _count(db, "SELECT count(*) FROM articles") < N_ARTICLES and time.monotonic() < deadline:
                time.sleep(0.1)
        finally:
            crawler.send_signal(signal.SIGTERM)
            try:
                _, crawl_err = crawler.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                crawler.kill()
                _, crawl_err = crawler.communicate()
        stderrs.append(crawl_err)
    assert crawler.returncode == 0, crawl_err
    assert not [e for e in stderrs if "locked" in e.lower() or "Traceback" in e]
    with read_db(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM frontier WHERE state = 'in_flight'").fetchone()[0] == 0
        articles = {u for (u,) in conn.execute("SELECT url FROM articles")}
        assert articles == set(news.article_urls())
        # every article extracted once, and each extraction's count equals its stored mentions
        mismatched = conn.execute(
            "SELECT a.id FROM articles a LEFT JOIN extractions x ON x.article_id = a.id"
            " WHERE x.article_id IS NULL OR x.n_events != (SELECT count(*) FROM mentions m WHERE m.article_id = a.id)"
        ).fetchall()
        assert mismatched == []
        orphans = conn.execute("SELECT count(*) FROM mentions m LEFT JOIN event_mentions em ON em.mention_id = m.id"
                               " WHERE em.mention_id IS NULL").fetchone()[0]
        assert orphans == 0
        n_events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    record("crawl --forever + extract --all + report on one file", f"{ROUNDS} rounds ({runs['extract --all']} "
           f"extract --all, {runs['report']} report)",
           f"no 'database is locked'; {len(articles)}/{N_ARTICLES} articles, every extraction count = its "
           f"mentions, {n_events} events; SIGTERM -> exit 0, 0 in flight; {time.monotonic() - started:.0f} s")
