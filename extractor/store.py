"""The store: the only module that touches the database (SQLite through sqlite-utils).

One file, WAL mode (readers never block the crawler), `busy_timeout` so concurrent writers wait
instead of failing, foreign keys on, and versioned migrations: `MIGRATIONS[i]` upgrades a database
at version `i` to `i + 1`, so a file created by an older fundwire upgrades in place on open.

Every public method that writes is one transaction. The store implements the crawler's
`CrawlState` protocol (frontier, pages, articles) and holds mentions, events and companies.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from crawlers.records import Discovered, FetchResult, FrontierEntry, ParsedPage, UrlKind
from extractor.records import Article, FundingEvent

BUSY_TIMEOUT_MS = 30_000


class StoreError(Exception):
    """The database cannot be used (not a fundwire database, or newer than this fundwire)."""


@dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article row with where it came from."""

    id: int
    url: str
    source: str | None
    article: Article


MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1: the tables of DESIGN.md
    """
    CREATE TABLE sources (
        name TEXT PRIMARY KEY, title TEXT, lang TEXT, kind TEXT, homepage TEXT,
        config TEXT, added_at TEXT NOT NULL
    );
    CREATE TABLE frontier (
        url TEXT PRIMARY KEY, source TEXT, kind TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'new',
        next_due TEXT NOT NULL, etag TEXT, last_modified TEXT, attempts INTEGER NOT NULL DEFAULT 0,
        last_error_kind TEXT, last_error TEXT, hint_title TEXT, hint_published TEXT,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX frontier_due ON frontier(state, next_due);
    CREATE TABLE pages (
        id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, final_url TEXT, status INTEGER,
        headers TEXT, body BLOB, body_size INTEGER, fetched_at TEXT NOT NULL
    );
    CREATE TABLE articles (
        id INTEGER PRIMARY KEY, page_id INTEGER REFERENCES pages(id), url TEXT NOT NULL UNIQUE,
        source TEXT, title TEXT, published TEXT, lang TEXT, text TEXT NOT NULL,
        charset TEXT, charset_method TEXT, added_at TEXT NOT NULL
    );
    CREATE INDEX articles_source ON articles(source, published);
    CREATE TABLE extractions (
        article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
        extractor_version TEXT NOT NULL, extracted_at TEXT NOT NULL, n_events INTEGER NOT NULL,
        error TEXT
    );
    CREATE TABLE companies (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, name TEXT NOT NULL);
    CREATE TABLE company_aliases (
        alias_key TEXT PRIMARY KEY, company_id INTEGER NOT NULL REFERENCES companies(id),
        alias TEXT NOT NULL, origin TEXT NOT NULL
    );
    CREATE TABLE mentions (
        id INTEGER PRIMARY KEY,
        article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
        idx INTEGER NOT NULL, company_id INTEGER REFERENCES companies(id),
        company TEXT NOT NULL, company_aliases TEXT, round TEXT, round_text TEXT,
        amount REAL, amount_min REAL, amount_max REAL, currency TEXT, amount_text TEXT,
        amount_undisclosed INTEGER, amount_cny REAL, amount_cny_min REAL, amount_cny_max REAL,
        fx_rate REAL, fx_date TEXT, date TEXT, date_precision TEXT, lead_investors TEXT,
        investors TEXT, is_current INTEGER, status TEXT, evidence TEXT, confidence REAL,
        spans TEXT, extractor_version TEXT NOT NULL,
        UNIQUE(article_id, idx)
    );
    CREATE INDEX mentions_company ON mentions(company_id);
    CREATE TABLE events (
        id TEXT PRIMARY KEY, company_id INTEGER REFERENCES companies(id), company TEXT NOT NULL,
        round TEXT, amount REAL, amount_min REAL, amount_max REAL, currency TEXT, amount_text TEXT,
        amount_cny REAL, amount_cny_min REAL, amount_cny_max REAL, date TEXT, date_precision TEXT,
        lead_investors TEXT, investors TEXT, status TEXT, n_mentions INTEGER NOT NULL,
        first_seen TEXT, conflicts TEXT, updated_at TEXT NOT NULL
    );
    CREATE INDEX events_company ON events(company_id);
    CREATE INDEX events_date ON events(date);
    CREATE TABLE event_mentions (
        event_id TEXT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        mention_id INTEGER NOT NULL REFERENCES mentions(id) ON DELETE CASCADE,
        PRIMARY KEY (event_id, mention_id)
    );
    CREATE INDEX event_mentions_mention ON event_mentions(mention_id);
    """,
    # 1 -> 2: user corrections, kept apart from extraction output so that re-extraction keeps them
    """
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, a TEXT NOT NULL, b TEXT, field TEXT, value TEXT,
        note TEXT, created_at TEXT NOT NULL
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)

_COMPANY_FILTER = ("(e.company LIKE ? OR e.company_id IN (SELECT company_id FROM company_aliases"
                   " WHERE alias LIKE ?))")
_MENTION_JSON = ("company_aliases", "lead_investors", "investors", "spans")


def _where(*conditions: tuple[str, Any]) -> tuple[str, list[Any]]:
    """'WHERE a AND b' and its arguments from (sql, value) pairs whose value is given; a tuple value
    fills several placeholders. The SQL is always the caller's literal; values are only bound."""
    used = [(sql, value if isinstance(value, tuple) else (value,)) for sql, value in conditions if value]
    clause = ("WHERE " + " AND ".join(sql for sql, _ in used)) if used else ""
    return clause, [v for _, values in used for v in values]


