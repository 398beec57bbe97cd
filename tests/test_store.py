"""The store on a real SQLite file: pragmas, migrations, the crawler's frontier, pages, concurrency."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
import time
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from crawlers.records import Discovered, FetchResult, FrontierEntry, ParsedPage, UrlKind
from extractor import store as store_module
from extractor.store import BUSY_TIMEOUT_MS, SCHEMA_VERSION, Store, StoreError

UTC = dt.UTC
NOW = dt.datetime(2024, 5, 20, 12, 0, tzinfo=UTC)
TABLES = {"sources", "frontier", "pages", "articles", "extractions", "companies", "company_aliases",
          "mentions", "events", "event_mentions"}
# A GBK page with bytes that are not UTF-8: the store must hand back exactly what was fetched.
GBK_PAGE = ("<html><head><meta charset='gbk'><title>深空智元完成数亿元B+轮融资</title></head><body>"
            + "<p>深空智元今日宣布完成数亿元B+轮融资，由星河资本领投。</p>" * 40 + "</body></html>").encode("gbk")


@pytest.fixture
def store(tmp_db: Path) -> Iterator[Store]:
    opened = Store.open(tmp_db)
    try:
        yield opened
    finally:
        opened.close()


def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection that looks at the file without going through the store."""
    return sqlite3.connect(str(path), isolation_level=None)


def frontier_row(store: Store, url: str) -> dict:
    cur = store.conn.execute("SELECT * FROM frontier WHERE url = ?", (url,))
    names = [d[0] for d in cur.description]
    row = cur.fetchone()
    assert row is not None, f"{url} is not in the frontier"
    return dict(zip(names, row, strict=True))


def fetched(url: str, body: bytes = GBK_PAGE, **headers: str) -> FetchResult:
    return FetchResult(url=url, final_url=url, status=200, headers={"Content-Type": "text/html", **headers},
                       body=body, fetched_at=NOW)


def parsed(url: str, title: str = "深空智元完成数亿元B+轮融资",
           text: str = "深空智元今日宣布完成数亿元B+轮融资，由星河资本领投。") -> ParsedPage:
    return ParsedPage(url=url, title=title, published=dt.datetime(2024, 5, 20, 10, 30, tzinfo=UTC), lang="zh",
                      text=text, charset="gbk", charset_method="meta")


def claim_one(store: Store, url: str) -> FrontierEntry:
    store.add_urls("demo-zh", [Discovered(url)], due_at=NOW)
    (entry,) = [e for e in store.claim_due(NOW, 100) if e.url == url]
    return entry


# -- the connection -----------------------------------------------------------------------------

def test_open_creates_the_file_in_wal_mode(tmp_db: Path, store: Store) -> None:
    assert tmp_db.is_file()
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # WAL is a property of the file: another connection sees it too
    with raw(tmp_db) as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_busy_timeout_and_foreign_keys_are_on(store: Store) -> None:
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == BUSY_TIMEOUT_MS
    assert BUSY_TIMEOUT_MS >= 1000
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(sqlite3.IntegrityError), store.transaction() as conn:
        conn.execute("INSERT INTO extractions (article_id, extractor_version, extracted_at, n_events)"
                     " VALUES (999, 'v', '2024-01-01', 0)")
    assert store.db["extractions"].count == 0


def test_a_failed_transaction_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO companies (key, name) VALUES ('acme', 'Acme')")
        raise RuntimeError("boom")
    assert store.db["companies"].count == 0
    store.add_urls("s", [Discovered("https://example.com/a")])  # the connection is usable again
    assert store.db["frontier"].count == 1


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path) -> None:
    junk = tmp_path / "notes.db"
    junk.write_text("this is a shopping list, not a database\n" * 50, encoding="utf-8")
    with pytest.raises(StoreError, match="not a usable SQLite database"):
        Store.open(junk)


# -- migrations ---------------------------------------------------------------------------------

def test_a_new_file_gets_every_table_at_the_current_version(store: Store) -> None:
    assert store.version == SCHEMA_VERSION >= 1
    assert TABLES <= set(store.db.table_names())


