"""A misbehaving HTTP server on 127.0.0.1 (port 0): every path is one fault a crawler meets on the web.

Good article pages (`/good/N.html`) sit next to the faults so a test can show that the rest of the
crawl completes. The server counts requests per path (`hits`) and body bytes it managed to send
(`sent`), so a test can say how many tries each fault got and that a huge body was not read to
the end. Nothing here reaches beyond 127.0.0.1: the "private" redirect targets are only
Location headers the crawler's address guard must refuse before connecting.
"""

from __future__ import annotations

import gzip
import socket
import struct
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HUGE_BYTES = 50 * 1024 * 1024
BOMB_INFLATED = 64 * 1024 * 1024
DRIP_GAP_S = 0.05
SLOW_HEADERS_S = 3.0

GBK_COMPANY = "深圳云帆智能科技"
PASSWD_MARKER = "root:x:0:0"

EN_ARTICLE = """<!doctype html><html><head><meta charset="utf-8"><title>{name} raises ${amount} million in Series A</title>
<meta property="article:published_time" content="2024-05-20T10:30:00+00:00"></head><body>
<nav><a href="/">Home</a> <a href="/about">About</a></nav><article><h1>{name} raises ${amount} million in Series A</h1>
<p>{name}, a startup that builds warehouse robots, said on Monday it had raised ${amount} million in a Series A
round led by Sequoia Capital, with participation from existing investors.</p>
<p>The company will use the money to hire engineers and expand into Europe, its chief executive said in an
interview. {name} was founded in 2021 and now has 80 employees.</p>
<p>Investors have poured money into automation this year as labour costs rise across the industry.</p>
</article><footer>Copyright 2024</footer></body></html>"""

ZH_ARTICLE = """<!doctype html><html><head><meta charset="{charset}"><title>{name}完成{amount}亿元B轮融资</title>
<meta property="article:published_time" content="2024-05-20T10:30:00+08:00"></head><body>
<nav><a href="/">首页</a></nav><article><h1>{name}完成{amount}亿元B轮融资</h1>
<p>{name}今日宣布完成{amount}亿元B轮融资，由红杉中国领投，老股东高瓴资本跟投。本轮融资将主要用于新一代产品研发与市场拓展。</p>
<p>{name}成立于2019年，总部位于深圳，专注于工业机器人与智能制造解决方案，目前员工超过三百人。</p>
<p>公司创始人表示，未来一年将继续加大研发投入，并在海外市场设立分支机构。</p>
</article><footer>版权所有 2024</footer></body></html>"""

NOT_AN_ARTICLE = b"""<!doctype html><html><head><meta charset="utf-8"><title>Sign in</title></head><body>
<nav><a href="/">Home</a> | <a href="/login">Sign in</a> | <a href="/help">Help</a></nav>
<form action="/login" method="post"><input name="user"><input name="password" type="password">
<button>Sign in</button></form><footer><a href="/terms">Terms</a></footer></body></html>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
 <!ENTITY xxe SYSTEM "file:///etc/passwd">
]>
"""


def en_article(i: int) -> bytes:
    return EN_ARTICLE.format(name=f"Robotica{i:03d}", amount=10 + i).encode()


def zh_article(name: str, amount: int, charset: str = "utf-8") -> str:
    return ZH_ARTICLE.format(name=name, amount=amount, charset=charset)


def hostile_feed(base: str) -> bytes:
    return BILLION_LAUGHS + f"""<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>{base}/good/0.html</link><description>&xxe;</description></item>
<item><title>&xxe;</title><link>{base}/xxe/&xxe;</link></item></channel></rss>""".encode()


def hostile_sitemap(base: str) -> bytes:
    return BILLION_LAUGHS + f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/good/1.html</loc><lastmod>&lol9;</lastmod></url>
