"""Security: SQL never built from values, export paths stay in their folder, secrets stay out of logs,
and the address guard holds after redirects and for DNS answers in private ranges."""

from __future__ import annotations

import ast
import asyncio
import datetime as dt
import socket
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from crawlers.errors import Blocked
from crawlers.fetch import Fetcher
from crawlers.records import Discovered, FetchResult, FrontierEntry, ParsedPage, UrlKind
from crawlers.settings import CrawlSettings
from extractor.cli import app
from extractor.dedup import apply_extraction
from extractor.records import FundingEvent
from extractor.store import Store

from .conftest import REPO, read_db, record, run_fundwire, sources_toml
from .fault_server import serve_news

INJECTION = "'; DROP TABLE events; --"
# Every name an f-string may put into SQL, and why that is safe (read from the code, not assumed).
SAFE_SQL_NAMES = {
    "BUSY_TIMEOUT_MS": "a module constant",
    "version": "migrate(): an int loop index (PRAGMA user_version takes no parameter)",
    "kind_sql": "claim_due(): ' AND kind IN (?,?,..)', placeholders only",
    "clause": "WHERE clauses assembled from fixed fragments with ? placeholders",
    "cols": "column names from FundingEvent.to_json()/event dict keys built in code, never from input",
    "updates": "replace_mentions(): 'c = excluded.c' for the same code-built column names",
    "table": "tests only",
}


