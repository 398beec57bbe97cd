"""Crawl benchmark: many hosts served on loopback, politeness delay 0.

Reports, from the same run: fetch-and-store pages/s with parsing off; the whole crawl (fetch,
parse, store) as a ratio to parsing the same pages alone in one process; peak RSS of each phase,
CPU ms per page, and the crawl's RSS sampled every --rss-every pages (memory flatness). Each phase
runs in its own subprocess (so peaks do not mix); figures are medians of --runs interleaved runs.

Self-contained (starts its own servers):

    .venv/bin/python bench/bench_crawl.py --pages 5000 --hosts 20 --runs 3

Hosts are 127.0.0.2..N+1 (the whole 127/8 is loopback on Linux), each served by its own server
process with asyncio (keep-alive). Page bodies cycle through ../shared/data/html when present,
else a synthetic article; entry points are one sitemap per host.

Against an existing site (e.g. ../shared/tools/crawlbench, nginx on 127.0.0.1:18001-18020, an RSS
feed per host at /rss.xml):

    .venv/bin/python bench/bench_crawl.py --site-base http://127.0.0.1:18001 --hosts 20 --runs 3

hosts are the base URL's port + 0..N-1; the crawl starts from each host's --feed-path; parse alone
re-parses the bodies the fetch phase stored (so "the same pages"). One phase alone, e.g. under
crawlbench's measure.py (writes its JSON to --json-out, with "articles" and "crawl_s"):

    .venv/bin/python bench/bench_crawl.py --site-base http://127.0.0.1:18001 --hosts 20 \\
        --phase fetch --db /tmp/fw.sqlite --json-out /tmp/fw.tool.json

Crawl settings: delay 0, --concurrency in flight (default 32; 64 against a site, as the crawlbench
httpx anchor), --per-host (default 4; 8 against a site), robots.txt honoured, loopback allowed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
SHARED_HTML = ROOT.parent / "shared" / "data" / "html"
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def page_bodies() -> list[bytes]:
    files = sorted(SHARED_HTML.glob("*/*.html")) if SHARED_HTML.exists() else []
    bodies = [f.read_bytes() for f in files if ".groundtruth" not in f.name]
    if not bodies:
        para = "<p>" + "Acme raised a $10 million Series A led by Example Ventures. " * 20 + "</p>"
        bodies = [f"<html><head><title>A</title></head><body><article>{para}</article></body></html>".encode()]
    return bodies


def serve(host: str, port: int, n_pages: int, ready: mp.Event) -> None:  # type: ignore[valid-type]
    bodies = page_bodies()
    base = f"http://{host}:{port}"
    sitemap = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
               + "".join(f"<url><loc>{base}/p/{i}.html</loc></url>" for i in range(n_pages)) + "</urlset>").encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                if path == "/sitemap.xml":
                    body, ctype, status = sitemap, b"application/xml", b"200 OK"
                elif path.startswith("/p/"):
                    i = int(path[3:].split(".")[0])
                    body, ctype, status = bodies[(i + hash(host)) % len(bodies)], b"text/html", b"200 OK"
                else:
                    body, ctype, status = b"no", b"text/plain", b"404 Not Found"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + ctype + b"\r\nContent-Length: "
                             + str(len(body)).encode() + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, host, port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def rss_mb() -> float:
    """Current resident set size (not the peak)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE_SIZE / 2**20


def cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def site_urls(args: argparse.Namespace) -> list[str]:
    """The hosts' base URLs: self-contained 127.0.0.2..; against a site, the base port + 0..N-1."""
    if not args.site_base:
        return [f"http://127.0.0.{i + 2}:{args.port}" for i in range(args.hosts)]
    parts = urlsplit(args.site_base)
    port = parts.port or 80
    return [f"{parts.scheme}://{parts.hostname}:{port + i}" for i in range(args.hosts)]


