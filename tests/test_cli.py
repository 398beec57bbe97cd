"""The `fundwire` command through typer's runner: help, database selection, every command's happy
path and its one-line errors, and the offline main job (`fundwire demo`) end to end."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer.main
from typer.testing import CliRunner

from crawlers.records import ParsedPage
from extractor.cli import app
from extractor.store import SCHEMA_VERSION, Store
from tests.conftest import CLI_ENV_VARS, REPO

EXPECTED = json.loads((REPO / "fixtures" / "site" / "expected.json").read_text(encoding="utf-8"))
FUNDING_PATHS = {a["path"] for a in EXPECTED["articles"].values() if a["is_funding"]}
NOT_FUNDING_PATHS = {a["path"] for a in EXPECTED["articles"].values() if not a["is_funding"]}
MOONSHOT_PATHS = {EXPECTED["articles"][key]["path"] for key in EXPECTED["same_event"][0]["articles"]}

ZHIPU_URL = "https://news.example.cn/articles/zhipu-b.html"
ACME_URL = "https://ledger.example.com/2024/03/01/acme-robotics-series-a.html"
REVENUE_URL = "https://ledger.example.com/2024/05/22/nvidia-results.html"


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the app, as the words a user types."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        paths.append(path)
        for name, sub in (getattr(command, "commands", None) or {}).items():  # typer vendors click
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


def one_line_error(result: Any, code: int = 2) -> str:
    """The run ended with `code` and exactly one line on stderr, which starts with 'error:'."""
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got {lines}"
    assert lines[0].startswith("error: "), lines
    return lines[0]


def fill_db(path: Path) -> dict[str, int]:
    """Store three articles (zh funding, en funding, en not funding) the way a crawl would."""
    published = dt.datetime(2024, 3, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    store = Store.open(path)
    try:
        ids = store.add_inline_articles("test-zh", [ParsedPage(
            url=ZHIPU_URL, title="智谱AI完成数亿元B轮融资", lang="zh", published=published,
            text="智谱AI宣布完成数亿元B轮融资，由红杉中国领投，本轮资金将用于大模型研发。")])
        ids += store.add_inline_articles("test-en", [
            ParsedPage(url=ACME_URL, title="Acme Robotics raises $20 million", lang="en", published=published,
                       text="Acme Robotics raised a $20 million Series A led by Sequoia Capital."),
            ParsedPage(url=REVENUE_URL, title="Nvidia revenue triples", lang="en", published=published,
                       text="Nvidia reported revenue of $26 billion for the first quarter.")])
    finally:
        store.close()
    return dict(zip(("zhipu", "acme", "revenue"), ids, strict=True))


@pytest.fixture
def filled_db(runner: CliRunner, tmp_db: Path) -> Path:
    """A database whose articles went through `fundwire extract --all`."""
    fill_db(tmp_db)
    result = runner.invoke(app, ["extract", "--all", "--db", str(tmp_db)])
    assert result.exit_code == 0, result.stderr
    assert "re-extracted 3 article(s)" in result.stderr
    return tmp_db


def json_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- help ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "fundwire")
def test_every_command_has_help_with_an_example(runner: CliRunner, path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.stderr
    assert "Usage:" in result.stdout
    assert "Example" in result.stdout


def test_the_commands_the_issue_asks_for_exist() -> None:
    assert {("crawl",), ("extract",), ("events",), ("export",), ("db", "migrate"), ("db", "stats"),
            ("demo",), ("page",)} <= set(command_paths())


# -- choosing the database ----------------------------------------------------------------------

def test_db_migrate_then_stats(runner: CliRunner, tmp_db: Path) -> None:
    migrated = runner.invoke(app, ["db", "migrate", "--db", str(tmp_db)])
    assert migrated.exit_code == 0, migrated.stderr
    assert migrated.stdout == ""  # logs go to stderr
    assert f"schema v{SCHEMA_VERSION}" in migrated.stderr
    again = runner.invoke(app, ["db", "migrate", "--db", str(tmp_db)])
    assert again.exit_code == 0 and "up to date" in again.stderr
    stats = runner.invoke(app, ["db", "stats", "--db", str(tmp_db)])
    assert stats.exit_code == 0, stats.stderr
    data = json.loads(stats.stdout)
    assert data["schema_version"] == SCHEMA_VERSION
    assert data["journal_mode"] == "wal"
    assert data["tables"]["articles"] == 0 and data["tables"]["events"] == 0


def test_db_option_and_env_var_select_the_database(runner: CliRunner, tmp_path: Path) -> None:
    from_env, from_option = tmp_path / "env.db", tmp_path / "option.db"
    result = runner.invoke(app, ["db", "migrate"], env={"FUNDWIRE_DB": str(from_env)})
    assert result.exit_code == 0, result.stderr
    assert from_env.is_file() and not (tmp_path / "fundwire.db").exists()
    # --db wins over the environment
    result = runner.invoke(app, ["db", "migrate", "--db", str(from_option)], env={"FUNDWIRE_DB": str(from_env)})
    assert result.exit_code == 0 and from_option.is_file()
    fill_db(from_env)
    stats = runner.invoke(app, ["db", "stats"], env={"FUNDWIRE_DB": str(from_env)})
    assert json.loads(stats.stdout)["tables"]["articles"] == 3
    stats = runner.invoke(app, ["db", "stats", "--db", str(from_option)], env={"FUNDWIRE_DB": str(from_env)})
    assert json.loads(stats.stdout)["tables"]["articles"] == 0


def test_the_default_database_is_fundwire_db_in_the_working_directory(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "migrate"])
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "fundwire.db").is_file()


def test_a_file_that_is_not_a_database(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a database\n" * 100, encoding="utf-8")
    for args in (["db", "stats"], ["db", "migrate"], ["events"]):
        message = one_line_error(runner.invoke(app, [*args, "--db", "notes.txt"]))
        assert message.startswith(("error: notes.txt: ", "error: cannot open database notes.txt"))


def test_a_database_from_a_newer_fundwire(runner: CliRunner, tmp_path: Path) -> None:
    Store.open(tmp_path / "future.db").close()
    with sqlite3.connect(tmp_path / "future.db") as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    for args in (["db", "stats"], ["db", "migrate"], ["events"]):
        message = one_line_error(runner.invoke(app, [*args, "--db", "future.db"]))
        assert message.startswith("error: future.db: ") and "newer" in message


# -- config files -------------------------------------------------------------------------------

def test_a_config_file_selects_the_database(runner: CliRunner, tmp_path: Path) -> None:
    config = tmp_path / "my.toml"
    config.write_text('[fundwire]\ndb = "from-config.db"\n', encoding="utf-8")
    assert runner.invoke(app, ["--config", str(config), "db", "migrate"]).exit_code == 0
    assert (tmp_path / "from-config.db").is_file()
    # fundwire.toml in the working directory is read without --config
    (tmp_path / "fundwire.toml").write_text('[fundwire]\ndb = "auto.db"\n', encoding="utf-8")
    assert runner.invoke(app, ["db", "migrate"]).exit_code == 0
    assert (tmp_path / "auto.db").is_file()


@pytest.mark.parametrize(("content", "expected"), [
    ('[fundwire]\ndb = "x.db"\ndatabase_path = "y.db"\n', "unknown setting(s): database_path"),
    ('[fundwire.crawl]\nper_host_delay = 2\n', "unknown crawl setting 'per_host_delay'"),
    ('[fundwire]\ncrawl = 5\n', "[crawl] must be a table"),
    ('[fundwire\ndb = "x.db"\n', "cannot read config bad.toml: Expected ']' at the end of a table declaration"),
], ids=["unknown-key", "unknown-crawl-key", "crawl-not-a-table", "not-toml"])
def test_a_bad_config_file_is_a_one_line_error(runner: CliRunner, tmp_path: Path, content: str,
                                               expected: str) -> None:
    (tmp_path / "bad.toml").write_text(content, encoding="utf-8")
    for args in (["--config", "bad.toml", "db", "stats"], ["db", "stats"]):
        env = {"FUNDWIRE_CONFIG": "bad.toml"} if "--config" not in args else None
        message = one_line_error(runner.invoke(app, args, env=env))
        assert expected in message
    assert not (tmp_path / "fundwire.db").exists()


def test_a_config_value_of_the_wrong_type_is_a_one_line_error(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text("[fundwire]\ndb = 5\n", encoding="utf-8")
    assert "db" in one_line_error(runner.invoke(app, ["--config", "bad.toml", "db", "stats"]))


def test_a_missing_config_file(runner: CliRunner) -> None:
    assert "config file not found: nope.toml" in one_line_error(runner.invoke(app, ["--config", "nope.toml",
                                                                                    "db", "stats"]))


# -- extract on stored articles, events ---------------------------------------------------------

def test_events_json_after_extract_all(runner: CliRunner, filled_db: Path) -> None:
    result = runner.invoke(app, ["events", "--json", "--db", str(filled_db)])
    assert result.exit_code == 0, result.stderr
    rows = {row["company"]: row for row in json_lines(result.stdout)}
    assert set(rows) == {"智谱AI", "Acme Robotics"}
    zhipu, acme = rows["智谱AI"], rows["Acme Robotics"]
    assert (zhipu["round"], zhipu["currency"], zhipu["amount_text"]) == ("B", "CNY", "数亿元")
    assert (zhipu["amount_cny_min"], zhipu["amount_cny_max"]) == (1e8, 1e9)
    assert zhipu["lead_investors"] == ["红杉中国"]
    assert zhipu["sources"] == [ZHIPU_URL]
    assert (acme["round"], acme["amount"], acme["currency"]) == ("A", 20_000_000, "USD")
    assert 1.2e8 < acme["amount_cny"] < 1.6e8
    assert acme["sources"] == [ACME_URL]
    assert acme["date"] == "2024-03-01" and acme["n_mentions"] == 1

    only = runner.invoke(app, ["events", "--json", "--company", "acme", "--db", str(filled_db)])
    assert [r["company"] for r in json_lines(only.stdout)] == ["Acme Robotics"]
    later = runner.invoke(app, ["events", "--json", "--since", "2024-03-02", "--db", str(filled_db)])
    assert later.exit_code == 0 and later.stdout.strip() == ""
    one = runner.invoke(app, ["events", "--json", "--limit", "1", "--db", str(filled_db)])
    assert len(json_lines(one.stdout)) == 1


def test_events_table(runner: CliRunner, filled_db: Path) -> None:
    result = runner.invoke(app, ["events", "--db", str(filled_db)])
    assert result.exit_code == 0, result.stderr
    table = result.stdout
    assert "2 funding event(s)" in table
    for cell in ("智谱AI", "Acme Robotics", "数亿元", "$20 million", "2024-03-01", "红杉中国*", "Sequoia Capital*"):
        assert cell in table, cell
    acme_line = next(line for line in table.splitlines() if "Acme Robotics" in line)
    assert "¥" in acme_line, "a USD raise shows its yuan value"


def test_extract_all_is_idempotent(runner: CliRunner, filled_db: Path) -> None:
    before = json_lines(runner.invoke(app, ["events", "--json", "--db", str(filled_db)]).stdout)
    again = runner.invoke(app, ["extract", "--all", "--db", str(filled_db)])
    assert again.exit_code == 0, again.stderr
    after = json_lines(runner.invoke(app, ["events", "--json", "--db", str(filled_db)]).stdout)
    strip = [{k: v for k, v in row.items() if k != "updated_at"} for row in before]
    assert [{k: v for k, v in row.items() if k != "updated_at"} for row in after] == strip
    stats = json.loads(runner.invoke(app, ["db", "stats", "--db", str(filled_db)]).stdout)
    assert stats["tables"]["mentions"] == 2 and stats["tables"]["extractions"] == 3


def test_extract_one_article_by_id_or_url(runner: CliRunner, tmp_db: Path) -> None:
    ids = fill_db(tmp_db)
    result = runner.invoke(app, ["extract", "--article", str(ids["acme"]), "--db", str(tmp_db)])
    assert result.exit_code == 0, result.stderr
    rows = json_lines(runner.invoke(app, ["events", "--json", "--db", str(tmp_db)]).stdout)
    assert [r["company"] for r in rows] == ["Acme Robotics"]
    result = runner.invoke(app, ["extract", "--url", ZHIPU_URL, "--db", str(tmp_db)])
    assert result.exit_code == 0, result.stderr
    rows = json_lines(runner.invoke(app, ["events", "--json", "--db", str(tmp_db)]).stdout)
    assert sorted(r["company"] for r in rows) == ["Acme Robotics", "智谱AI"]


def test_extract_an_unknown_article(runner: CliRunner, tmp_db: Path) -> None:
    fill_db(tmp_db)
    assert one_line_error(runner.invoke(app, ["extract", "--article", "999", "--db", str(tmp_db)])) == \
        "error: no stored article with id 999"
    message = one_line_error(runner.invoke(app, ["extract", "--url", "https://nowhere.example/x", "--db", str(tmp_db)]))
    assert message == "error: no stored article with url https://nowhere.example/x"
    stats = json.loads(runner.invoke(app, ["db", "stats", "--db", str(tmp_db)]).stdout)
    assert stats["tables"]["extractions"] == 0, "a failed command must not half-run"


# -- crawl --------------------------------------------------------------------------------------

def test_crawl_an_unknown_source(runner: CliRunner, tmp_db: Path) -> None:
    message = one_line_error(runner.invoke(app, ["crawl", "--once", "--source", "nope", "--db", str(tmp_db)]))
    assert "unknown source" in message and "nope" in message
    assert not tmp_db.exists()


def test_a_long_error_message_stays_on_one_line(runner: CliRunner, tmp_db: Path) -> None:
    name = "a-source-name-that-is-long-enough-to-pass-eighty-columns"
    message = one_line_error(runner.invoke(app, ["crawl", "--once", "--source", name, "--db", str(tmp_db)]))
    assert name in message


def test_crawl_a_bad_sources_file(runner: CliRunner, tmp_path: Path) -> None:
    (tmp_path / "sources.toml").write_text('[[source]]\nname = "Bad Name!"\nhomepage = "not a url"\n',
                                           encoding="utf-8")
    message = one_line_error(runner.invoke(app, ["crawl", "--once", "--sources", "sources.toml", "--db", "x.db"]))
    assert message.startswith("error: sources.toml: ") and "Bad Name!" in message
    assert not (tmp_path / "x.db").exists()


# -- export -------------------------------------------------------------------------------------

def test_export_csv_to_a_file(runner: CliRunner, filled_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "events.csv"
    result = runner.invoke(app, ["export", "--format", "csv", "--output", str(target), "--db", str(filled_db)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and "exported 2 events" in result.stderr
    with target.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = {row["company"]: row for row in reader}
    assert {"id", "company", "round", "amount", "currency", "amount_cny", "date", "lead_investors",
            "investors", "n_mentions", "sources"} <= set(header)
    assert set(rows) == {"智谱AI", "Acme Robotics"}
    assert rows["Acme Robotics"]["round"] == "A"
    assert float(rows["Acme Robotics"]["amount"]) == 20_000_000
    assert json.loads(rows["Acme Robotics"]["sources"]) == [ACME_URL]
    assert json.loads(rows["智谱AI"]["lead_investors"]) == ["红杉中国"]


def test_export_jsonl_events_and_mentions(runner: CliRunner, filled_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    result = runner.invoke(app, ["export", "--format", "jsonl", "-o", str(target), "--db", str(filled_db)])
    assert result.exit_code == 0, result.stderr
    rows = json_lines(target.read_text(encoding="utf-8"))
    assert sorted(r["company"] for r in rows) == ["Acme Robotics", "智谱AI"]
    assert "智谱AI" in target.read_text(encoding="utf-8")
    mentions = runner.invoke(app, ["export", "--what", "mentions", "--db", str(filled_db)])
    assert mentions.exit_code == 0, mentions.stderr
    urls = sorted(r["article_url"] for r in json_lines(mentions.stdout))
    assert urls == sorted([ZHIPU_URL, ACME_URL])


def test_export_an_empty_database_as_csv(runner: CliRunner, tmp_db: Path) -> None:
    result = runner.invoke(app, ["export", "--format", "csv", "--db", str(tmp_db)])
    assert result.exit_code == 0, result.stderr
    assert "exported 0 events" in result.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (["--format", "xml"], "unknown export format 'xml': use csv, jsonl or parquet"),
    (["--what", "companies"], "unknown export 'companies': use events or mentions"),
    (["--output", "no/such/dir/out.csv"], "cannot write no/such/dir/out.csv"),
])
def test_export_errors(runner: CliRunner, filled_db: Path, args: list[str], expected: str) -> None:
    assert expected in one_line_error(runner.invoke(app, ["export", *args, "--db", str(filled_db)]))


# -- page ---------------------------------------------------------------------------------------

def test_page_on_a_real_saved_gb18030_page(runner: CliRunner, shared: Path) -> None:
    saved = shared / "data" / "html" / "zh" / "chrislinan__RawHtml_48.html"
    if not saved.is_file():
        pytest.skip(f"saved page absent: {saved}")
    result = runner.invoke(app, ["page", str(saved), "--url", "https://money.163.com/15/0704/06/ASKJ.html"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"title", "published", "lang", "text", "charset"} <= set(data)
    assert "同程旅游" in data["title"]
    assert data["lang"] == "zh"
    assert data["charset"].lower() in ("gb18030", "gbk", "gb2312")
    assert "万达" in data["text"] and "\ufffd" not in data["text"][:2000]
    assert data["published"].startswith("2015-07-04")


def test_page_on_a_real_english_page_from_stdin(runner: CliRunner, shared: Path) -> None:
    saved = shared / "data" / "html" / "en" / "scrapinghub__aeb_techcrunch_com_1ace8c85aa.html"
    if not saved.is_file():
        pytest.skip(f"saved page absent: {saved}")
    result = runner.invoke(app, ["page", "-"], input=saved.read_bytes())
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["lang"] == "en" and "WeWork" in data["title"] and "WeWork" in data["text"]


def test_page_on_the_gbk_demo_page(runner: CliRunner) -> None:
    (key,) = [k for k, a in EXPECTED["articles"].items() if a["encoding"] == "gbk"]
    result = runner.invoke(app, ["page", str(REPO / "fixtures" / "site" / key)])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"].startswith(EXPECTED["articles"][key]["title"][:4])
    assert data["charset"].lower() in ("gbk", "gb18030", "gb2312") and data["lang"] == "zh"


def test_page_on_a_missing_file(runner: CliRunner) -> None:
    assert one_line_error(runner.invoke(app, ["page", "missing.html"])) == "error: file not found: missing.html"


# -- demo: the main job -------------------------------------------------------------------------

def backup(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path]]:
    """`fundwire demo --db TMP` once, in an empty working directory."""
    workdir = tmp_path_factory.mktemp("demo")
    db = workdir / "demo.db"
    with pytest.MonkeyPatch.context() as mp:
        for name in CLI_ENV_VARS:
            mp.delenv(name, raising=False)
        mp.chdir(workdir)
        result = CliRunner().invoke(app, ["demo", "--db", str(db)])
    yield result, db


def demo_facts(db: Path) -> dict[str, Any]:
    store = Store.open(db)
    try:
        articles = {a.id: urlsplit(a.url).path for a in store.iter_articles()}
        mentions = list(store.mentions())
        return {"articles": articles, "mentions": mentions, "events": store.events(),
                "stats": store.stats()["tables"]}
    finally:
        store.close()


def test_demo_prints_the_events_table(demo_run: tuple[Any, Path]) -> None:
    result, db = demo_run
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "Traceback" not in result.stderr
    assert "月之暗面" in result.stdout or "Moonshot" in result.stdout
    assert "funding event(s)" in result.stdout
    assert "crawl summary" in result.stderr and "crawl summary" not in result.stdout
    assert db.is_file()


def test_demo_merges_the_cross_outlet_moonshot_round(demo_run: tuple[Any, Path]) -> None:
    facts = demo_facts(demo_run[1])
    moonshot = [e for e in facts["events"] if e["company"] in ("月之暗面", "Moonshot AI")]
    assert len(moonshot) == 1, [(e["company"], e["round"], e["date"]) for e in moonshot]
    (event,) = moonshot
    assert event["round"] == "A" and event["n_mentions"] >= 2
    assert MOONSHOT_PATHS <= {urlsplit(u).path for u in event["sources"]}, event["sources"]
    assert event["currency"] == "USD" and event["amount_cny"] and event["amount_cny"] > 6e9


def test_demo_finds_funding_pages_and_nothing_in_the_others(demo_run: tuple[Any, Path]) -> None:
    facts = demo_facts(demo_run[1])
    crawled = set(facts["articles"].values())
    assert FUNDING_PATHS | NOT_FUNDING_PATHS <= crawled, "every fixture article was crawled"
    with_mentions = {facts["articles"][m["article_id"]] for m in facts["mentions"]}
    assert not with_mentions & NOT_FUNDING_PATHS, sorted(with_mentions & NOT_FUNDING_PATHS)
    assert FUNDING_PATHS <= with_mentions, sorted(FUNDING_PATHS - with_mentions)


def test_demo_stores_only_article_pages_as_articles(demo_run: tuple[Any, Path]) -> None:
    facts = demo_facts(demo_run[1])
    assert set(facts["articles"].values()) <= FUNDING_PATHS | NOT_FUNDING_PATHS
    assert facts["stats"]["articles"] == len(FUNDING_PATHS | NOT_FUNDING_PATHS)


@pytest.fixture(scope="module")
def demo_twice(demo_run: tuple[Any, Path], tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A copy of the demo database after a second `fundwire demo` on it."""
    first = demo_run[1]
    workdir = tmp_path_factory.mktemp("demo-twice")
    second = workdir / "demo.db"
    backup(first, second)
    with pytest.MonkeyPatch.context() as mp:
        for name in CLI_ENV_VARS:
            mp.delenv(name, raising=False)
        mp.chdir(workdir)
        result = CliRunner().invoke(app, ["demo", "--db", str(second)])
    assert result.exit_code == 0, result.stderr
    return first, second