def _sql_calls(path: Path) -> list[tuple[int, ast.expr]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args \
                and node.func.attr in ("execute", "executemany", "executescript", "query"):
            out.append((node.lineno, node.args[0]))
    return out


def _names_in(expr: ast.expr, assigned: dict[str, ast.expr]) -> tuple[set[str], list[str]]:
    """Names interpolated into an SQL expression (following local string assignments); problems found."""
    names: set[str] = set()
    problems: list[str] = []
    for node in ast.walk(expr):
        if isinstance(node, ast.FormattedValue):
            for sub in ast.walk(node.value):
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            problems.append("%-formatting")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
            problems.append(".format()")
    if isinstance(expr, ast.Name) and expr.id in assigned:
        more, more_problems = _names_in(assigned[expr.id], {})
        names |= more
        problems += more_problems
    return names, problems


@pytest.mark.parametrize("path", sorted((REPO / "extractor").glob("*.py")) + sorted((REPO / "crawlers").glob("*.py")),
                         ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_sql_is_built_from_values(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assigned = {t.id: n.value for n in ast.walk(tree) if isinstance(n, ast.Assign)
                for t in n.targets if isinstance(t, ast.Name)}
    bad = []
    for line, sql in _sql_calls(path):
        names, problems = _names_in(sql, assigned)
        unsafe = names - set(SAFE_SQL_NAMES) - {"join", "len", "kinds", "row", "where", "having"}
        if problems or unsafe:
            bad.append((line, problems, sorted(unsafe)))
    assert bad == [], f"{path.name}: SQL built from values at {bad}"


def _event(company: str) -> FundingEvent:
    return FundingEvent(company=company, round="A", round_text="A轮", currency="CNY", amount_text="1亿元",
                        evidence=f"{company}完成1亿元A轮融资", status=FundingEvent.__dataclass_fields__["status"].default)


def test_hostile_strings_are_stored_and_queried_as_data(fresh_store: Store) -> None:
    store = fresh_store
    url = f"http://127.0.0.1/a?q={INJECTION}"
    store.add_urls(INJECTION, [Discovered(url, UrlKind.ARTICLE, title=INJECTION)])
    entry = FrontierEntry(url=url, source=INJECTION, kind=UrlKind.ARTICLE)
    result = FetchResult(url=url, final_url=url, status=200, headers={"x": INJECTION}, body=INJECTION.encode(),
                         fetched_at=dt.datetime.now(dt.UTC))
    article_id = store.record_page(entry, result, ParsedPage(url=url, title=INJECTION, published=None, lang="zh",
                                                              text=INJECTION), next_due=None)
    assert article_id is not None
    apply_extraction(store, article_id, "v", [_event(INJECTION)])
    store.record_failure(entry, INJECTION, INJECTION, retry_at=None)
    assert [e["company"] for e in store.events(company=INJECTION)] == [INJECTION]
    assert store.events(company="' OR '1'='1") == []
    assert list(store.iter_articles(source="' OR 1=1 --")) == []
    assert [a.url for a in store.iter_articles(source=INJECTION)] == [url]
    assert store.report_rows(lang="' OR '1'='1", since=INJECTION) == []
    assert {"events", "articles", "mentions"} <= set(store.db.table_names())


def test_cli_filters_with_hostile_strings(tmp_path: Path, runner: CliRunner) -> None:
    db = tmp_path / "x.db"
    store = Store.open(db)
    test_hostile_strings_are_stored_and_queried_as_data(store)
    store.close()
    for args in (["events", "--company", INJECTION, "--json"], ["events", "--since", INJECTION],
                 ["report", "--lang", INJECTION], ["extract", "--all", "--source", INJECTION],
                 ["correct", "alias", INJECTION, "x' OR 1=1 --"]):
        done = runner.invoke(app, [*args, "--db", str(db)])
        assert done.exit_code == 0, (args, done.output)
    with read_db(db) as conn:  # extract --all re-read the article (no funding text: no event); all else intact
        assert conn.execute("SELECT url FROM articles").fetchall() == [(f"http://127.0.0.1/a?q={INJECTION}",)]
        assert conn.execute("SELECT a FROM corrections").fetchall() == [(INJECTION,)]
        assert {"events", "mentions", "companies"} <= {n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    record("SQL injection strings (store API + 5 CLI filters)", 5, "stored and matched as plain data; "
           "every table intact; AST check: no SQL from values in extractor/ or crawlers/")


@pytest.mark.parametrize("name", ["../x.csv", "../../x.csv", "sub/../../x.csv", "/tmp/fundwire-escape.csv",
                                  "link/x.csv"])
def test_export_cannot_escape_the_folder(tmp_path: Path, runner: CliRunner, name: str) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "sub").mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (folder / "link").symlink_to(outside)
    done = runner.invoke(app, ["export", "--format", "csv", "--into", str(folder), "--output", name,
                               "--db", str(tmp_path / "e.db")])
    assert done.exit_code != 0 and "outside the export folder" in done.output
    assert not (tmp_path / "x.csv").exists() and not (outside / "x.csv").exists()
    assert not Path("/tmp/fundwire-escape.csv").exists()


def test_credentials_and_tokens_never_reach_logs(tmp_path: Path) -> None:
    with serve_news(2) as news:
        host = news.base.removeprefix("http://")
        feed = f"http://reader:S3cretPassw0rd@{host}/feed.xml"
        failing = f"http://{host}/private-feed.xml?token=T0KEN-abc123"  # answers 404: an error is recorded
        toml = tmp_path / "s.toml"
        toml.write_text(sources_toml([("sec", "en", [feed, failing], [])]), encoding="utf-8")
        done = run_fundwire("crawl", "--once", "--sources", str(toml), "--source", "sec", "--allow-private",
                            "127.0.0.1", "--delay", "0", "--no-extract", "--db", str(tmp_path / "s.db"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "S3cretPassw0rd" not in output and "T0KEN-abc123" not in output
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert b"S3cretPassw0rd" not in raw  # userinfo is dropped when the registry canonicalises URLs
    with read_db(tmp_path / "s.db") as conn:
        errors = [e for (e,) in conn.execute("SELECT last_error FROM frontier WHERE last_error IS NOT NULL")]
    # a query-string token is part of the URL (the frontier's key), so the stored error repeats it
    record("credentials in a source URL / token query parameter", 1,
           "password never sent, stored or printed; token not printed; token kept in the frontier URL and "
           f"its stored error ({len(errors)} error row(s))")


PRIVATE_ANSWERS = [["10.0.0.5"], ["127.0.0.1"], ["::1"], ["169.254.169.254"], ["169.254.10.20"], ["::ffff:10.0.0.5"],
                   ["0.0.0.0"], ["100.64.0.1"], ["fd00::1"], ["fe80::1"], ["93.184.216.34", "10.0.0.5"],
                   ["224.0.0.1"]]


def _guarded_fetch(url: str, answers: dict[str, list[str]], routes: dict[str, httpx.Response],
                   allow: tuple[str, ...] = ()) -> tuple[object, list[str]]:
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(str(request.url))
        return routes.get(str(request.url), httpx.Response(200, text="ok"))

    async def resolve(host: str, port: int) -> list[str]:
        return answers[host]

    async def run() -> object:
        settings = CrawlSettings(allow_private=allow, respect_robots=False, per_host_delay_s=0, retries=0)
        async with Fetcher(settings, transport=httpx.MockTransport(handler), resolver=resolve) as fetcher:
            try:
                return await fetcher.fetch(url)
            except Blocked as exc:
                return exc

    return asyncio.run(run()), sent


@pytest.mark.parametrize("answer", PRIVATE_ANSWERS, ids=lambda a: "+".join(a))
def test_a_public_name_resolving_to_a_private_address_is_refused(answer: list[str]) -> None:
    result, sent = _guarded_fetch("http://news.example.com/a", {"news.example.com": answer}, {})
    assert isinstance(result, Blocked) and sent == []


def test_the_guard_holds_after_a_redirect_to_a_private_name() -> None:
    routes = {"http://news.example.com/a": httpx.Response(302, headers={"Location": "http://cdn.example.net/x"})}
    result, sent = _guarded_fetch("http://news.example.com/a", {"news.example.com": ["93.184.216.34"],
                                                                "cdn.example.net": ["10.0.0.5"]}, routes)
    assert isinstance(result, Blocked) and sent == ["http://news.example.com/a"]
    record("guard: DNS answers in private ranges", len(PRIVATE_ANSWERS) + 1,
           "every answer refused before any request (10/8, 127/8, ::1, 169.254/16, mapped v6, 0.0.0.0, "
           "100.64/10, fc00::/7, fe80::/10, multicast, mixed public+private, and after a redirect)")


def _loopback_alias() -> str | None:
    """A host name the system resolves to 127.0.0.1 without DNS (an /etc/hosts entry), not 'localhost'."""
    for name in (socket.gethostname(), "vm", "runsc"):
        if name == "localhost" or name.endswith(".localhost"):
            continue
        try:
            if {i[4][0] for i in socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)} == {"127.0.0.1"}:
                return name
        except OSError:
            continue
    return None


def test_dns_rebinding_between_check_and_connect_is_refused() -> None:
    name = _loopback_alias()
    if name is None:
        pytest.skip("no /etc/hosts alias of 127.0.0.1 to stand in for the second DNS answer")
    with serve_news(1) as news:
        port = news.base.rsplit(":", 1)[1]

        async def first_answer(host: str, port_: int) -> list[str]:
            return ["93.184.216.34"]  # what the rebinding DNS tells the guard

        async def run() -> object:
            settings = CrawlSettings(respect_robots=False, per_host_delay_s=0, retries=0, connect_timeout_s=2)
            async with Fetcher(settings, resolver=first_answer) as fetcher:
                try:
                    return await fetcher.fetch(f"http://{name}:{port}/feed.xml")
                except Exception as exc:  # noqa: BLE001 - any refusal is the right outcome
                    return exc

        result = asyncio.run(run())
        reached = news.hits["/feed.xml"]
    record("guard: DNS rebinding (check sees public, connect resolves to 127.0.0.1)", 1,
           f"the connection went to the vetted address, not a second lookup; loopback reached {reached} time(s)")
    assert reached == 0 and not isinstance(result, FetchResult)