def _dicts(cur: sqlite3.Cursor, json_columns: Sequence[str] = ()) -> list[dict[str, Any]]:
    """A query's rows as dicts, the named JSON columns decoded (empty -> [] or, for spans, {})."""
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
    for row in rows:
        for key in json_columns:
            row[key] = json.loads(row[key]) if row[key] else ({} if key == "spans" else [])
    return rows


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _iso(value: dt.datetime | None) -> str:
    return (value or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).isoformat(timespec="seconds")


class Store:
    """A fundwire database. Open with `Store.open(path)` or `Store.memory()`."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.db = sqlite_utils.Database(conn)

    @classmethod
    def open(cls, path: str | Path, *, migrate: bool = True) -> Store:
        """Open (creating if needed) and bring the schema up to date."""
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None,
                               check_same_thread=False)
        store = cls(conn)
        store._configure(wal=True)
        if migrate:
            store.migrate()
        return store

    @classmethod
    def memory(cls) -> Store:
        """A fresh in-memory database (tests)."""
        conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        store = cls(conn)
        store._configure(wal=False)
        store.migrate()
        return store

    def _configure(self, *, wal: bool) -> None:
        try:
            self.conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if wal:
                self.conn.execute("PRAGMA journal_mode = WAL")
                self.conn.execute("PRAGMA synchronous = NORMAL")
            self.conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"not a usable SQLite database: {exc}") from exc

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE .. COMMIT (ROLLBACK on error); writers queue on busy_timeout."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    # -- schema ---------------------------------------------------------------------------------

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> list[int]:
        """Apply pending migrations; return the versions reached."""
        current = self.version
        if current > SCHEMA_VERSION:
            raise StoreError(f"database schema v{current} is newer than this fundwire (v{SCHEMA_VERSION})")
        applied = []
        for version in range(current, SCHEMA_VERSION):
            with self.transaction() as conn:
                for statement in MIGRATIONS[version].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {version + 1}")
            applied.append(version + 1)
        return applied

    def stats(self) -> dict[str, Any]:
        """Row counts per table, schema version and file facts."""
        counts = {t: self.db[t].count for t in self.db.table_names()}
        frontier = dict(self.conn.execute("SELECT state, count(*) FROM frontier GROUP BY state").fetchall())
        return {"schema_version": self.version, "tables": counts, "frontier": frontier,
                "journal_mode": self.conn.execute("PRAGMA journal_mode").fetchone()[0]}

    # -- sources --------------------------------------------------------------------------------

    def upsert_source(self, name: str, *, title: str | None, lang: str | None, kind: str | None,
                      homepage: str | None, config: dict[str, Any]) -> None:
        with self.transaction():
            self.db.table("sources").upsert(
                {"name": name, "title": title, "lang": lang, "kind": kind, "homepage": homepage,
                 "config": json.dumps(config, ensure_ascii=False), "added_at": _now()}, pk="name")

    # -- CrawlState -----------------------------------------------------------------------------

    def add_urls(self, source: str, found: Sequence[Discovered], *, due_at: dt.datetime | None = None) -> int:
        due, now, new = _iso(due_at), _now(), 0
        with self.transaction() as conn:
            for item in found:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO frontier (url, source, kind, state, next_due, hint_title,"
                    " hint_published, updated_at) VALUES (?, ?, ?, 'new', ?, ?, ?, ?)",
                    (item.url, source, str(item.kind), due, item.title,
                     item.published.isoformat() if item.published else None, now))
                new += cur.rowcount
        return new

    def claim_due(self, now: dt.datetime, limit: int, *, kinds: Sequence[UrlKind] | None = None) -> list[FrontierEntry]:
        kind_sql, args = "", [_iso(now)]
        if kinds:
            kind_sql = f" AND kind IN ({','.join('?' * len(kinds))})"
            args += [str(k) for k in kinds]
        with self.transaction() as conn:
            rows = conn.execute(
                "SELECT url, source, kind, etag, last_modified, attempts FROM frontier"
                f" WHERE state IN ('new', 'due') AND next_due <= ?{kind_sql}"
                " ORDER BY CASE kind WHEN 'article' THEN 1 ELSE 0 END, next_due LIMIT ?",
                (*args, limit)).fetchall()
            conn.executemany("UPDATE frontier SET state = 'in_flight', updated_at = ? WHERE url = ?",
                             [(_now(), r[0]) for r in rows])
        return [FrontierEntry(url=r[0], source=r[1], kind=UrlKind(r[2]), etag=r[3], last_modified=r[4],
                              attempts=r[5]) for r in rows]

    def _finish(self, conn: sqlite3.Connection, entry: FrontierEntry, next_due: dt.datetime | None,
                *, etag: str | None = None, last_modified: str | None = None) -> None:
        state = "due" if next_due is not None else "done"
        conn.execute(
            "UPDATE frontier SET state = ?, next_due = ?, etag = coalesce(?, etag),"
            " last_modified = coalesce(?, last_modified), attempts = 0, last_error_kind = NULL,"
            " last_error = NULL, updated_at = ? WHERE url = ?",
            (state, _iso(next_due), etag, last_modified, _now(), entry.url))

    def record_page(self, entry: FrontierEntry, result: FetchResult, article: ParsedPage | None,
                    *, next_due: dt.datetime | None) -> int | None:
        lower = {k.lower(): v for k, v in result.headers.items()}
        # inside the caller's transaction when one is open (the crawler commits pages in batches),
        # else one of its own: either way the page and its frontier row commit together
        scope = nullcontext(self.conn) if self.conn.in_transaction else self.transaction()
        with scope as conn:
            page_id = self._upsert_page(conn, entry.url, result)
            article_id = self._insert_article(conn, article, page_id, entry.source) if article else None
            self._finish(conn, entry, next_due, etag=lower.get("etag"), last_modified=lower.get("last-modified"))
        return article_id

    def _upsert_page(self, conn: sqlite3.Connection, url: str, result: FetchResult) -> int:
        row = (url, result.final_url, result.status, json.dumps(result.headers), zlib.compress(result.body, 1),
               len(result.body), _iso(result.fetched_at))
        cur = conn.execute("INSERT INTO pages (url, final_url, status, headers, body, body_size, fetched_at)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(url) DO UPDATE SET"
                           " final_url=excluded.final_url, status=excluded.status, headers=excluded.headers,"
                           " body=excluded.body, body_size=excluded.body_size, fetched_at=excluded.fetched_at"
                           " RETURNING id", row)
        return int(cur.fetchone()[0])

    def _insert_article(self, conn: sqlite3.Connection, article: ParsedPage, page_id: int | None,
                        source: str | None) -> int | None:
        cur = conn.execute(
            "INSERT OR IGNORE INTO articles (page_id, url, source, title, published, lang, text, charset,"
            " charset_method, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (page_id, article.url, source, article.title,
             article.published.isoformat() if article.published else None, article.lang, article.text,
             article.charset, article.charset_method, _now()))
        return int(cur.lastrowid) if cur.rowcount and cur.lastrowid is not None else None

    def add_inline_articles(self, source: str, articles: Sequence[ParsedPage]) -> list[int]:
        """Store feed items that carry their whole body; return ids of the new ones."""
        ids = []
        with self.transaction() as conn:
            for article in articles:
                conn.execute(
                    "INSERT OR IGNORE INTO frontier (url, source, kind, state, next_due, updated_at)"
                    " VALUES (?, ?, 'article', 'done', ?, ?)", (article.url, source, _now(), _now()))
                new_id = self._insert_article(conn, article, None, source)
                if new_id is not None:
                    ids.append(new_id)
        return ids

    def record_not_modified(self, entry: FrontierEntry, *, next_due: dt.datetime | None) -> None:
        with self.transaction() as conn:
            self._finish(conn, entry, next_due)

    def record_failure(self, entry: FrontierEntry, kind: str, message: str, *,
                       retry_at: dt.datetime | None) -> None:
        state = "due" if retry_at is not None else "failed"
        with self.transaction() as conn:
            conn.execute(
                "UPDATE frontier SET state = ?, next_due = ?, attempts = attempts + 1, last_error_kind = ?,"
                " last_error = ?, updated_at = ? WHERE url = ?",
                (state, _iso(retry_at), kind, message[:500], _now(), entry.url))

    def release(self, entries: Sequence[FrontierEntry]) -> None:
        with self.transaction() as conn:
            conn.executemany("UPDATE frontier SET state = 'due', updated_at = ? WHERE url = ?"
                             " AND state = 'in_flight'", [(_now(), e.url) for e in entries])

    def due_now(self, urls: Sequence[str]) -> int:
        now, changed = _now(), 0
        with self.transaction() as conn:
            for url in urls:
                changed += conn.execute("UPDATE frontier SET state = 'due', next_due = ?, updated_at = ? WHERE url = ?"
                                        " AND state IN ('new', 'due', 'done', 'failed')", (now, now, url)).rowcount
        return changed

    def recover_in_flight(self) -> int:
        """After a crash (kill -9), URLs left in flight become due again; return how many."""
        with self.transaction() as conn:
            return conn.execute("UPDATE frontier SET state = 'due', updated_at = ? WHERE state = 'in_flight'",
                                (_now(),)).rowcount

    # -- articles -------------------------------------------------------------------------------

    def page_body(self, page_id: int) -> bytes | None:
        row = self.conn.execute("SELECT body FROM pages WHERE id = ?", (page_id,)).fetchone()
        return zlib.decompress(row[0]) if row and row[0] is not None else None

    def get_article(self, article_id: int) -> StoredArticle | None:
        rows = list(self._article_rows("WHERE id = ?", [article_id]))
        return rows[0] if rows else None

    def find_article_by_url(self, url: str) -> StoredArticle | None:
        rows = list(self._article_rows("WHERE url = ?", [url]))
        return rows[0] if rows else None

    def iter_articles(self, *, since: str | None = None, source: str | None = None,
                      unextracted_for: str | None = None, never_extracted: bool = False) -> Iterator[StoredArticle]:
        """Articles in id order, optionally published since a date, from a source, not yet
        extracted by the given extractor version, or never extracted at all."""
        clause, args = _where(("coalesce(published, added_at) >= ?", since), ("source = ?", source),
                              ("id NOT IN (SELECT article_id FROM extractions WHERE extractor_version = ?)",
                               unextracted_for),
                              ("id NOT IN (SELECT article_id FROM extractions) AND ?", never_extracted))
        yield from self._article_rows(clause, args)

    def _article_rows(self, clause: str, args: Sequence[Any]) -> Iterator[StoredArticle]:
        sql = f"SELECT id, url, source, title, published, lang, text FROM articles {clause} ORDER BY id"
        for row in self.conn.execute(sql, list(args)).fetchall():
            published = dt.date.fromisoformat(row[4][:10]) if row[4] else None
            yield StoredArticle(id=row[0], url=row[1], source=row[2], article=Article(
                id=str(row[0]), text=row[6], title=row[3], published=published, lang=row[5], url=row[1]))

    # -- mentions, companies, events ------------------------------------------------------------

    def company_id(self, conn: sqlite3.Connection, key: str, name: str) -> int:
        """The company an alias key belongs to, created on first sight."""
        row = conn.execute("SELECT company_id FROM company_aliases WHERE alias_key = ?", (key,)).fetchone()
        if row:
            return int(row[0])
        row = conn.execute("SELECT id FROM companies WHERE key = ?", (key,)).fetchone()
        company = int(row[0]) if row else int(
            conn.execute("INSERT INTO companies (key, name) VALUES (?, ?)", (key, name)).lastrowid or 0)
        conn.execute("INSERT OR IGNORE INTO company_aliases (alias_key, company_id, alias, origin)"
                     " VALUES (?, ?, ?, 'article')", (key, company, name))
        return company

    def link_alias(self, conn: sqlite3.Connection, company: int, key: str, alias: str, origin: str) -> int | None:
        """Attach an alias to a company; if the alias already names another company, return that
        company's id so the caller can merge the two."""
        row = conn.execute("SELECT company_id FROM company_aliases WHERE alias_key = ?", (key,)).fetchone()
        if row is None:
            conn.execute("INSERT INTO company_aliases (alias_key, company_id, alias, origin) VALUES (?, ?, ?, ?)",
                         (key, company, alias, origin))
            return None
        return None if int(row[0]) == company else int(row[0])

    def merge_companies(self, conn: sqlite3.Connection, keep: int, gone: int) -> None:
        conn.execute("UPDATE company_aliases SET company_id = ? WHERE company_id = ?", (keep, gone))
        conn.execute("UPDATE mentions SET company_id = ? WHERE company_id = ?", (keep, gone))
        conn.execute("UPDATE events SET company_id = ? WHERE company_id = ?", (keep, gone))
        conn.execute("DELETE FROM companies WHERE id = ?", (gone,))

    def replace_mentions(self, conn: sqlite3.Connection, article_id: int, version: str,
                         mentions: Sequence[tuple[FundingEvent, int]]) -> set[int]:
        """Replace an article's mentions (with their company ids); return the companies touched."""
        touched = {int(r[0]) for r in conn.execute(
            "SELECT DISTINCT company_id FROM mentions WHERE article_id = ? AND company_id IS NOT NULL",
            (article_id,))}
        # rows are updated in place by (article, idx), so re-extracting keeps mention ids stable
        conn.execute("DELETE FROM mentions WHERE article_id = ? AND idx >= ?", (article_id, len(mentions)))
        for idx, (event, company) in enumerate(mentions):
            row = event.to_json()
            row["spans"] = {k: list(v) for k, v in event.spans.items()}
            for key in _MENTION_JSON:
                row[key] = json.dumps(row[key], ensure_ascii=False)
            row.update(article_id=article_id, idx=idx, company_id=company, extractor_version=version,
                       is_current=int(event.is_current), amount_undisclosed=int(event.undisclosed))
            cols = ", ".join(row)  # column names come from FundingEvent's fields, never from input
            updates = ", ".join(f"{c} = excluded.{c}" for c in row if c not in ("article_id", "idx"))
            conn.execute(f"INSERT INTO mentions ({cols}) VALUES ({', '.join('?' * len(row))})"
                         f" ON CONFLICT(article_id, idx) DO UPDATE SET {updates}", list(row.values()))
            touched.add(company)
        conn.execute(
            "INSERT INTO extractions (article_id, extractor_version, extracted_at, n_events) VALUES (?, ?, ?, ?)"
            " ON CONFLICT(article_id) DO UPDATE SET extractor_version = excluded.extractor_version,"
            " extracted_at = excluded.extracted_at, n_events = excluded.n_events, error = NULL",
            (article_id, version, _now(), len(mentions)))
        return touched

    def add_correction(self, conn: sqlite3.Connection, kind: str, a: str, b: str | None = None,
                       field: str | None = None, value: str | None = None, note: str | None = None) -> None:
        conn.execute("INSERT INTO corrections (kind, a, b, field, value, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (kind, a, b, field, value, note, _now()))

    def corrections(self, conn: sqlite3.Connection) -> list[dict[str, Any]]:
        cur = conn.execute("SELECT kind, a, b, field, value FROM corrections ORDER BY id")
        return [dict(zip(("kind", "a", "b", "field", "value"), row, strict=True)) for row in cur.fetchall()]

    def event_mentions_of(self, conn: sqlite3.Connection, event_id: str) -> tuple[int, list[dict[str, Any]]] | None:
        """An event's company and its mentions, or None when there is no such event."""
        row = conn.execute("SELECT company_id FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            return None
        ids = {r[0] for r in conn.execute("SELECT mention_id FROM event_mentions WHERE event_id = ?", (event_id,))}
        return int(row[0]), [m for m in self.mentions_of_company(conn, int(row[0])) if m["id"] in ids]

    def company_of_alias(self, conn: sqlite3.Connection, key: str) -> int | None:
        row = conn.execute("SELECT company_id FROM company_aliases WHERE alias_key = ?", (key,)).fetchone()
        return int(row[0]) if row else None

    def mentions_of_company(self, conn: sqlite3.Connection, company: int) -> list[dict[str, Any]]:
        cur = conn.execute(
            "SELECT m.*, a.published AS article_published, a.source AS article_source FROM mentions m"
            " JOIN articles a ON a.id = m.article_id WHERE m.company_id = ? ORDER BY m.article_id, m.idx",
            (company,))
        return _dicts(cur, _MENTION_JSON)

    def replace_events(self, conn: sqlite3.Connection, company: int, events: Sequence[dict[str, Any]]) -> None:
        """Replace the events of one company; each event dict carries `mention_ids`."""
        conn.execute("DELETE FROM events WHERE company_id = ?", (company,))
        for event in events:
            row = {k: v for k, v in event.items() if k != "mention_ids"}
            for key in ("lead_investors", "investors", "conflicts"):
                row[key] = json.dumps(row.get(key) or [], ensure_ascii=False)
            row.update(company_id=company, updated_at=_now())
            cols = ", ".join(row)
            conn.execute(f"INSERT INTO events ({cols}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
            conn.executemany("INSERT INTO event_mentions (event_id, mention_id) VALUES (?, ?)",
                             [(row["id"], m) for m in event["mention_ids"]])

    def events(self, *, since: str | None = None, until: str | None = None, company: str | None = None,
               limit: int | None = None) -> list[dict[str, Any]]:
        """Deduplicated events, newest first, with their source URLs."""
        like = (f"%{company}%", f"%{company}%") if company else None
        clause, args = _where(("e.date >= ?", since), ("e.date <= ?", until),
                              (_COMPANY_FILTER, like))
        sql = (f"SELECT e.*, (SELECT json_group_array(DISTINCT a.url) FROM event_mentions em"
               f" JOIN mentions m ON m.id = em.mention_id JOIN articles a ON a.id = m.article_id"
               f" WHERE em.event_id = e.id) AS sources FROM events e {clause}"
               f" ORDER BY e.date IS NULL, e.date DESC, e.id" + (" LIMIT ?" if limit else ""))
        cur = self.conn.execute(sql, args + ([limit] if limit else []))
        return _dicts(cur, ("lead_investors", "investors", "conflicts", "sources"))

    def report_rows(self, *, since: str | None = None, until: str | None = None, lang: str | None = None,
                    current_only: bool = False) -> list[dict[str, Any]]:
        """Events with the title and text of their articles (for sectors) and their articles' languages."""
        clause, args = _where(("e.date >= ?", since), ("e.date <= ?", until))
        where = [clause.removeprefix("WHERE ") or "1", "e.date IS NOT NULL"]
        having = []
        if lang:
            having.append("sum(a.lang = ?) > 0")
            args.append(lang)
        if current_only:
            having.append("max(m.is_current) = 1")
        sql = ("SELECT e.id, e.date, e.company, e.round, e.amount_text, e.amount_cny, e.amount_cny_min,"
               " e.amount_cny_max, group_concat(coalesce(a.title, '') || ' ' || substr(a.text, 1, 2000), ' ') AS text"
               " FROM events e JOIN event_mentions em ON em.event_id = e.id JOIN mentions m ON m.id = em.mention_id"
               " JOIN articles a ON a.id = m.article_id WHERE " + " AND ".join(where) + " GROUP BY e.id"
               + (" HAVING " + " AND ".join(having) if having else "") + " ORDER BY e.date")
        return _dicts(self.conn.execute(sql, args))

    def mentions(self) -> Iterator[dict[str, Any]]:
        cur = self.conn.execute("SELECT m.*, a.url AS article_url FROM mentions m JOIN articles a"
                                " ON a.id = m.article_id ORDER BY m.id")
        names = [d[0] for d in cur.description]
        for values in cur:
            yield dict(zip(names, values, strict=True))
