"""The composition root: the `fundwire` command. Data goes to stdout, logs and progress to stderr.

Only this module turns errors into messages and exit codes: a bad input ends with one line on
stderr and a non-zero status, never a traceback.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console

from extractor.settings import ConfigError, Settings

if TYPE_CHECKING:
    from extractor.pipeline import Extractor
    from extractor.store import Store

app = typer.Typer(
    name="fundwire",
    no_args_is_help=True, add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database maintenance: migrations and statistics.\n\nExamples:\n\n"
                     "  fundwire db migrate --db fundwire.db\n\n  fundwire db stats", no_args_is_help=True)
app.add_typer(db_app, name="db")
correct_app = typer.Typer(help="User corrections to events; they survive re-extraction.\n\nExamples:\n\n"
                          "  fundwire correct merge e12-0 e40-1\n\n  fundwire correct alias 月之暗面 'Moonshot AI'",
                          no_args_is_help=True)
app.add_typer(correct_app, name="correct")
sources_app = typer.Typer(help="The source registry: shipped crawlers/sources.toml plus --sources FILE.\n\nExamples:"
                          "\n\n  fundwire sources list\n\n  fundwire sources check --source 36kr", no_args_is_help=True)
app.add_typer(sources_app, name="sources")

err = Console(stderr=True, highlight=False, soft_wrap=True)
# Piped output keeps whole cells (no terminal width to fit); a terminal gets rich's wrapping.
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 240)


class State:
    settings: Settings = Settings()


STATE = State()


def fail(message: str, code: int = 2) -> NoReturn:
    """One line on stderr, a non-zero exit: how every user error ends."""
    err.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


DbOption = Annotated[Path | None, typer.Option("--db", envvar="FUNDWIRE_DB",
                                                  help="SQLite database file (default ./fundwire.db).")]


@app.callback()
def main_options(
    config: Annotated[Path | None, typer.Option("--config", envvar="FUNDWIRE_CONFIG",
                                                   help="TOML settings file (a [fundwire] table).")] = None,
) -> None:
    """Chinese and English tech news -> a deduplicated database of funding events.

    Examples:\n
      fundwire crawl --once\n
      fundwire extract --input articles.jsonl --output events.jsonl\n
      fundwire events --since 2024-01-01
    """
    settings = Settings()
    default_config = Path("fundwire.toml")
    path = config or (default_config if default_config.exists() else None)
    if path is not None:
        if not path.exists():
            fail(f"config file not found: {path}")
        try:
            settings = Settings.from_toml(path, settings)
        except ConfigError as exc:
            fail(str(exc))
    STATE.settings = settings


@contextmanager
def open_store(db: Path | None) -> Iterator[Store]:
    from extractor.store import Store, StoreError

    path = db or STATE.settings.db
    try:
        store = Store.open(path)
    except StoreError as exc:
        fail(f"{path}: {exc}")
    except (sqlite3.Error, OSError) as exc:  # unreadable path, not a database
        fail(f"cannot open database {path}: {exc}")
    try:
        yield store
    finally:
        store.close()


def load_extractor(ner: str | None) -> Extractor:
    from extractor.pipeline import Extractor, ModelError

    try:
        return Extractor.load(ner or STATE.settings.ner)
    except ModelError as exc:
        fail(str(exc))


@contextmanager
def progress(total: int | None, label: str) -> Iterator[Any]:
    """A progress bar on stderr when it is a terminal; a no-op advance() otherwise."""
    if not err.is_terminal:
        class Quiet:
            def advance(self, n: int = 1) -> None:
                return None
        yield Quiet()
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task(label, total=total)

        class Live:
            def advance(self, n: int = 1) -> None:
                bar.advance(task, n)
        yield Live()


# -- crawl --------------------------------------------------------------------------------------

@app.command()
def crawl(
    once: Annotated[bool, typer.Option("--once/--forever",
                                       help="One pass over every source, or keep polling until stopped.")] = True,
    sources: Annotated[Path | None, typer.Option("--sources", help="A sources.toml overlaid on the shipped registry.")] = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only these sources (repeatable).")] = None,
    allow_private: Annotated[list[str] | None, typer.Option(
        "--allow-private", help="Host, IP or CIDR the address guard lets through (e.g. 127.0.0.1).")] = None,
    delay: Annotated[float | None, typer.Option(help="Seconds between requests to one host (default 1.0).")] = None,
    extract_: Annotated[bool, typer.Option("--extract/--no-extract", help="Extract events from new articles.")] = True,
    ner: Annotated[str | None, typer.Option(help="NER backend: spacy (default) or transformers:PATH.")] = None,
    db: DbOption = None,
) -> None:
    """Crawl the news sources into the database and extract funding events as articles arrive.

    With --forever it polls each source on its own interval, stops cleanly on Ctrl-C/SIGTERM and,
    after a crash, resumes where it was (the frontier lives in the database).

    Examples:\n
      fundwire crawl --once\n
      fundwire crawl --forever --source 36kr --source techcrunch\n
      fundwire crawl --once --sources my_sources.toml --allow-private 127.0.0.1
    """
    import dataclasses

    registry = _registry(sources, source)
    crawl_settings = STATE.settings.crawl
    if allow_private:
        crawl_settings = dataclasses.replace(crawl_settings, allow_private=tuple(allow_private))
    if delay is not None:
        crawl_settings = dataclasses.replace(crawl_settings, per_host_delay_s=delay)
    extractor = load_extractor(ner) if extract_ else None
    with open_store(db) as store:
        summaries = run_crawl(store, registry, crawl_settings, once=once, extractor=extractor)
    err.print(crawl_summary(summaries))


def run_crawl(store: Store, registry: list[Any], crawl_settings: Any, *, once: bool,
              extractor: Extractor | None) -> dict[str, Any]:
    """Crawl `registry` into `store`, extracting each new article; Ctrl-C/SIGTERM stop cleanly."""
    import asyncio
    import signal

    from crawlers.run import crawl as crawl_sources
    from extractor.dedup import apply_extraction

    recovered = store.recover_in_flight()
    if recovered:
        err.print(f"resuming: {recovered} URL(s) left in flight by an interrupted crawl are due again")
    if extractor is not None:
        # an article stored just before a crash (kill -9) was never extracted: do it now
        pending = list(store.iter_articles(never_extracted=True))
        for stored in pending:
            apply_extraction(store, stored.id, extractor.version, extractor.extract(stored.article))
        if pending:
            err.print(f"resuming: extracted {len(pending)} article(s) stored before an interruption")
    for src in registry:
        store.upsert_source(src.name, title=src.title, lang=src.lang, kind=str(src.kind), homepage=src.homepage,
                            config={"feeds": list(src.feeds), "sitemaps": list(src.sitemaps)})

    def on_article(article_id: int) -> int:
        stored = store.get_article(article_id)
        if extractor is None or stored is None:
            return 0
        return apply_extraction(store, article_id, extractor.version, extractor.extract(stored.article))

    def report_progress(name: str, summary: Any) -> None:
        if err.is_terminal:
            err.print(f"[{name}] fetched {summary.fetched}, new articles {summary.new_articles}, "
                      f"events {summary.events}    ", markup=False, end="\r")

    async def main() -> dict[str, Any]:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        return await crawl_sources(store, registry, crawl_settings, once=once, on_article=on_article, stop=stop,
                                   progress=report_progress)

    return asyncio.run(main())


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="First of the two local ports the demo outlets use (fixed, so "
                                           "a second run revisits the same URLs).")] = 18470,
    db: DbOption = None,
    ner: Annotated[str | None, typer.Option(help="NER backend: spacy (default) or transformers:PATH.")] = None,
) -> None:
    """The main job, offline: crawl the bundled demo news site once and print the events.

    Starts the project's own demo outlets (fixtures/site: a Chinese and an English tech news site
    with feeds, sitemaps and article pages) on 127.0.0.1, runs one crawl pass with extraction into
    the database, and prints the deduplicated events. `make run` runs this.

    Example:\n
      fundwire demo --db fundwire.db
    """
    import dataclasses
    import time

    from crawlers.demo_site import serve_site
    from crawlers.sources import source_from_table

    started = time.perf_counter()
    extractor = load_extractor(ner)
    with ExitStack() as stack:
        try:
            site = stack.enter_context(serve_site(port=port))
        except OSError as exc:
            fail(f"cannot serve the demo site on 127.0.0.1:{port}-{port + 1} ({exc.strerror}); pick others with --port")
        store = stack.enter_context(open_store(db))
        registry = [source_from_table({
            "name": f"demo-{outlet}", "title": f"demo outlet ({outlet})", "lang": outlet, "kind": "news",
            "homepage": site.base_url(outlet) + "/", "feeds": [site.base_url(outlet) + "/feed.xml"],
            "sitemaps": [site.base_url(outlet) + "/sitemap.xml"], "interval_s": 3600}, "demo")
            for outlet in ("zh", "en")]
        settings = dataclasses.replace(STATE.settings.crawl, allow_private=("127.0.0.1",), per_host_delay_s=0.0)
        summaries = run_crawl(store, registry, settings, once=True, extractor=extractor)
        rows = store.events(limit=100)
    err.print(crawl_summary(summaries))
    out.print(events_table(rows))
    err.print(f"done in {time.perf_counter() - started:.1f} s; database: {db or STATE.settings.db}")


def crawl_summary(summaries: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="crawl summary")
    for column in ("source", "fetched", "304", "new articles", "events", "errors"):
        table.add_column(column)
    for name, s in sorted(summaries.items()):
        errors = ", ".join(f"{k}: {v}" for k, v in sorted(s.errors.items())) or "-"
        table.add_row(name, str(s.fetched), str(s.not_modified), str(s.new_articles), str(s.events), errors)
    return table


# -- extract ------------------------------------------------------------------------------------

@app.command()
def extract(
    input: Annotated[str | None, typer.Option("--input", "-i", help="JSONL articles ('-' = stdin).")] = None,
    output: Annotated[str, typer.Option("--output", "-o", help="JSONL events ('-' = stdout).")] = "-",
    article: Annotated[list[int] | None, typer.Option("--article", help="Re-extract a stored article id.")] = None,
    url: Annotated[list[str] | None, typer.Option("--url", help="Re-extract the stored article at URL.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Re-extract every stored article.")] = False,
    since: Annotated[str | None, typer.Option(help="With --all: articles published since YYYY-MM-DD.")] = None,
    source: Annotated[str | None, typer.Option(help="With --all: only this source.")] = None,
    ner: Annotated[str | None, typer.Option(help="NER backend: spacy (default) or transformers:PATH.")] = None,
    db: DbOption = None,
) -> None:
    """Extract funding events: a JSONL batch, or stored articles (no refetch).

    Batch contract: one output line per input line, in order, {"id", "events": [...]}; a bad line
    gets an "error" and the batch goes on (exit status 1 at the end if any line was bad).

    Examples:\n
      fundwire extract --input articles.jsonl --output events.jsonl\n
      cat articles.jsonl | fundwire extract --input - > events.jsonl\n
      fundwire extract --article 42\n
      fundwire extract --all --since 2024-01-01 --source 36kr
    """
    stored = bool(article or url or all_)
    if input is not None and stored:
        fail("use either --input (a batch file) or --article/--url/--all (stored articles), not both")
    if input is None and not stored:
        fail("nothing to extract: give --input FILE (or '-') or --article ID / --url URL / --all")
    if input is not None:
        _extract_batch(input, output, ner)
    else:
        _reextract(article or [], url or [], all_, since, source, ner, db)


def _extract_batch(input: str, output: str, ner: str | None) -> None:
    from extractor.batch import extract_line

    if input != "-" and not Path(input).is_file():
        fail(f"input file not found: {input}")
    extractor = load_extractor(ner)
    source = sys.stdin if input == "-" else open(input, encoding="utf-8", errors="replace")  # noqa: SIM115
    try:
        sink = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")  # noqa: SIM115
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}")
    bad = 0
    lines = source.read().splitlines() if input != "-" else None
    try:
        with progress(len(lines) if lines is not None else None, "extracting") as bar:
            for lineno, line in enumerate(lines if lines is not None else source, start=1):
                line = line.rstrip("\n")
                result: dict[str, Any]
                problem: str | None
                if not line.strip():
                    result, problem = {"id": None, "events": [], "error": f"line {lineno}: empty line"}, "empty"
                else:
                    result, problem = extract_line(extractor, line, lineno)
                if problem:
                    bad += 1
                    err.print(f"warning: {result['error']}", markup=False)
                sink.write(json.dumps(result, ensure_ascii=False) + "\n")
                bar.advance()
    finally:
        if sink is not sys.stdout:
            sink.close()
        if source is not sys.stdin:
            source.close()
    if bad:
        fail(f"{bad} bad input line(s); each got an error line in the output", code=1)


def _reextract(ids: list[int], urls: list[str], all_: bool, since: str | None, source: str | None,
               ner: str | None, db: Path | None) -> None:
    from extractor.dedup import apply_extraction

    with open_store(db) as store:
        targets = []
        for article_id in ids:
            found = store.get_article(article_id)
            if found is None:
                fail(f"no stored article with id {article_id}")
            targets.append(found)
        for url in urls:
            found = store.find_article_by_url(url)
            if found is None:
                fail(f"no stored article with url {url}")
            targets.append(found)
        if all_:
            targets += list(store.iter_articles(since=since, source=source))
        extractor = load_extractor(ner)
        n_events = 0
        with progress(len(targets), "re-extracting") as bar:
            for stored_article in targets:
                n_events += apply_extraction(store, stored_article.id, extractor.version,
                                             extractor.extract(stored_article.article))
                bar.advance()
        err.print(f"re-extracted {len(targets)} article(s) with {extractor.version}: {n_events} event mention(s)")


# -- events, export -----------------------------------------------------------------------------

@app.command()
def events(
    since: Annotated[str | None, typer.Option(help="Events dated on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Events dated on or before YYYY-MM-DD.")] = None,
    company: Annotated[str | None, typer.Option(help="Company name or alias contains this.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many rows.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """List the deduplicated funding events, newest first.

    Examples:\n
      fundwire events\n
      fundwire events --since 2024-01-01 --company Moonshot --json
    """
    with open_store(db) as store:
        rows = store.events(since=since, until=until, company=company, limit=limit)
    if as_json:
        for row in rows:
            out.print(json.dumps(row, ensure_ascii=False), markup=False)
        return
    out.print(events_table(rows))


def events_table(rows: list[dict[str, Any]]) -> Any:
    from rich.table import Table

    from extractor.report import format_cny

    table = Table(title=f"{len(rows)} funding event(s)")
    for column in ("date", "company", "round", "amount", "in yuan", "investors (lead*)", "reports"):
        table.add_column(column)
    for row in rows:
        leads = set(row["lead_investors"])
        investors = ", ".join(f"{n}*" if n in leads else n for n in row["investors"]) or "-"
        table.add_row(row["date"] or "-", row["company"], row["round"] or "-", row["amount_text"] or "-",
                      format_cny(row), investors, str(row["n_mentions"]))
    return table


@app.command()
def export(
    format: Annotated[str, typer.Option("--format", "-f", help="csv, jsonl or parquet (parquet needs pyarrow).")] = "jsonl",
    what: Annotated[str, typer.Option(help="events or mentions.")] = "events",
    output: Annotated[str, typer.Option("--output", "-o", help="File to write ('-' = stdout).")] = "-",
    into: Annotated[Path | None, typer.Option(
        "--into", help="Folder the --output file must stay inside (no '..', absolute paths or symlinks out).")] = None,
    db: DbOption = None,
) -> None:
    """Export events (with their source URLs) or mentions.

    Examples:\n
      fundwire export --format csv --output events.csv\n
      fundwire export --what mentions --format jsonl > mentions.jsonl\n
      fundwire export --format parquet --into exports --output events.parquet
    """
    from extractor.exports import FORMATS, ExportError, export_path, write_parquet, write_rows

    if format not in FORMATS:
        fail(f"unknown export format {format!r}: use csv, jsonl or parquet")
    if what not in ("events", "mentions"):
        fail(f"unknown export {what!r}: use events or mentions")
    if into is not None:
        if output == "-":
            fail("--into needs --output FILE (a file name inside that folder)")
        try:
            output = str(export_path(into, output))
        except ExportError as exc:
            fail(str(exc))
    if format == "parquet" and output == "-" and sys.stdout.isatty():
        fail("parquet is binary: give --output FILE.parquet or redirect stdout")
    with open_store(db) as store:
        rows = store.events() if what == "events" else list(store.mentions())
        if format == "parquet":
            try:
                write_parquet(rows, sys.stdout.buffer if output == "-" else Path(output))
            except ExportError as exc:
                fail(str(exc))
            except OSError as exc:
                fail(f"cannot write {output}: {exc.strerror or exc}")
        else:
            try:
                sink = sys.stdout if output == "-" else open(output, "w", encoding="utf-8", newline="")  # noqa: SIM115
            except OSError as exc:
                fail(f"cannot write {output}: {exc.strerror}")
            try:
                write_rows(rows, sink, format)
            finally:
                if sink is not sys.stdout:
                    sink.close()
    err.print(f"exported {len(rows)} {what}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on (127.0.0.1: this machine only).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8001,
    metadata: Annotated[Path | None, typer.Option(
        "--metadata", help="Also keep the Datasette metadata in this file (JSON).")] = None,
    db: DbOption = None,
) -> None:
    """Browse the database in Datasette: events, mentions, articles and canned queries.

    Canned queries: latest events, events by company, reports of one event, totals by quarter in
    yuan, the report's chart data. The database stays live (a crawl may write while you browse).
    Needs the web extra: pip install 'fundwire[web]'.

    Examples:\n
      fundwire serve\n
      fundwire serve --port 8080 --db crawl.db
    """
    from extractor.serve import ServeError, require_datasette
    from extractor.serve import serve as run_datasette

    path = db or STATE.settings.db
    try:
        require_datasette()
    except ServeError as exc:
        fail(str(exc))
    if not Path(path).is_file():
        fail(f"database not found: {path} (crawl first, or give --db)")
    with open_store(path):  # an older schema is upgraded before Datasette reads it
        pass
    err.print(f"serving {path} at http://{host}:{port}/ (Ctrl-C stops)")
    try:
        code = run_datasette(path, host=host, port=port, metadata_path=metadata)
    except ServeError as exc:
        fail(str(exc))
    if code not in (0, 130):
        fail(f"datasette stopped with status {code} (is port {port} free?)", code=1)


@app.command()
def report(
    period: Annotated[str, typer.Option(help="month, quarter or year.")] = "quarter",
    format: Annotated[str, typer.Option("--format", "-f", help="markdown, csv or json.")] = "markdown",
    since: Annotated[str | None, typer.Option(help="Events dated on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Events dated on or before YYYY-MM-DD.")] = None,
    lang: Annotated[str | None, typer.Option(help="Only events reported in this language (zh/en).")] = None,
    sector: Annotated[str | None, typer.Option(help="Only this sector of the taxonomy.")] = None,
    sectors: Annotated[Path | None, typer.Option(help="An edited sector taxonomy (TOML).")] = None,
    current_only: Annotated[bool, typer.Option("--current-only", help="Leave out earlier rounds mentioned in passing.")] = False,
    top: Annotated[int, typer.Option(help="How many of the largest raises to list.")] = 10,
    plot: Annotated[Path | None, typer.Option(help="Also draw totals by period to this PNG (needs matplotlib).")] = None,
    db: DbOption = None,
) -> None:
    """Funding analytics: yuan totals by period with growth, rounds, sectors and the largest raises.

    Vague amounts count at their lower bound (the report prints the rule).

    Examples:\n
      fundwire report --period quarter --sector "AI / large models"\n
      fundwire report --since 2024-01-01 --format json > report.json\n
      fundwire report --period month --plot totals.png
    """
    from extractor.report import build_report, load_sectors, sector_of, to_markdown

    if period not in ("month", "quarter", "year"):
        fail(f"unknown period {period!r}: use month, quarter or year")
    if format not in ("markdown", "csv", "json"):
        fail(f"unknown format {format!r}: use markdown, csv or json")
    if sectors is not None and not sectors.is_file():
        fail(f"sector taxonomy not found: {sectors}")
    try:
        taxonomy = load_sectors(sectors)
    except (OSError, ValueError, KeyError) as exc:
        fail(f"cannot read sector taxonomy: {exc}")
    if sector and sector not in {s.name for s in taxonomy} | {"other"}:
        fail(f"unknown sector {sector!r}: one of {', '.join(s.name for s in taxonomy)}, other")
    with open_store(db) as store:
        rows = store.report_rows(since=since, until=until, lang=lang, current_only=current_only)
    if sector:
        rows = [r for r in ({**r, "sector": sector_of(r.get("text") or "", taxonomy)} for r in rows)
                if r["sector"] == sector]
    result = build_report(rows, period=period, top_n=top, sectors=taxonomy)
    if format == "markdown":
        out.print(to_markdown(result), markup=False)
    elif format == "json":
        import dataclasses

        out.print(json.dumps(dataclasses.asdict(result), ensure_ascii=False, indent=2), markup=False)
    else:
        from extractor.exports import write_rows

        write_rows([{"period": r["period"], "events": r["events"], "cny": r["cny"], "growth_pct": r["growth_pct"],
                     "yoy_pct": r["yoy_pct"]} for r in result.totals], sys.stdout, "csv")
    if plot is not None:
        _plot_totals(result, plot)


def _plot_totals(result: Any, path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        fail("--plot needs matplotlib: pip install 'fundwire[plot]'")
    labels = [r["period"] for r in result.totals]
    values = [r["cny"] / 1e8 for r in result.totals]
    fig, ax = plt.subplots(figsize=(max(6, len(labels) * 0.6), 4))
    ax.bar(labels, values, color="#3b6ea8")
    ax.set_ylabel("funding (100 million yuan)")
    ax.set_title(f"Funding by {result.period} (vague amounts at lower bound)")
    ax.tick_params(axis="x", rotation=45)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    err.print(f"plot written to {path}")


FIXABLE = {"company": str, "round": str, "date": str, "amount": float, "currency": str, "amount_text": str,
           "amount_cny": float, "status": str}


@contextmanager
def correction(db: Path | None) -> Iterator[tuple[Store, Any]]:
    with open_store(db) as store, store.transaction() as conn:
        yield store, conn


def _event(store: Store, conn: Any, event_id: str) -> tuple[int, list[dict[str, Any]]]:
    found = store.event_mentions_of(conn, event_id)
    if found is None:
        fail(f"no event with id {event_id} (see: fundwire events --json)")
    return found


@correct_app.command("merge")
def correct_merge(event_a: str, event_b: str, db: DbOption = None) -> None:
    """Two events of one company are the same round: merge them.

    Example:\n
      fundwire correct merge e12-0 e40-1
    """
    from extractor.dedup import recluster, signature

    with correction(db) as (store, conn):
        company_a, mentions_a = _event(store, conn, event_a)
        company_b, mentions_b = _event(store, conn, event_b)
        if company_a != company_b:
            fail("the events belong to different companies: first join them with `fundwire correct alias`")
        store.add_correction(conn, "merge", signature(mentions_a[0]), signature(mentions_b[0]))
        recluster(store, conn, company_a)
    err.print(f"merged {event_a} and {event_b}")


@correct_app.command("split")
def correct_split(event_id: str, article: Annotated[int, typer.Option(help="The article whose report to split off.")],
                  db: DbOption = None) -> None:
    """One article's report is a different round: give it an event of its own.

    Example:\n
      fundwire correct split e12-0 --article 57
    """
    from extractor.dedup import recluster, signature

    with correction(db) as (store, conn):
        company, mentions = _event(store, conn, event_id)
        mine = [m for m in mentions if m["article_id"] == article]
        if not mine:
            fail(f"event {event_id} has no report from article {article}")
        store.add_correction(conn, "split", signature(mine[0]))
        recluster(store, conn, company)
    err.print(f"article {article} split off {event_id}")


@correct_app.command("fix")
def correct_fix(event_id: str, field: str, value: str, db: DbOption = None) -> None:
    """Set a field of an event (company, round, date, amount, currency, amount_text, amount_cny, status).

    Example:\n
      fundwire correct fix e12-0 round B+
    """
    from extractor.dedup import recluster, signature

    if field not in FIXABLE:
        fail(f"cannot fix {field!r}: one of {', '.join(FIXABLE)}")
    try:
        FIXABLE[field](value)
    except ValueError:
        fail(f"{field} must be a number, got {value!r}")
    with correction(db) as (store, conn):
        company, mentions = _event(store, conn, event_id)
        store.add_correction(conn, "fix", signature(mentions[0]), field=field, value=value)
        recluster(store, conn, company)
    err.print(f"{event_id}: {field} = {value}")


@correct_app.command("alias")
def correct_alias(name: str, alias: str, db: DbOption = None) -> None:
    """Two names are one company (e.g. a16z and Andreessen Horowitz, 智谱AI and Zhipu AI).

    Example:\n
      fundwire correct alias 月之暗面 "Moonshot AI"
    """
    from extractor.companies import company_key
    from extractor.dedup import recluster

    with correction(db) as (store, conn):
        company = store.company_id(conn, company_key(name) or name.casefold(), name)
        other = store.link_alias(conn, company, company_key(alias) or alias.casefold(), alias, "user")
        if other is not None:
            store.merge_companies(conn, company, other)
        store.add_correction(conn, "alias", name, alias)
        recluster(store, conn, company)
    err.print(f"{alias} is now an alias of {name}")


def _registry(sources: Path | None, only: list[str] | None) -> list[Any]:
    from crawlers.sources import SourceError, load_sources

    try:
        registry = load_sources(extra=sources or STATE.settings.sources)
    except (SourceError, OSError) as exc:
        fail(str(exc))
    if only:
        unknown = [name for name in only if name not in {s.name for s in registry}]
        if unknown:
            fail(f"unknown source(s): {', '.join(unknown)} (see: fundwire sources list)")
        registry = [s for s in registry if s.name in only]
    return registry


SourcesOption = Annotated[Path | None, typer.Option("--sources", help="A sources.toml overlaid on the shipped one.")]
OnlyOption = Annotated[list[str] | None, typer.Option("--source", help="Only these sources (repeatable).")]


@sources_app.command("list")
def sources_list(sources: SourcesOption = None, source: OnlyOption = None,
                 as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False) -> None:
    """The sources the crawler knows, with their entry points.

    Example:\n
      fundwire sources list --json
    """
    from rich.table import Table

    registry = _registry(sources, source)
    if as_json:
        for s in registry:
            out.print(json.dumps({"name": s.name, "title": s.title, "lang": s.lang, "kind": str(s.kind),
                                  "homepage": s.homepage, "feeds": list(s.feeds), "sitemaps": list(s.sitemaps),
                                  "listings": [x.url for x in s.listings], "interval_s": s.interval_s},
                                 ensure_ascii=False), markup=False)
        return
    table = Table(title=f"{len(registry)} source(s)")
    for column in ("name", "title", "lang", "kind", "entry points", "every"):
        table.add_column(column)
    for s in registry:
        points = "\n".join([*s.feeds, *s.sitemaps, *(x.url for x in s.listings)])
        table.add_row(s.name, s.title, s.lang, str(s.kind), points, f"{s.interval_s // 60} min")
    out.print(table)


@sources_app.command("check")
def sources_check(sources: SourcesOption = None, source: OnlyOption = None,
                  allow_private: Annotated[list[str] | None, typer.Option(
                      "--allow-private", help="Host, IP or CIDR the address guard lets through.")] = None) -> None:
    """Fetch every entry point once (robots.txt and politeness apply) and report what answers.

    Exit status 1 when any entry point fails or yields no links.

    Example:\n
      fundwire sources check --source 36kr --source techcrunch
    """
    import asyncio
    import dataclasses

    from rich.table import Table

    from crawlers.check import check_sources

    registry = _registry(sources, source)
    settings = STATE.settings.crawl
    if allow_private:
        settings = dataclasses.replace(settings, allow_private=tuple(allow_private))
    results = asyncio.run(check_sources(registry, settings))
    table = Table(title="entry points")
    for column in ("source", "kind", "url", "status", "links", "problem"):
        table.add_column(column)
    for r in results:
        table.add_row(r.source, str(r.kind), r.url, str(r.status or "-"), str(r.links), r.error or "ok")
    out.print(table)
    bad = [r for r in results if not r.ok]
    if bad:
        fail(f"{len(bad)} of {len(results)} entry point(s) failed or gave no links", code=1)


# -- db -----------------------------------------------------------------------------------------

@db_app.command("migrate")
def db_migrate(db: DbOption = None) -> None:
    """Create the database or upgrade its schema in place.

    Example:\n
      fundwire db migrate --db fundwire.db
    """
    from extractor.store import SCHEMA_VERSION, Store, StoreError

    path = db or STATE.settings.db
    try:
        store = Store.open(path, migrate=False)
        applied = store.migrate()
        store.close()
    except StoreError as exc:
        fail(f"{path}: {exc}")
    err.print(f"{path}: schema v{SCHEMA_VERSION}" + (f" (applied {applied})" if applied else " (up to date)"))


@db_app.command("stats")
def db_stats(db: DbOption = None) -> None:
    """Row counts, frontier states and schema version, as JSON.

    Example:\n
      fundwire db stats
    """
    with open_store(db) as store:
        out.print(json.dumps(store.stats(), ensure_ascii=False, indent=2), markup=False)


# -- page ---------------------------------------------------------------------------------------

@app.command()
def page(
    file: Annotated[str, typer.Argument(help="Saved HTML page, or '-' for stdin.")],
    url: Annotated[str | None, typer.Option(help="The page's URL (for relative links and site rules).")] = None,
) -> None:
    """Parse one saved page the way the crawler does; print the article as JSON.

    Examples:\n
      fundwire page saved.html --url https://36kr.com/p/123\n
      curl -s URL | fundwire page - --url URL
    """
    from crawlers.article import parse_page

    if file == "-":
        body = sys.stdin.buffer.read()
    else:
        path = Path(file)
        if not path.is_file():
            fail(f"file not found: {file}")
        body = path.read_bytes()
    parsed = parse_page(body, url or (Path(file).resolve().as_uri() if file != "-" else "stdin:"))
    out.print(json.dumps({"title": parsed.title, "published": parsed.published.isoformat() if parsed.published
                          else None, "lang": parsed.lang, "text": parsed.text, "charset": parsed.charset},
                         ensure_ascii=False), markup=False)


# -- eval ---------------------------------------------------------------------------------------

@app.command("eval")
def eval_(
    gold: Annotated[Path, typer.Option("--gold", help="Gold JSONL (DESIGN.md's scorer format).")],
    pred_out: Annotated[Path | None, typer.Option(help="Also write the predictions here.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    ner: Annotated[str | None, typer.Option(help="NER backend: spacy (default) or transformers:PATH.")] = None,
) -> None:
    """Extract every document of a gold file and score it role by role.

    Example:\n
      fundwire eval --gold ../shared/data/eval/zh_feed_gold.jsonl
    """
    from extractor.batch import extract_line
    from extractor.scoring import format_scores, score

    if not gold.is_file():
        fail(f"gold file not found: {gold}")
    extractor = load_extractor(ner)
    lines = [ln for ln in gold.read_text(encoding="utf-8").splitlines() if ln.strip()]
    golds, preds = [], []
    with progress(len(lines), "evaluating") as bar:
        for lineno, line in enumerate(lines, start=1):
            try:
                golds.append(json.loads(line))
            except json.JSONDecodeError:
                fail(f"{gold}: line {lineno} is not JSON")
            preds.append(extract_line(extractor, line, lineno)[0])
            bar.advance()
    if pred_out:
        pred_out.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in preds), encoding="utf-8")
    result = score(golds, preds)
    out.print(json.dumps(result, indent=2) if as_json else format_scores(result), markup=False)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)

if __name__ == "__main__":
    main()
