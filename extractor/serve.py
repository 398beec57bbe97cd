"""`fundwire serve`: browse the database in Datasette (the optional `web` extra).

Three pieces: `metadata(name)` is the Datasette metadata (titles, column labels, facets, the raw page
bodies kept out of sight, canned queries); `datasette_args` / `datasette_command` serve one database
with it; `serve` writes the metadata file and runs Datasette with those arguments in-process.

The database is served in Datasette's normal (mutable) mode, which opens it read-only
(`?mode=ro`) and re-reads it as it changes: a crawl or re-extraction can write while people browse,
since the store's WAL journal lets readers and the writer pass each other. Immutable mode (`-i`)
would be wrong here: it promises SQLite that the file never changes, so a live database would be
read stale or torn.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from extractor.report import COUNTING_RULE

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8001
# Time one page's SQL may take before Datasette cancels it (its default is 1 s).
SQL_TIME_LIMIT_MS = 3000


class ServeError(Exception):
    """The database cannot be served as asked."""


class MissingDatasette(ServeError):
    """Datasette is not installed: pip install 'fundwire[web]'."""

    def __init__(self) -> None:
        super().__init__("fundwire serve needs Datasette: pip install 'fundwire[web]'")


# -- SQL of the canned queries ------------------------------------------------------------------

# Yuan an event adds to a total: the report's counting rule (vague amounts at their lower bound).
COUNTED_CNY = "coalesce(e.amount_cny, e.amount_cny_min)"
QUARTER = "substr(e.date, 1, 4) || '-Q' || ((cast(substr(e.date, 6, 2) as integer) + 2) / 3)"



def _yuan_sql(value: str) -> str:
    """SQL for report._yuan: ¥1.20亿 / ¥3500万 / ¥800."""
    return (f"case when {value} >= 1e8 then printf('¥%.2f亿', {value} / 1e8)"
            f" when {value} >= 1e4 then printf('¥%.0f万', {value} / 1e4) else printf('¥%.0f', {value}) end")


# report.format_cny in SQL: the amount in yuan for people, bounds as ≥ / ≤ / a range.
YUAN_TEXT = f"""case when e.amount_cny is not null then {_yuan_sql("e.amount_cny")}
    when e.amount_cny_min is not null and e.amount_cny_max is not null
      then {_yuan_sql("e.amount_cny_min")} || '–' || {_yuan_sql("e.amount_cny_max")}
    when e.amount_cny_min is not null then '≥' || {_yuan_sql("e.amount_cny_min")}
    when e.amount_cny_max is not null then '≤' || {_yuan_sql("e.amount_cny_max")}
    else '-' end"""
# `fundwire events`: every investor, leads starred.
INVESTORS_TEXT = """(select group_concat(case when i.value in (select l.value from json_each(e.lead_investors) l)
    then i.value || '*' else i.value end, ', ') from json_each(e.investors) i)"""

# The columns `fundwire events` prints, under the same headings, and the yuan the totals count.
_EVENT_COLUMNS = f"""e.date, e.company, e.round, e.amount_text as amount, {YUAN_TEXT} as "in yuan",
  {INVESTORS_TEXT} as "investors (lead*)", e.n_mentions as reports, {COUNTED_CNY} as "yuan counted",
  e.status, e.id as event"""

LATEST_EVENTS_SQL = f"""select {_EVENT_COLUMNS}
from events e
order by e.date is null, e.date desc, e.id
limit 100"""

EVENTS_BY_COMPANY_SQL = f"""select {_EVENT_COLUMNS}
from events e
where e.company like '%' || :company || '%'
   or e.company_id in (select company_id from company_aliases where alias like '%' || :company || '%')
order by e.date is null, e.date desc, e.id"""

EVENT_SOURCES_SQL = """select a.published, a.source, a.lang, a.title, a.url, m.round_text as round,
  m.amount_text as amount, m.evidence, m.confidence
from event_mentions em
join mentions m on m.id = em.mention_id
join articles a on a.id = m.article_id
where em.event_id = :event
order by a.published, a.id"""

TOTALS_BY_QUARTER_SQL = f"""select {QUARTER} as quarter, count(*) as events,
  total({COUNTED_CNY}) as yuan, sum({COUNTED_CNY} is null) as "events without amount"
from events e
where e.date is not null
group by quarter
order by quarter"""

# The bars `fundwire report --plot` draws: yuan totals per period, in units of 100 million yuan.
REPORT_CHART_SQL = f"""with chosen as (select coalesce(nullif(:period, ''), 'quarter') as period)
select case chosen.period when 'month' then substr(e.date, 1, 7) when 'year' then substr(e.date, 1, 4)
         else {QUARTER} end as period,
  count(*) as events, total({COUNTED_CNY}) as cny, round(total({COUNTED_CNY}) / 1e8, 2) as "100m yuan"
