"""`fundwire serve`: the Datasette metadata and canned queries, a real Datasette on 127.0.0.1 asked
over HTTP, and headless Chromium showing the pages a user would open.

The canned queries' SQL is checked against the report's own arithmetic without Datasette; the
server tests skip where Datasette (the `web` extra) is absent, the browser test where Debian's
`chromium` is.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from bs4 import BeautifulSoup

from crawlers.records import FetchResult, FrontierEntry, ParsedPage, UrlKind
from extractor import serve
from extractor.dedup import apply_extraction
from extractor.records import FundingEvent
from extractor.report import build_report, format_cny
from extractor.store import Store

UTC = dt.UTC
CHROMIUM = Path("/usr/bin/chromium")
HAS_DATASETTE = importlib.util.find_spec("datasette") is not None
needs_datasette = pytest.mark.skipif(not HAS_DATASETTE, reason="Datasette is not installed (pip install 'fundwire[web]')")
STARTUP_TIMEOUT_S = 20.0
CHROMIUM_TIMEOUT_S = 45.0
PAGE_BODY = b"<html><body><p>raw page bytes that must not reach the browser</p></body></html>" * 50

# The events the test database holds, by company: what a user must see.
DEEP_SPACE, MOONSHOT, STAR_ROBOT = "深空智元", "Moonshot AI", "星河机器人"


def _article(n: int, lang: str, day: dt.date, title: str) -> ParsedPage:
    return ParsedPage(url=f"https://news.example/{lang}/{n}", title=title,
                      published=dt.datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC), lang=lang,
                      text=title + "。", charset="utf-8", charset_method="feed")


def build_db(path: Path) -> None:
    """Three events over three quarters: a vague yuan amount reported twice (zh and en), a dollar
    amount, an exact yuan amount; one article comes from a fetched page whose raw body is stored."""
    store = Store.open(path)
    try:
        deep_space = FundingEvent(
            company=DEEP_SPACE, round="B+", round_text="B+轮", amount_min=Decimal("1e8"), currency="CNY",
            amount_text="数亿元", amount_cny_min=Decimal("1e8"), date=dt.date(2024, 5, 20), date_precision="day",
            lead_investors=("星河资本",), investors=("星河资本", "云起创投"), evidence="深空智元完成数亿元B+轮融资")
        moonshot = FundingEvent(
            company=MOONSHOT, round="B", amount=Decimal("1e9"), currency="USD", amount_text="$1 billion",
            amount_cny=Decimal("7.1e9"), fx_rate=Decimal("7.1"), date=dt.date(2024, 2, 5), date_precision="day",
            lead_investors=("Alibaba",), investors=("Alibaba",), evidence="Moonshot AI raised $1 billion")
        star_robot = FundingEvent(
            company=STAR_ROBOT, round="A", amount=Decimal("5e7"), currency="CNY", amount_text="5000万元",
            amount_cny=Decimal("5e7"), date=dt.date(2023, 11, 20), date_precision="day", evidence="星河机器人完成5000万元A轮融资")
        zh1, zh2, en1 = store.add_inline_articles("demo-zh", [
            _article(1, "zh", dt.date(2024, 5, 20), "深空智元完成数亿元B+轮融资"),
            _article(2, "zh", dt.date(2023, 11, 20), "星河机器人完成5000万元A轮融资"),
            _article(3, "en", dt.date(2024, 2, 5), "Moonshot AI raises $1 billion")])
        url = "https://news.example/zh/4"
        fetched = FetchResult(url=url, final_url=url, status=200, headers={"Content-Type": "text/html"},
                              body=PAGE_BODY, fetched_at=dt.datetime(2024, 5, 21, tzinfo=UTC))
        zh4 = store.record_page(FrontierEntry(url=url, source="demo-zh", kind=UrlKind.ARTICLE), fetched,
                                _article(4, "zh", dt.date(2024, 5, 21), "深空智元B+轮融资数亿元"), next_due=None)
        assert zh4 is not None
        apply_extraction(store, zh1, "test", [deep_space])
        apply_extraction(store, zh2, "test", [star_robot])
        apply_extraction(store, en1, "test", [moonshot])
        apply_extraction(store, zh4, "test", [deep_space])  # a second report of the same round
    finally:
        store.close()


@pytest.fixture(scope="module")
def db_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("serve") / "fundwire.db"
    build_db(path)
    return path


def query(path: Path, sql: str, **params: str) -> list[dict]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        cur = conn.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
    finally:
        conn.close()


# -- metadata and SQL, no Datasette needed -------------------------------------------------------

def test_test_database_merged_the_two_reports(db_path: Path) -> None:
    store = Store.open(db_path)
    try:
        events = {e["company"]: e for e in store.events()}
    finally:
        store.close()
    assert set(events) >= {DEEP_SPACE, MOONSHOT, STAR_ROBOT}
    assert events[DEEP_SPACE]["n_mentions"] == 2


def test_metadata_labels_columns_hides_page_bodies_and_names_the_canned_queries() -> None:
    meta = serve.metadata("fundwire")
    assert meta["title"] and meta["description"]
    database = meta["databases"]["fundwire"]
    assert set(database["queries"]) >= {"latest_events", "events_by_company", "totals_by_quarter", "report_chart"}
    for table, column in [("events", "amount_text"), ("mentions", "evidence"), ("articles", "published")]:
        assert database["tables"][table]["title"] and database["tables"][table]["columns"][column]
    assert "lower bound" in database["tables"]["events"]["columns"]["amount_cny_min"]
    assert database["tables"]["pages"]["hidden"] is True
    assert database["queries"]["events_by_company"]["params"] == ["company"]


def test_pages_query_leaves_the_raw_bodies_out(db_path: Path) -> None:
    (row,) = query(db_path, serve.PAGES_SQL)
    assert "body" not in row and row["body_size"] == len(PAGE_BODY)


def test_write_metadata_keys_the_database_by_its_file_stem(tmp_path: Path) -> None:
    written = serve.write_metadata(tmp_path / "crawl-2024.db", tmp_path / "meta.json")
    assert list(json.loads(written.read_text(encoding="utf-8"))["databases"]) == ["crawl-2024"]


def test_datasette_command_serves_the_live_file_in_normal_mode(tmp_path: Path) -> None:
    command = serve.datasette_command(tmp_path / "f.db", tmp_path / "m.json", port=9001)
    assert command[:4] == [sys.executable, "-m", "datasette", "serve"]
    assert "-i" not in command and "--immutable" not in command  # a crawl may be writing to it
    assert command[command.index("--host") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "9001"
    assert command[command.index("--metadata") + 1] == str(tmp_path / "m.json")


def test_serve_without_datasette_says_what_to_install(tmp_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "datasette", None)  # makes `import datasette` fail
    with pytest.raises(serve.MissingDatasette, match=r"pip install 'fundwire\[web\]'"):
        serve.serve(tmp_db)


@needs_datasette
def test_serve_refuses_a_missing_database(tmp_path: Path) -> None:
    with pytest.raises(serve.ServeError, match="database not found"):
        serve.serve(tmp_path / "nothing.db")


def test_latest_events_show_what_fundwire_events_prints(db_path: Path) -> None:
    rows = query(db_path, serve.LATEST_EVENTS_SQL)
    assert [r["company"] for r in rows][:3] == [DEEP_SPACE, MOONSHOT, STAR_ROBOT]  # newest first
    store = Store.open(db_path)
    try:
        by_company = {e["company"]: e for e in store.events()}
    finally:
        store.close()
    for row in rows:
        assert row["in yuan"] == format_cny(by_company[row["company"]])
    assert rows[0]["in yuan"] == "≥¥1.00亿" and rows[1]["in yuan"] == "¥71.00亿"
    assert rows[0]["investors (lead*)"] == "星河资本*, 云起创投"
    assert rows[0]["yuan counted"] == 1e8 and rows[0]["reports"] == 2


def test_events_by_company_matches_names_and_aliases(db_path: Path) -> None:
    assert [r["company"] for r in query(db_path, serve.EVENTS_BY_COMPANY_SQL, company="moonshot")] == [MOONSHOT]
    assert [r["company"] for r in query(db_path, serve.EVENTS_BY_COMPANY_SQL, company="星河")] == [STAR_ROBOT]
    assert query(db_path, serve.EVENTS_BY_COMPANY_SQL, company="nobody") == []


def test_totals_by_quarter_and_chart_agree_with_the_report(db_path: Path) -> None:
    store = Store.open(db_path)
    try:
        report_rows = store.report_rows()
    finally:
        store.close()
    for period in ("month", "quarter", "year"):
        expected = [(t["period"], t["events"], t["cny"]) for t in build_report(report_rows, period=period).totals]
        chart = query(db_path, serve.REPORT_CHART_SQL, period=period)
        assert [(r["period"], r["events"], r["cny"]) for r in chart] == expected
    quarters = query(db_path, serve.TOTALS_BY_QUARTER_SQL)
    assert [(r["quarter"], r["events"], r["yuan"]) for r in quarters] == [
        ("2023-Q4", 1, 5e7), ("2024-Q1", 1, 7.1e9), ("2024-Q2", 1, 1e8)]  # the vague 数亿元 at 1亿
    assert query(db_path, serve.REPORT_CHART_SQL, period="") == query(db_path, serve.REPORT_CHART_SQL, period="quarter")
    assert query(db_path, serve.REPORT_CHART_SQL, period="week") == []


def test_event_sources_lists_every_report(db_path: Path) -> None:
    (event,) = query(db_path, "select id from events where company = :company", company=DEEP_SPACE)
    rows = query(db_path, serve.EVENT_SOURCES_SQL, event=event["id"])
    assert [r["url"] for r in rows] == ["https://news.example/zh/1", "https://news.example/zh/4"]


# -- a real Datasette --------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[1]
SERVE_SCRIPT = "import sys; from extractor.serve import serve; sys.exit(serve(sys.argv[1], port=int(sys.argv[2])))"


@needs_datasette
def test_the_datasette_command_line_answers_a_canned_query(db_path: Path, tmp_path: Path) -> None:
    """The command line for running Datasette by hand, asked once through its --get (no server)."""
    meta = serve.write_metadata(db_path, tmp_path / "metadata.json")
    path = f"/{serve.database_name(db_path)}/latest_events.json?_shape=array"
    done = subprocess.run([*serve.datasette_command(db_path, meta), "--get", path], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert [r["company"] for r in json.loads(done.stdout)][:3] == [DEEP_SPACE, MOONSHOT, STAR_ROBOT]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(db_path: Path) -> Iterator[str]:
    """Datasette serving the test database on 127.0.0.1, as `fundwire serve` starts it."""
    if not HAS_DATASETTE:
        pytest.skip("Datasette is not installed (pip install 'fundwire[web]')")
    port = free_port()
    log = db_path.with_name("datasette.log").open("wb")
    # `fundwire serve` runs serve.serve(); SIGTERM (terminate below) stops it cleanly.
    proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, str(db_path), str(port)], cwd=REPO,
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}/{serve.database_name(db_path)}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"datasette exited with {proc.returncode}: "
                            f"{db_path.with_name('datasette.log').read_text(errors='replace')[-2000:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"datasette did not answer within {STARTUP_TIMEOUT_S} s")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


def get_json(url: str, **params: str) -> list[dict]:
    response = httpx.get(url, params={"_shape": "array", **params}, timeout=10)
    assert response.status_code == 200, response.text[:500]
    return response.json()


def test_events_table_over_http(server: str) -> None:
    rows = {r["company"]: r for r in get_json(f"{server}/events.json")}
    assert {DEEP_SPACE, MOONSHOT, STAR_ROBOT} <= set(rows)
    assert rows[MOONSHOT]["amount_cny"] == 7.1e9 and rows[DEEP_SPACE]["amount_cny_min"] == 1e8
    page = httpx.get(f"{server}/events", timeout=10).text
    soup = BeautifulSoup(page, "html.parser")
    assert soup.find("h1").get_text(strip=True) == "Funding events"
    labels = {dt_.get_text(strip=True): dt_.find_next_sibling("dd").get_text(strip=True)
              for dt_ in soup.select("dl.column-descriptions dt")}
    assert labels["amount_cny"] == "amount in yuan at the event date's ECB rate"


@pytest.mark.parametrize(("name", "params", "expected"), [
    ("latest_events", {}, [(DEEP_SPACE, "≥¥1.00亿"), (MOONSHOT, "¥71.00亿"), (STAR_ROBOT, "¥5000万")]),
    ("events_by_company", {"company": "深空"}, [(DEEP_SPACE, "≥¥1.00亿")]),
])
def test_event_queries_over_http(server: str, name: str, params: dict[str, str],
                                 expected: list[tuple[str, str]]) -> None:
    rows = get_json(f"{server}/{name}.json", **params)
    assert [(r["company"], r["in yuan"]) for r in rows][:len(expected)] == expected


def test_totals_queries_over_http(server: str) -> None:
    quarters = get_json(f"{server}/totals_by_quarter.json")
    assert [(r["quarter"], r["yuan"]) for r in quarters] == [("2023-Q4", 5e7), ("2024-Q1", 7.1e9), ("2024-Q2", 1e8)]
    chart = get_json(f"{server}/report_chart.json", period="year")
    assert [(r["period"], r["events"], r["100m yuan"]) for r in chart] == [("2023", 1, 0.5), ("2024", 2, 72.0)]
    assert [r["period"] for r in get_json(f"{server}/report_chart.json")] == ["2023-Q4", "2024-Q1", "2024-Q2"]


def test_each_canned_query_answers_with_its_title(server: str, db_path: Path) -> None:
    queries = serve.metadata(serve.database_name(db_path))["databases"][serve.database_name(db_path)]["queries"]
    for name, canned in queries.items():
        params = {p: "" for p in canned.get("params", [])}
        response = httpx.get(f"{server}/{name}.json", params=params, timeout=10)
        assert response.status_code == 200, (name, response.text[:300])
        html = httpx.get(f"{server}/{name}", params=params, timeout=10).text
        assert canned["title"] in html, name


def test_raw_page_bodies_stay_out_of_sight(server: str) -> None:
    listing = httpx.get(f"{server}.json", timeout=10).json()
    pages = [t for t in listing["tables"] if t["name"] == "pages"]
    assert pages and pages[0]["hidden"] is True
    rows = get_json(f"{server}/pages.json")  # the canned query shadows the table
    assert [r["url"] for r in rows] == ["https://news.example/zh/4"] and "body" not in rows[0]
    assert rows[0]["body_size"] == len(PAGE_BODY)


def test_a_write_while_serving_shows_up(server: str, db_path: Path) -> None:
    """Normal (not immutable) mode: a crawl writing to the WAL database is seen on the next request."""
    store = Store.open(db_path)
    try:
        (new_id,) = store.add_inline_articles("demo-en", [_article(9, "en", dt.date(2024, 6, 1), "Quiet raise")])
        # Undated, so the totals other tests check stay as they are.
        apply_extraction(store, new_id, "test", [FundingEvent(company="Latecomer Labs", round="Seed")])
    finally:
        store.close()
    assert "Latecomer Labs" in [r["company"] for r in get_json(f"{server}/events.json")]
    assert [r["company"] for r in get_json(f"{server}/events_by_company.json", company="latecomer")] == ["Latecomer Labs"]


# -- a real browser ------------------------------------------------------------------------------

def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    command = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT_S, check=False)


def visible_rows(dom: str) -> list[list[str]]:
    soup = BeautifulSoup(dom, "html.parser")
    return [[td.get_text(" ", strip=True) for td in tr.find_all("td")]
            for tr in soup.select("table.rows-and-columns tbody tr")]


@pytest.mark.slow
def test_a_browser_shows_the_events_and_a_canned_query(server: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is absent: install Debian's chromium package for the browser test")
    profile = tmp_path / "chromium-profile"
    for name, must_see in [
        ("events", [DEEP_SPACE, "数亿元", MOONSHOT, "$1 billion", STAR_ROBOT, "5000万元"]),
        ("latest_events", [DEEP_SPACE, "≥¥1.00亿", MOONSHOT, "¥71.00亿", "星河资本*, 云起创投"]),
    ]:
        url = f"{server}/{name}"
        dumped = chromium("--dump-dom", url, profile=profile)
        assert dumped.returncode == 0, dumped.stderr[-2000:]
        rows = visible_rows(dumped.stdout)
        cells = {cell for row in rows for cell in row}
        assert set(must_see) <= cells, f"{url}: the browser showed {rows}"
        if name == "latest_events":
            assert [row[1] for row in rows][:3] == [DEEP_SPACE, MOONSHOT, STAR_ROBOT]  # newest first
        screenshot = tmp_path / f"{name}.png"
        shot = chromium(f"--screenshot={screenshot}", "--window-size=1280,900", url, profile=profile)
        assert shot.returncode == 0, shot.stderr[-2000:]
        assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000
        print(f"screenshot of {url}: {screenshot}")