<url><loc>{base}/xxe/&xxe;</loc></url></urlset>""".encode()


def _bomb() -> bytes:
    """gzip of BOMB_INFLATED zero bytes (about 64 KB on the wire), built without holding 64 MB."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31: a gzip container
    block = b"\0" * (1024 * 1024)
    parts = [squeeze.compress(block) for _ in range(BOMB_INFLATED // len(block))]
    return b"".join(parts) + squeeze.flush()


@dataclass
class FaultSite:
    """The running server: its base URL, per-path counters and the good page paths."""

    base: str = ""
    good_paths: list[str] = field(default_factory=list)
    hits: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    hit_times: dict[str, list[float]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    extra: dict[str, Callable[[BaseHTTPRequestHandler], None]] = field(default_factory=dict)

    def url(self, path: str) -> str:
        return self.base + path

    def note(self, path: str) -> int:
        with self.lock:
            self.hits[path] += 1
            self.hit_times.setdefault(path, []).append(time.monotonic())
            return self.hits[path]

    def add_sent(self, path: str, n: int) -> None:
        with self.lock:
            self.sent[path] += n


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: FaultSite
    bomb: bytes

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        try:
            self.wfile.write(body)
            self.site.add_sent(self.path, len(body))
        except OSError:
            pass

    def _stream(self, total: int, headers: dict[str, str]) -> None:
        """Send `total` bytes in 64 KB chunks until the client hangs up (the count lands in `sent`)."""
        self.send_response(200)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.close_connection = True
        chunk = b"<p>" + b"x" * (65536 - 7) + b"</p>\n"
        try:
            left = total
            while left > 0:
                piece = chunk[:left]
                self.wfile.write(piece)
                self.site.add_sent(self.path, len(piece))
                left -= len(piece)
        except OSError:
            pass

    def do_GET(self) -> None:
        path = self.path
        n = self.site.note(path)
        base = self.site.base
        if path in self.site.extra:
            self.site.extra[path](self)
        elif path == "/robots.txt":
            self._send(200, b"User-agent: *\nDisallow: /private/\n", "text/plain")
        elif path.startswith("/good/"):
            i = int(path.removeprefix("/good/").removesuffix(".html"))
            self._send(200, en_article(i))
        elif path == "/feed.xml":
            items = "".join(f"<item><title>g{i}</title><link>{base}/good/{i}.html</link></item>"
                            for i in range(len(self.site.good_paths)))
            self._send(200, f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{items}'
                            "</channel></rss>".encode(), "application/rss+xml")
        elif path == "/sitemap.xml":
            locs = "".join(f"<url><loc>{base}{p}</loc></url>" for p in FAULT_PATHS + tuple(self.site.good_paths))
            self._send(200, ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                             f"{locs}</urlset>").encode(), "application/xml")
        elif path == "/feed-invalid.xml":
            self._send(200, b"\x00\x01\x02 this is {{ not }} a feed \xff\xfe", "application/rss+xml")
        elif path == "/feed-hostile.xml":
            self._send(200, hostile_feed(base), "application/rss+xml")
        elif path == "/sitemap-hostile.xml":
            self._send(200, hostile_sitemap(base), "application/xml")
        elif path == "/drip.html":
            body = en_article(900)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            step = len(body) // 20 + 1
            try:
                for start in range(0, len(body), step):
                    self.wfile.write(body[start:start + step])
                    self.wfile.flush()
                    self.site.add_sent(path, len(body[start:start + step]))
                    time.sleep(DRIP_GAP_S)
            except OSError:
                pass
        elif path == "/drip-forever.html":
            # one byte well inside any read timeout, for up to 30 s: only an overall deadline stops it
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            deadline = time.monotonic() + 30
            try:
                while time.monotonic() < deadline:
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    self.site.add_sent(path, 1)
                    time.sleep(0.1)
            except OSError:
                pass
            self.close_connection = True
        elif path == "/reset.html":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
        elif path == "/timeout.html":
            time.sleep(SLOW_HEADERS_S)
            self._send(200, en_article(901))
        elif path == "/429.html":
            self._send(429, b"slow down", "text/plain", {"Retry-After": "1"})
        elif path == "/503.html":
            self._send(503, b"busy", "text/plain", {"Retry-After": "1"})
        elif path == "/503-once.html":
            if n == 1:
                self._send(503, b"busy", "text/plain", {"Retry-After": "0"})
            else:
                self._send(200, en_article(902))
        elif path == "/gzip-truncated.html":
            packed = gzip.compress(en_article(903))
            self._send(200, packed[: len(packed) // 2], headers={"Content-Encoding": "gzip"})
        elif path == "/gzip-corrupt.html":
            self._send(200, b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4, headers={"Content-Encoding": "gzip"})
        elif path == "/bomb.html":
            self._send(200, self.bomb, headers={"Content-Encoding": "gzip"})
        elif path == "/huge.html":
            self._stream(HUGE_BYTES, {"Content-Type": "text/html; charset=utf-8", "Connection": "close"})
        elif path == "/huge-declared.html":
            self._stream(HUGE_BYTES, {"Content-Type": "text/html; charset=utf-8",
                                      "Content-Length": str(HUGE_BYTES)})
        elif path == "/loop-a.html":
            self._send(302, b"", headers={"Location": "/loop-b.html"})
        elif path == "/loop-b.html":
            self._send(302, b"", headers={"Location": f"{base}/loop-a.html"})
        elif path == "/to-private.html":
            self._send(302, b"", headers={"Location": "http://10.0.0.1/admin"})
        elif path == "/to-metadata.html":
            self._send(302, b"", headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path == "/to-localhost.html":
            port = base.rsplit(":", 1)[1]
            self._send(302, b"", headers={"Location": f"http://localhost:{port}/good/0.html"})
        elif path == "/charset-wrong.html":
            body = zh_article(GBK_COMPANY, 3, charset="utf-8").encode("gbk")
            self._send(200, body, "text/html; charset=utf-8")
        elif path == "/charset-missing.html":
            body = zh_article(GBK_COMPANY + "二号", 4, charset="").replace('<meta charset="">', "").encode("gbk")
            self._send(200, body, "text/html")
        elif path == "/not-article.html":
            self._send(200, NOT_AN_ARTICLE)
        elif path == "/image.png":
            self._send(200, b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "image/png")
        else:
            self._send(404, b"not found", "text/plain")


FAULT_PATHS: tuple[str, ...] = (
    "/drip.html", "/reset.html", "/timeout.html", "/429.html", "/503.html", "/503-once.html",
    "/gzip-truncated.html", "/gzip-corrupt.html", "/bomb.html", "/huge.html", "/huge-declared.html",
    "/loop-a.html", "/to-private.html", "/to-metadata.html", "/to-localhost.html", "/charset-wrong.html",
    "/charset-missing.html", "/private/secret.html", "/not-article.html", "/image.png", "/gone.html",
)


@contextmanager
def serve_faults(n_good: int = 12) -> Iterator[FaultSite]:
    """Run the fault server on 127.0.0.1 (an OS-chosen port) for the duration of the block."""
    site = FaultSite(good_paths=[f"/good/{i}.html" for i in range(n_good)])
    handler = type("FaultHandler", (_Handler,), {"site": site, "bomb": _bomb()})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


ZH_CITIES = ("北京", "上海", "杭州", "深圳", "成都", "武汉")
ZH_WORDS = ("星河", "云帆", "极光", "澜舟", "启明", "海纳", "灵犀", "天工")


def news_article(i: int) -> bytes:
    """The i-th generated article: even ones Chinese, odd ones English, one company each."""
    if i % 2:
        return en_article(100 + i)
    name = ZH_CITIES[(i // 2) % len(ZH_CITIES)] + ZH_WORDS[(i // 2) // len(ZH_CITIES) % len(ZH_WORDS)] + "科技"
    return zh_article(name, 1 + i % 9).encode()


@dataclass
class NewsSite:
    """A plain news outlet of `n` generated articles behind one RSS feed, each answer `delay_s` late."""

    base: str
    n: int
    hits: Counter[str]

    def article_urls(self) -> list[str]:
        return [f"{self.base}/a/{i}.html" for i in range(self.n)]


@contextmanager
def serve_news(n: int, delay_s: float = 0.0) -> Iterator[NewsSite]:
    """Serve `n` generated articles and /feed.xml on 127.0.0.1 (an OS-chosen port)."""
    hits: Counter[str] = Counter()
    lock = threading.Lock()
    holder: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                hits[self.path] += 1
            if delay_s:
                time.sleep(delay_s)
            if self.path == "/feed.xml":
                items = "".join(f"<item><title>n{i}</title><link>{holder[0]}/a/{i}.html</link></item>"
                                for i in range(n))
                body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>n</title>{items}</channel></rss>'
                status, ctype, data = 200, "application/rss+xml", body.encode()
            elif self.path.startswith("/a/") and self.path.removeprefix("/a/").removesuffix(".html").isdigit():
                i = int(self.path.removeprefix("/a/").removesuffix(".html"))
                status, ctype, data = (200, "text/html; charset=utf-8", news_article(i)) if i < n else (
                    404, "text/plain", b"no")
            else:
                status, ctype, data = 404, "text/plain", b"not found"
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    holder.append(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield NewsSite(holder[0], n, hits)
    finally:
        server.shutdown()
        server.server_close()