def test_an_empty_version_0_file_is_migrated_in_place(tmp_db: Path) -> None:
    with raw(tmp_db) as conn:
        conn.execute("PRAGMA user_version = 0")
        conn.execute("CREATE TABLE keep_me (x INTEGER)")  # something of the user's own in the file
        conn.execute("INSERT INTO keep_me VALUES (42)")
    store = Store.open(tmp_db)
    try:
        assert store.version == SCHEMA_VERSION
        assert TABLES <= set(store.db.table_names())
        assert store.conn.execute("SELECT x FROM keep_me").fetchall() == [(42,)]
    finally:
        store.close()


def test_migrate_is_idempotent_and_keeps_data(tmp_db: Path) -> None:
    first = Store.open(tmp_db, migrate=False)
    assert first.migrate() == list(range(1, SCHEMA_VERSION + 1))
    first.add_urls("demo-zh", [Discovered("https://example.cn/a/1.html")])
    assert first.migrate() == []
    first.close()
    again = Store.open(tmp_db)
    try:
        assert again.migrate() == []
        assert again.version == SCHEMA_VERSION
        assert again.db["frontier"].count == 1
    finally:
        again.close()


def test_an_older_database_with_rows_upgrades_in_place(tmp_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file written by this fundwire opens in a future one whose schema has one more migration."""
    old = Store.open(tmp_db)
    old.add_inline_articles("demo-zh", [parsed("https://example.cn/a/1.html")])
    old.close()
    upgrade = "ALTER TABLE articles ADD COLUMN summary TEXT; CREATE INDEX articles_lang ON articles(lang)"
    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, upgrade))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    new = Store.open(tmp_db)
    try:
        assert new.version == SCHEMA_VERSION + 1
        assert "summary" in new.db["articles"].columns_dict
        (article,) = new.iter_articles()
        assert article.url == "https://example.cn/a/1.html"
        assert article.article.title == "深空智元完成数亿元B+轮融资"
    finally:
        new.close()


@pytest.mark.parametrize("old_version", range(1, SCHEMA_VERSION))
def test_a_database_at_every_older_version_upgrades_in_place(tmp_db: Path, old_version: int) -> None:
    """Build the file exactly as fundwire v`old_version` left it, with rows, and open it now."""
    with raw(tmp_db) as conn:
        for migration in store_module.MIGRATIONS[:old_version]:
            conn.executescript(migration)
        conn.execute(f"PRAGMA user_version = {old_version}")
        conn.execute("INSERT INTO articles (url, source, title, published, lang, text, added_at) VALUES"
                     " ('https://example.cn/a/1.html', 'demo-zh', '深空智元完成数亿元B+轮融资', '2024-05-20',"
                     " 'zh', '深空智元今日宣布完成数亿元B+轮融资。', '2024-05-20T02:30:00+00:00')")
        conn.execute("INSERT INTO frontier (url, source, kind, state, next_due, updated_at) VALUES"
                     " ('https://example.cn/a/1.html', 'demo-zh', 'article', 'done', '2024-05-20', '2024-05-20')")
    store = Store.open(tmp_db)
    try:
        assert store.version == SCHEMA_VERSION
        assert TABLES <= set(store.db.table_names())
        (article,) = store.iter_articles()
        assert (article.url, article.article.published) == ("https://example.cn/a/1.html", dt.date(2024, 5, 20))
        assert store.stats()["frontier"] == {"done": 1}
        assert store.migrate() == []
    finally:
        store.close()


def test_a_broken_migration_leaves_the_database_at_its_old_version(
        tmp_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(tmp_db).close()
    broken = "CREATE TABLE half_done (x INTEGER); ALTER TABLE no_such_table ADD COLUMN y TEXT"
    monkeypatch.setattr(store_module, "MIGRATIONS", (*store_module.MIGRATIONS, broken))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(sqlite3.OperationalError):
        Store.open(tmp_db)
    with raw(tmp_db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "half_done" not in names


def test_a_database_from_a_newer_fundwire_is_refused(tmp_db: Path) -> None:
    Store.open(tmp_db).close()
    with raw(tmp_db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer"):
        Store.open(tmp_db)
    with raw(tmp_db) as conn:  # and it was left alone
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


# -- the frontier -------------------------------------------------------------------------------

def test_add_urls_dedups(store: Store) -> None:
    url = "https://36kr.com/p/2650000000000001"
    assert store.add_urls("36kr", [Discovered(url), Discovered(url)]) == 1
    assert store.add_urls("36kr", [Discovered(url, title="again")]) == 0
    assert store.add_urls("other", [Discovered(url)]) == 0
    assert store.db["frontier"].count == 1
    row = frontier_row(store, url)
    assert (row["source"], row["state"], row["kind"]) == ("36kr", "new", "article")


def test_add_urls_keeps_the_listing_hints(store: Store) -> None:
    url = "https://techcrunch.com/2024/05/20/quillstream/"
    published = dt.datetime(2024, 5, 20, 9, 0, tzinfo=UTC)
    store.add_urls("techcrunch", [Discovered(url, title="Quillstream raises $18M", published=published)])
    row = frontier_row(store, url)
    assert row["hint_title"] == "Quillstream raises $18M"
    assert dt.datetime.fromisoformat(row["hint_published"]) == published


def test_claim_due_marks_in_flight_and_respects_due_time_and_limit(store: Store) -> None:
    now_urls = [f"https://example.com/now/{i}" for i in range(5)]
    later = "https://example.com/later"
    store.add_urls("s", [Discovered(u) for u in now_urls], due_at=NOW - dt.timedelta(minutes=1))
    store.add_urls("s", [Discovered(later)], due_at=NOW + dt.timedelta(hours=1))

    first = store.claim_due(NOW, 3)
    assert len(first) == 3
    assert all(frontier_row(store, e.url)["state"] == "in_flight" for e in first)
    second = store.claim_due(NOW, 10)
    assert {e.url for e in first} | {e.url for e in second} == set(now_urls)
    assert not {e.url for e in first} & {e.url for e in second}, "a URL was handed out twice"
    assert store.claim_due(NOW, 10) == []
    assert frontier_row(store, later)["state"] == "new"
    (due_later,) = store.claim_due(NOW + dt.timedelta(hours=2), 10)
    assert due_later.url == later


def test_claim_due_hands_out_feeds_before_articles_and_filters_kinds(store: Store) -> None:
    store.add_urls("s", [Discovered("https://example.com/a1"), Discovered("https://example.com/a2")], due_at=NOW)
    store.add_urls("s", [Discovered("https://example.com/feed.xml", kind=UrlKind.FEED)], due_at=NOW)
    (first,) = store.claim_due(NOW, 1)
    assert (first.url, first.kind) == ("https://example.com/feed.xml", UrlKind.FEED)
    assert store.claim_due(NOW, 10, kinds=[UrlKind.SITEMAP]) == []
    assert {e.kind for e in store.claim_due(NOW, 10, kinds=[UrlKind.ARTICLE])} == {UrlKind.ARTICLE}


def test_record_page_keeps_the_exact_bytes_compressed(store: Store) -> None:
    url = "https://example.cn/articles/100587.html"
    entry = claim_one(store, url)
    article_id = store.record_page(entry, fetched(url, ETag='"abc"', **{"Last-Modified": "Mon, 20 May 2024"}),
                                   parsed(url), next_due=None)
    assert article_id is not None
    page_id, stored, size = store.conn.execute("SELECT id, body, body_size FROM pages WHERE url = ?",
                                               (url,)).fetchone()
    assert store.page_body(page_id) == GBK_PAGE
    assert size == len(GBK_PAGE)
    assert stored != GBK_PAGE and len(stored) < len(GBK_PAGE) / 2, "the body is not stored compressed"
    assert zlib.decompress(stored) == GBK_PAGE
    row = frontier_row(store, url)
    assert (row["state"], row["etag"], row["last_modified"]) == ("done", '"abc"', "Mon, 20 May 2024")
    article = store.get_article(article_id)
    assert article is not None and article.source == "demo-zh"
    assert article.article.published == dt.date(2024, 5, 20)
    assert article.article.text.startswith("深空智元")
    assert store.conn.execute("SELECT page_id FROM articles WHERE id = ?", (article_id,)).fetchone()[0] == page_id


def test_refetching_a_page_updates_it_without_a_second_article(store: Store) -> None:
    url = "https://example.cn/articles/100587.html"
    entry = claim_one(store, url)
    first = store.record_page(entry, fetched(url), parsed(url), next_due=NOW + dt.timedelta(days=1))
    assert frontier_row(store, url)["state"] == "due"
    newer = b"<html><body>updated</body></html>"
    again = store.record_page(entry, fetched(url, newer), parsed(url), next_due=None)
    assert first is not None and again is None
    assert store.db["pages"].count == 1 and store.db["articles"].count == 1
    (page_id,) = store.conn.execute("SELECT id FROM pages").fetchone()
    assert store.page_body(page_id) == newer
    assert store.page_body(page_id + 1000) is None


def test_a_page_without_an_article_is_still_kept(store: Store) -> None:
    url = "https://example.cn/feed.xml"
    store.add_urls("s", [Discovered(url, kind=UrlKind.FEED)], due_at=NOW)
    (entry,) = store.claim_due(NOW, 1)
    assert store.record_page(entry, fetched(url, b"<rss/>"), None, next_due=NOW + dt.timedelta(hours=1)) is None
    assert store.db["pages"].count == 1 and store.db["articles"].count == 0
    assert frontier_row(store, url)["state"] == "due"


def test_record_failure_retries_or_gives_up(store: Store) -> None:
    flaky, gone = "https://example.com/flaky", "https://example.com/gone"
    store.add_urls("s", [Discovered(flaky), Discovered(gone)], due_at=NOW)
    entries = {e.url: e for e in store.claim_due(NOW, 10)}
    retry_at = NOW + dt.timedelta(minutes=5)
    store.record_failure(entries[flaky], "timeout", "read timed out", retry_at=retry_at)
    store.record_failure(entries[gone], "http_404", "x" * 2000, retry_at=None)
    row = frontier_row(store, flaky)
    assert (row["state"], row["attempts"], row["last_error_kind"], row["last_error"]) == \
        ("due", 1, "timeout", "read timed out")
    gave_up = frontier_row(store, gone)
    assert gave_up["state"] == "failed" and len(gave_up["last_error"]) <= 500
    assert store.claim_due(NOW + dt.timedelta(minutes=1), 10) == []
    (retried,) = store.claim_due(retry_at, 10)
    assert (retried.url, retried.attempts) == (flaky, 1)
    store.record_page(retried, fetched(flaky), None, next_due=None)
    assert frontier_row(store, flaky)["attempts"] == 0  # success clears the error
    assert frontier_row(store, flaky)["last_error"] is None
    assert store.claim_due(NOW + dt.timedelta(days=365), 10) == []  # the failed one never comes back


def test_record_not_modified(store: Store) -> None:
    url = "https://example.com/feed"
    entry = claim_one(store, url)
    store.record_not_modified(entry, next_due=NOW + dt.timedelta(hours=1))
    assert frontier_row(store, url)["state"] == "due"
    assert store.db["pages"].count == 0


def test_release_and_recover_in_flight(store: Store) -> None:
    urls = [f"https://example.com/{i}" for i in range(4)]
    store.add_urls("s", [Discovered(u) for u in urls], due_at=NOW)
    claimed = store.claim_due(NOW, 4)
    store.record_page(claimed[0], fetched(claimed[0].url), None, next_due=None)
    store.release(claimed[:2])  # a clean shutdown with claimed[1] unfinished
    assert frontier_row(store, claimed[0].url)["state"] == "done", "release must not reopen finished URLs"
    assert frontier_row(store, claimed[1].url)["state"] == "due"
    # claimed[2:] stay in flight, as after kill -9
    assert store.recover_in_flight() == 2
    assert store.recover_in_flight() == 0
    assert {e.url for e in store.claim_due(NOW, 10)} == {u.url for u in claimed[1:]}


def test_in_flight_survives_reopening(tmp_db: Path) -> None:
    """The frontier lives in the file: a crawler killed mid-pass resumes in a new process."""
    first = Store.open(tmp_db)
    first.add_urls("s", [Discovered("https://example.com/x")], due_at=NOW)
    first.claim_due(NOW, 1)
    first.close()
    second = Store.open(tmp_db)
    try:
        assert second.claim_due(NOW, 1) == []
        assert second.recover_in_flight() == 1
        assert [e.url for e in second.claim_due(NOW, 1)] == ["https://example.com/x"]
    finally:
        second.close()


# -- articles and stats -------------------------------------------------------------------------

def test_inline_articles_dedup_by_url_and_filter(store: Store) -> None:
    a = parsed("https://example.cn/a/1.html")
    b = ParsedPage(url="https://example.com/b", title="Acme Robotics raises $20M", lang="en",
                   published=dt.datetime(2023, 1, 2, tzinfo=UTC), text="Acme Robotics raised a $20 million Series A.")
    ids = store.add_inline_articles("feed-zh", [a])
    ids += store.add_inline_articles("feed-en", [b, a])
    assert len(ids) == 2 and store.db["articles"].count == 2
    assert frontier_row(store, a.url)["state"] == "done"
    assert [s.url for s in store.iter_articles(since="2024-01-01")] == [a.url]
    assert [s.url for s in store.iter_articles(source="feed-en")] == [b.url]
    found = store.find_article_by_url(b.url)
    assert found is not None and found.article.lang == "en" and found.article.id == str(found.id)
    assert store.find_article_by_url("https://example.com/nope") is None
    assert store.get_article(12345) is None
    with store.transaction() as conn:
        conn.execute("INSERT INTO extractions (article_id, extractor_version, extracted_at, n_events)"
                      " VALUES (?, 'v1', '2024-01-01', 0)", (ids[0],))
    assert [s.id for s in store.iter_articles(unextracted_for="v1")] == [ids[1]]
    assert len(list(store.iter_articles(unextracted_for="v2"))) == 2


def test_stats(store: Store) -> None:
    store.add_urls("s", [Discovered(f"https://example.com/{i}") for i in range(3)], due_at=NOW)
    store.claim_due(NOW, 1)
    store.add_inline_articles("s", [parsed("https://example.cn/a/1.html")])
    stats = store.stats()
    assert stats["schema_version"] == SCHEMA_VERSION
    assert stats["journal_mode"] == "wal"
    assert TABLES <= set(stats["tables"])
    assert stats["tables"]["frontier"] == 4 and stats["tables"]["articles"] == 1
    assert stats["tables"]["events"] == 0
    assert stats["frontier"] == {"new": 2, "in_flight": 1, "done": 1}


def test_memory_store_is_migrated(fresh_store: Store) -> None:
    assert fresh_store.version == SCHEMA_VERSION
    assert fresh_store.stats()["tables"]["articles"] == 0


# -- two processes on one file ------------------------------------------------------------------

def test_a_reader_is_not_blocked_by_a_writer_in_a_transaction(tmp_db: Path) -> None:
    writer, reader = Store.open(tmp_db), Store.open(tmp_db)
    try:
        writer.add_urls("s", [Discovered("https://example.com/old")])
        with writer.transaction() as conn:
            conn.execute("INSERT INTO companies (key, name) VALUES ('acme', 'Acme Robotics')")
            # the reader sees the last committed state, at once, without 'database is locked'
            started = time.perf_counter()
            assert reader.db["frontier"].count == 1
            assert reader.db["companies"].count == 0
            assert reader.stats()["tables"]["frontier"] == 1
            assert time.perf_counter() - started < 1.0
        assert reader.db["companies"].count == 1
    finally:
        writer.close()
        reader.close()


def test_a_second_writer_waits_instead_of_failing(tmp_db: Path) -> None:
    first, second = Store.open(tmp_db), Store.open(tmp_db)
    holding, errors = threading.Event(), []

    def hold_write_lock() -> None:
        try:
            with first.transaction() as conn:
                conn.execute("INSERT INTO companies (key, name) VALUES ('acme', 'Acme Robotics')")
                holding.set()
                time.sleep(0.4)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    thread = threading.Thread(target=hold_write_lock)
    thread.start()
    try:
        assert holding.wait(5)
        started = time.perf_counter()
        assert second.add_urls("s", [Discovered("https://example.com/x")]) == 1  # waits on busy_timeout
        waited = time.perf_counter() - started
        thread.join(5)
        assert not errors
        assert waited > 0.1, "the second writer did not wait for the first one's transaction"
        assert second.db["companies"].count == 1 and second.db["frontier"].count == 1
    finally:
        thread.join(5)
        first.close()
        second.close()