from events e, chosen
where e.date is not null and chosen.period in ('month', 'quarter', 'year')
group by 1
order by 1"""

# Shadows the `pages` table (a canned query wins over a table of the same name): every column
# but the zlib-compressed body, which is of no use in a browser and heavy to ship.
PAGES_SQL = """select id, url, final_url, status, body_size, fetched_at
from pages
order by fetched_at desc
limit 1000"""


# -- metadata -----------------------------------------------------------------------------------

_EVENT_LABELS = {
    "id": "event id (first mention's article and index)",
    "company": "company, as most reports name it",
    "round": "funding round (normalised: Seed, Angel, Pre-A, A, A+, B, …, IPO, strategic)",
    "amount": "amount in the reported currency (for a vague amount: null, see min/max)",
    "amount_min": "lower bound of a vague or bounded amount, reported currency",
    "amount_max": "upper bound of a vague or bounded amount, reported currency",
    "currency": "ISO currency of the reported amount",
    "amount_text": "the amount as the article wrote it",
    "amount_cny": "amount in yuan at the event date's ECB rate",
    "amount_cny_min": "lower bound in yuan (what totals count for a vague amount)",
    "amount_cny_max": "upper bound in yuan",
    "date": "event date (ISO)",
    "date_precision": "day, month, quarter or year",
    "lead_investors": "lead investors (JSON list)",
    "investors": "all investors named (JSON list)",
    "status": "closed, announced, planned or reported (rumour)",
    "n_mentions": "how many article mentions were merged into this event",
    "first_seen": "publication date of the earliest report",
    "conflicts": "fields on which reports disagree: the value chosen and the alternatives (JSON)",
    "company_id": "the company (all its aliases merged)",
    "updated_at": "when the event was last re-merged (UTC)",
}

_MENTION_LABELS = {
    "article_id": "the article that reports it",
    "idx": "position of this mention within its article",
    "company": "company as this article names it",
    "company_aliases": "other names the article gives it (JSON list)",
    "round_text": "the round as the article wrote it",
    "amount_undisclosed": "1 when the article says the amount was not disclosed",
    "fx_rate": "yuan per unit of the currency used for amount_cny",
    "fx_date": "date of that rate",
    "is_current": "1 for the round the article announces, 0 for an earlier round mentioned in passing",
    "evidence": "the sentence the mention was read from",
    "confidence": "extractor confidence, 0 to 1",
    "spans": "character offsets of each field in the article text (JSON)",
    "extractor_version": "the extractor that produced this mention",
    **{k: v for k, v in _EVENT_LABELS.items() if k in {
        "round", "amount", "amount_min", "amount_max", "currency", "amount_text", "amount_cny",
        "amount_cny_min", "amount_cny_max", "date", "date_precision", "lead_investors", "investors",
        "status", "company_id"}},
}

_ARTICLE_LABELS = {
    "page_id": "the fetched page it was parsed from (empty for full-text feed items)",
    "url": "article URL",
    "source": "the source (outlet) it was crawled from",
    "title": "headline",
    "published": "publication time",
    "lang": "language (zh or en)",
    "text": "the article text the extractor read",
    "charset": "the page's character set",
    "charset_method": "how the character set was found: header, bom, meta, detected or feed",
    "added_at": "when it was stored (UTC)",
}


def database_name(db: str | Path) -> str:
    """The name Datasette gives a database file (its stem): the key of its metadata."""
    return Path(db).stem


def metadata(name: str) -> dict[str, Any]:
    """Datasette metadata for the fundwire database that Datasette names `name`."""
    queries = {
        "latest_events": {
            "title": "Latest funding events",
            "description": "The 100 most recent deduplicated events, newest first, as `fundwire events` "
                           "shows them; 'yuan counted' is what totals add (vague amounts at their "
                           "lower bound).",
            "sql": LATEST_EVENTS_SQL,
            "hide_sql": True,
        },
        "events_by_company": {
            "title": "Funding events by company",
            "description": "Events of companies whose name or any alias contains the text "
                           "(Chinese or English names both work).",
            "sql": EVENTS_BY_COMPANY_SQL,
            "hide_sql": True,
            "params": ["company"],
        },
        "event_sources": {
            "title": "Reports of one event",
            "description": "Every article that reported the event, with the sentence it was read from.",
            "sql": EVENT_SOURCES_SQL,
            "params": ["event"],
        },
        "totals_by_quarter": {
            "title": "Funding totals by quarter, in yuan",
            "description": f"Dated events per quarter and their total in yuan. Rule: {COUNTING_RULE}.",
            "sql": TOTALS_BY_QUARTER_SQL,
        },
        "report_chart": {
            "title": "Report chart: totals by period",
            "description": "The data of `fundwire report --plot`: yuan totals per period (period: "
                           "month, quarter or year; empty means quarter), also in units of 100 million "
                           f"yuan. Rule: {COUNTING_RULE}.",
            "sql": REPORT_CHART_SQL,
            "hide_sql": True,
            "params": ["period"],
        },
        "pages": {
            "title": "Fetched pages",
            "description": "The 1,000 most recently fetched pages; the raw page bodies (compressed "
                           "bytes) are left out.",
            "sql": PAGES_SQL,
        },
    }
    tables: dict[str, dict[str, Any]] = {
        "events": {
            "title": "Funding events",
            "description": "One row per funding round, merged from every article that reported it. "
                           f"Amounts: {COUNTING_RULE}.",
            "sort_desc": "date",
            "facets": ["round", "status", "currency"],
            "label_column": "company",
            "columns": _EVENT_LABELS,
        },
        "mentions": {
            "title": "Mentions",
            "description": "One row per funding event as one article states it; event_mentions links "
                           "them to the merged events.",
            "facets": ["round", "currency", "is_current"],
            "label_column": "company",
            "columns": _MENTION_LABELS,
        },
        "articles": {
            "title": "Articles",
            "description": "News articles as parsed from the crawled pages and feeds.",
            "sort_desc": "published",
            "facets": ["source", "lang"],
            "label_column": "title",
            "columns": _ARTICLE_LABELS,
        },
        "companies": {"title": "Companies", "label_column": "name",
                      "description": "One row per company; company_aliases holds all its names."},
        "company_aliases": {"title": "Company aliases",
                            "description": "Every name a company goes by, and where it was learnt."},
        "event_mentions": {"title": "Event ↔ mention links"},
        "sources": {"title": "News sources", "label_column": "title"},
        "corrections": {"title": "User corrections",
                        "description": "Merges, splits, field fixes and aliases that survive re-extraction."},
        # The raw bodies are compressed bytes: hidden from the table list; the `pages` canned
        # query above shows the same rows without them.
        "pages": {"hidden": True},
    }
    return {
        "title": "fundwire: funding events",
        "description": "Funding events extracted from Chinese and English tech news and deduplicated "
                       "across reports. Start with the canned queries: latest events, events by "
                       "company, totals by quarter.",
        "databases": {name: {"tables": tables, "queries": queries}},
    }


def write_metadata(db: str | Path, path: str | Path) -> Path:
    """Write the metadata for database file `db` to `path` (JSON); return the path."""
    target = Path(path)
    target.write_text(json.dumps(metadata(database_name(db)), ensure_ascii=False, indent=2) + "\n",
                      encoding="utf-8")
    return target


# -- running Datasette ---------------------------------------------------------------------------

def require_datasette() -> None:
    """Raise MissingDatasette unless Datasette can be imported."""
    try:
        import datasette  # noqa: F401
    except ImportError as exc:
        raise MissingDatasette() from exc


def datasette_args(db: str | Path, metadata_path: str | Path, *, host: str = DEFAULT_HOST,
                   port: int = DEFAULT_PORT) -> list[str]:
    """Datasette's own arguments that serve `db` with the metadata file in normal (read-only, live)
    mode; never `-i`."""
    return ["serve", str(db), "--metadata", str(metadata_path), "--host", host, "--port", str(port),
            "--setting", "sql_time_limit_ms", str(SQL_TIME_LIMIT_MS)]


def datasette_command(db: str | Path, metadata_path: str | Path, *, host: str = DEFAULT_HOST,
                      port: int = DEFAULT_PORT, python: str = sys.executable) -> list[str]:
    """The same as a command line (to run Datasette by hand, or under a service manager)."""
    return [python, "-m", "datasette", *datasette_args(db, metadata_path, host=host, port=port)]


def serve(db: str | Path, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          metadata_path: str | Path | None = None) -> int:
    """Serve `db` in this process until Ctrl-C or SIGTERM; return the exit status.

    Datasette runs in-process (its own command, under uvicorn, which stops cleanly on either
    signal), so no server is left behind when fundwire is stopped. The metadata goes to
    `metadata_path` when given (kept afterwards), else to a temporary file."""
    require_datasette()
    from click import ClickException
    from datasette.cli import cli as datasette_cli

    if not Path(db).is_file():
        raise ServeError(f"database not found: {db}")
    with tempfile.TemporaryDirectory(prefix="fundwire-serve-") as scratch:
        meta = write_metadata(db, metadata_path or Path(scratch) / "metadata.json")
        try:
            datasette_cli.main(args=datasette_args(db, meta, host=host, port=port), prog_name="datasette",
                               standalone_mode=False)
        except ClickException as exc:
            raise ServeError(f"datasette: {exc.format_message()}") from exc
        except SystemExit as exc:  # uvicorn exits 1 when it cannot bind the port
            return exc.code if isinstance(exc.code, int) else 1
    return 0
