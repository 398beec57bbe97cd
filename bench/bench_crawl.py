"""Crawl benchmark: many hosts served on loopback, politeness delay 0.

Reports, from the same run: fetch-and-store pages/s with parsing off; the whole crawl (fetch,
parse, store) as a ratio to parsing the same pages alone in one process; peak RSS of each phase.
Each phase runs in its own subprocess (so peaks do not mix); figures are medians of --runs runs.

    .venv/bin/python bench/bench_crawl.py --pages 5000 --hosts 20 --runs 3

Hosts are 127.0.0.2..N+1 (the whole 127/8 is loopback on Linux), each served by its own server
process with asyncio (keep-alive) so the server does not share the crawler's core. Page bodies
cycle through ../shared/data/html when present, else a synthetic article.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED_HTML = ROOT.parent / "shared" / "data" / "html"


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


def phase_crawl(hosts: list[str], port: int, parse: bool) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from crawlers.run import crawl
    from crawlers.settings import CrawlSettings
    from crawlers.sources import Source, SourceKind
    from extractor.store import Store

    sources = [Source(name=f"h{i}", title=h, lang="en", kind=SourceKind.NEWS, homepage=f"http://{h}:{port}/",
                      sitemaps=(f"http://{h}:{port}/sitemap.xml",)) for i, h in enumerate(hosts)]
    settings = CrawlSettings(allow_private=("127.0.0.0/8",), per_host_delay_s=0.0, per_host_concurrency=4,
                             concurrency=32, parse_articles=parse, retries=1)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.open(Path(tmp) / "bench.db")
        start = time.perf_counter()
        summaries = asyncio.run(crawl(store, sources, settings, once=True))
        elapsed = time.perf_counter() - start
        pages = store.conn.execute("SELECT count(*) FROM pages").fetchone()[0]
    errors = sum(sum(s.errors.values()) for s in summaries.values())
    return {"elapsed_s": elapsed, "pages": pages, "errors": errors,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def phase_parse_alone(n_pages: int, hosts: list[str]) -> dict[str, float]:
    sys.path.insert(0, str(ROOT))
    from crawlers.article import parse_page

    bodies = page_bodies()
    start = time.perf_counter()
    count = 0
    for h in hosts:
        for i in range(n_pages):
            parse_page(bodies[(i + hash(h)) % len(bodies)], f"http://{h}/p/{i}.html")
            count += 1
    return {"elapsed_s": time.perf_counter() - start, "pages": count,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def run_phase(args: list[str]) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--phase", *args], capture_output=True, text=True, check=True,
                         env={"PYTHONHASHSEED": "0", "PATH": ""})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=4000, help="pages in total (spread over the hosts)")
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--phase", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    hosts = [f"127.0.0.{i + 2}" for i in range(args.hosts)]
    per_host = max(1, args.pages // args.hosts)
    if args.phase is not None:
        what = args.phase[0]
        result = phase_parse_alone(per_host, hosts) if what == "parse" else phase_crawl(hosts, args.port, what == "full")
        print(json.dumps(result))
        return 0
    ctx = mp.get_context("spawn")
    servers = []
    for h in hosts:
        ready = ctx.Event()
        proc = ctx.Process(target=serve, args=(h, args.port, per_host, ready), daemon=True)
        proc.start()
        ready.wait(10)
        servers.append(proc)
    common = ["--pages", str(args.pages), "--hosts", str(args.hosts), "--port", str(args.port)]
    rows: dict[str, list[dict[str, float]]] = {"fetch": [], "full": [], "parse": []}
    try:
        for _ in range(args.runs):  # interleaved so drift hits every phase alike
            for phase, results in rows.items():
                results.append(run_phase([phase, *common]))
    finally:
        for proc in servers:
            proc.terminate()
    med = {p: {k: statistics.median(r[k] for r in rs) for k in rs[0]} for p, rs in rows.items()}
    fetch_rate = med["fetch"]["pages"] / med["fetch"]["elapsed_s"]
    ratio = med["parse"]["elapsed_s"] / med["full"]["elapsed_s"]
    print(f"pages {int(med['fetch']['pages'])} over {args.hosts} hosts, medians of {args.runs} runs")
    print(f"fetch+store, parsing off : {fetch_rate:7.1f} pages/s  peak RSS {med['fetch']['peak_rss_mb']:.0f} MB"
          f"  errors {int(med['fetch']['errors'])}")
    print(f"full crawl (parse on)    : {med['full']['pages'] / med['full']['elapsed_s']:7.1f} pages/s"
          f"  peak RSS {med['full']['peak_rss_mb']:.0f} MB")
    print(f"parse alone              : {med['parse']['pages'] / med['parse']['elapsed_s']:7.1f} pages/s"
          f"  peak RSS {med['parse']['peak_rss_mb']:.0f} MB")
    print(f"full crawl / parse alone : {ratio:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