def phase_crawl(args: argparse.Namespace, parse: bool, db: Path) -> dict[str, object]:
    sys.path.insert(0, str(ROOT))
    from crawlers.run import crawl
    from crawlers.settings import CrawlSettings
    from crawlers.sources import Source, SourceKind
    from extractor.store import Store

    bases = site_urls(args)
    if args.site_base:
        sources = [Source(name=f"h{i:02d}", title=b, lang=None, kind=SourceKind.NEWS, homepage=b + "/",
                          feeds=(b + args.feed_path,)) for i, b in enumerate(bases)]
    else:
        sources = [Source(name=f"h{i:02d}", title=b, lang="en", kind=SourceKind.NEWS, homepage=b + "/",
                          sitemaps=(b + "/sitemap.xml",)) for i, b in enumerate(bases)]
    settings = CrawlSettings(allow_private=("127.0.0.0/8",), per_host_delay_s=0.0, per_host_concurrency=args.per_host,
                             concurrency=args.concurrency, parse_articles=parse, retries=1)
    samples: list[tuple[int, float, float]] = []  # (pages fetched, RSS MB, seconds)
    fetched = {"n": 0, "next": args.rss_every}
    start = time.perf_counter()

    def progress(_name: str, _summary: object) -> None:
        fetched["n"] += 1  # one call per processed URL
        if fetched["n"] >= fetched["next"]:
            fetched["next"] += args.rss_every
            samples.append((fetched["n"], round(rss_mb(), 1), round(time.perf_counter() - start, 2)))

    store = Store.open(db)
    cpu0 = cpu_s()
    summaries = asyncio.run(crawl(store, sources, settings, once=True, progress=progress))
    elapsed = time.perf_counter() - start
    cpu = cpu_s() - cpu0
    pages = store.conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    articles = store.conn.execute("SELECT count(*) FROM articles").fetchone()[0]
    store.close()
    errors: dict[str, int] = {}
    for s in summaries.values():
        for kind, n in s.errors.items():
            errors[kind] = errors.get(kind, 0) + n
    return {"elapsed_s": elapsed, "crawl_s": elapsed, "pages": pages, "article_pages": pages - len(sources),
            "articles": pages - len(sources) if not parse else articles, "parsed_articles": articles,
            "errors": sum(errors.values()), "errors_by_kind": errors, "cpu_s": cpu,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "rss_samples": samples}