def test_demo_twice_does_not_duplicate_events(demo_twice: tuple[Path, Path]) -> None:
    first, second = (demo_facts(p) for p in demo_twice)
    key = [(e["company"], e["round"], e["date"]) for e in first["events"]]
    assert [(e["company"], e["round"], e["date"]) for e in second["events"]] == key
    assert len(second["events"]) == len(first["events"])


def test_demo_twice_does_not_duplicate_articles_or_mentions(demo_twice: tuple[Path, Path]) -> None:
    first, second = (demo_facts(p) for p in demo_twice)
    assert second["stats"]["articles"] == first["stats"]["articles"]
    assert [e["n_mentions"] for e in second["events"]] == [e["n_mentions"] for e in first["events"]]


# -- a real process -----------------------------------------------------------------------------

def test_the_console_script_runs_help_and_reports_errors(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in CLI_ENV_VARS}
    exe = Path(sys.executable).with_name("fundwire")
    command = [str(exe)] if exe.exists() else [sys.executable, "-m", "extractor.cli"]
    done = subprocess.run([*command, "db", "stats", "--db", str(tmp_path / "x.db")], capture_output=True,
                          cwd=tmp_path, env=env, timeout=60, check=False, text=True)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["schema_version"] == SCHEMA_VERSION
    bad = subprocess.run([*command, "extract", "--article", "5", "--db", str(tmp_path / "x.db")],
                         capture_output=True, cwd=tmp_path, env=env, timeout=60, check=False, text=True)
    assert bad.returncode == 2
    assert bad.stderr == "error: no stored article with id 5\n"
    assert bad.stdout == ""