def phase_parse_alone(args: argparse.Namespace, db: Path | None) -> dict[str, object]:
    """parse_page over the same pages in one process: from the fetch phase's database against a
    site, else over the bodies the self-contained servers send."""
    sys.path.insert(0, str(ROOT))
    from crawlers.article import parse_page

    count = 0
    cpu0 = cpu_s()
    if args.site_base:
        import sqlite3

        assert db is not None and db.exists(), "parse alone against a site needs the fetch phase's --db"
        conn = sqlite3.connect(db)
        rows = conn.execute("SELECT p.url, p.headers, p.body FROM pages p JOIN frontier f ON f.url = p.url"
                            " WHERE f.kind = 'article' ORDER BY p.id")
        start = time.perf_counter()
        for url, headers, body in rows:
            parse_page(zlib.decompress(body), url, json.loads(headers))
            count += 1
    else:
        bodies = page_bodies()
        per_host = max(1, args.pages // args.hosts)
        hosts = [urlsplit(b).hostname for b in site_urls(args)]
        start = time.perf_counter()
        for h in hosts:
            for i in range(per_host):
                parse_page(bodies[(i + hash(h)) % len(bodies)], f"http://{h}/p/{i}.html")
                count += 1
    elapsed = time.perf_counter() - start
    return {"elapsed_s": elapsed, "crawl_s": elapsed, "pages": count, "articles": count, "cpu_s": cpu_s() - cpu0,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_phase(args: argparse.Namespace, phase: str, db: Path) -> dict[str, object]:
    cmd = [sys.executable, __file__, "--phase", phase, "--db", str(db), "--pages", str(args.pages),
           "--hosts", str(args.hosts), "--port", str(args.port), "--concurrency", str(args.concurrency),
           "--per-host", str(args.per_host), "--rss-every", str(args.rss_every), "--feed-path", args.feed_path]
    if args.site_base:
        cmd += ["--site-base", args.site_base]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, env={"PYTHONHASHSEED": "0", "PATH": ""})
    return json.loads(out.stdout.strip().splitlines()[-1])


def flatness(samples: list[list[float]]) -> str:
    """RSS at the first, middle and last sample, and the growth over the second half."""
    if len(samples) < 2:
        return "(too few samples)"
    first, mid, last = samples[0], samples[len(samples) // 2], samples[-1]
    per_k = (last[1] - mid[1]) / max(1, (last[0] - mid[0])) * 1000
    return (f"RSS {first[1]:.0f} MB at {first[0]}, {mid[1]:.0f} at {mid[0]}, {last[1]:.0f} at {last[0]} pages"
            f" ({per_k:+.2f} MB per 1,000 pages over the second half)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4000, help="self-contained: pages in total (over the hosts)")
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=18080, help="self-contained: the servers' port")
    parser.add_argument("--site-base", help="crawl an existing loopback site at this base URL (port + 0..hosts-1)")
    parser.add_argument("--feed-path", default="/rss.xml", help="with --site-base: each host's feed")
    parser.add_argument("--concurrency", type=int, help="URLs in flight (default 32, 64 with --site-base)")
    parser.add_argument("--per-host", type=int, help="per-host concurrency (default 4, 8 with --site-base)")
    parser.add_argument("--rss-every", type=int, default=1000, help="sample RSS every this many URLs")
    parser.add_argument("--phase", choices=("fetch", "full", "parse"), help="run one phase in this process")
    parser.add_argument("--db", type=Path, help="with --phase: the database (parse reads the fetch phase's)")
    parser.add_argument("--json-out", type=Path, help="with --phase: also write the result JSON here")
    args = parser.parse_args()
    args.concurrency = args.concurrency or (64 if args.site_base else 32)
    args.per_host = args.per_host or (8 if args.site_base else 4)
    if args.site_base and urlsplit(args.site_base).hostname not in ("127.0.0.1", "localhost", "::1"):
        parser.error("--site-base must be a loopback address")
    if args.phase is not None:
        with tempfile.TemporaryDirectory() as tmp:
            db = args.db or Path(tmp) / "bench.db"
            if args.phase != "parse":
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{db}{suffix}").unlink(missing_ok=True)
            result = (phase_parse_alone(args, db) if args.phase == "parse"
                      else phase_crawl(args, args.phase == "full", db))
        if args.json_out:
            args.json_out.write_text(json.dumps(result))
        print(json.dumps(result))
        return 0
    servers = []
    if not args.site_base:
        ctx = mp.get_context("spawn")
        per_host = max(1, args.pages // args.hosts)
        for base in site_urls(args):
            ready = ctx.Event()
            proc = ctx.Process(target=serve, args=(urlsplit(base).hostname, args.port, per_host, ready), daemon=True)
            proc.start()
            ready.wait(10)
            servers.append(proc)
    rows: dict[str, list[dict[str, object]]] = {"fetch": [], "full": [], "parse": []}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for run in range(args.runs):  # interleaved so drift hits every phase alike
                db = Path(tmp) / f"fetch_{run}.db"
                for phase, results in rows.items():
                    results.append(run_phase(args, phase, db if phase != "full" else Path(tmp) / f"full_{run}.db"))
    finally:
        for proc in servers:
            proc.terminate()
    keys = ("elapsed_s", "pages", "article_pages", "articles", "errors", "cpu_s", "peak_rss_mb")
    med = {p: {k: statistics.median(float(r[k]) for r in rs) for k in keys if k in rs[0]} for p, rs in rows.items()}
    n_fetch = med["fetch"]["article_pages"]
    fetch_rate = n_fetch / med["fetch"]["elapsed_s"]
    full_rate = med["full"]["article_pages"] / med["full"]["elapsed_s"]
    parse_rate = med["parse"]["pages"] / med["parse"]["elapsed_s"]
    where = args.site_base or f"self-contained servers on 127.0.0.2-{args.hosts + 1}:{args.port}"
    print(f"{int(n_fetch)} article pages over {args.hosts} hosts ({where}), medians of {args.runs} runs,"
          f" concurrency {args.concurrency}, per host {args.per_host}")
    for phase, label, rate in (("fetch", "fetch+store, parsing off", fetch_rate),
                               ("full", "full crawl (parse on)   ", full_rate),
                               ("parse", "parse alone             ", parse_rate)):
        m = med[phase]
        print(f"{label} : {rate:7.1f} pages/s  peak RSS {m['peak_rss_mb']:.0f} MB"
              f"  CPU {1000 * m['cpu_s'] / max(1.0, m.get('article_pages', m['pages'])):.2f} ms/page"
              + (f"  errors {int(m['errors'])}" if "errors" in m else ""))
    print(f"full crawl / parse alone : {full_rate / parse_rate:.2f}x")
    print("runs (pages/s): " + "; ".join(
        f"{p} " + ", ".join(f"{float(r.get('article_pages', r['pages'])) / float(r['elapsed_s']):.0f}"  # type: ignore[arg-type]
                            for r in rs) for p, rs in rows.items()))
    for phase in ("fetch", "full"):
        last = rows[phase][-1]
        print(f"memory, {phase} (last run): {flatness(last['rss_samples'])}")  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
