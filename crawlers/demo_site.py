"""The demo news site: the project's own fixtures (`fixtures/site/`) served on 127.0.0.1.

`make run` and the crawler tests crawl this instead of the web. Each outlet directory (`zh/`, `en/`)
gets its own server, so the two outlets are two host:port pairs and per-host politeness sees two
hosts. Responses to .html/.xml/.txt files have the placeholder ``{{BASE}}`` replaced by the outlet's
base URL (``http://127.0.0.1:PORT``), which makes feeds, sitemaps and links absolute. Every response
carries an ETag and a Last-Modified header and answers a matching conditional GET with 304.

A page that declares a non-UTF-8 charset in a ``<meta>`` tag (the GBK page) is sent as plain
``text/html`` with no charset parameter, as many Chinese sites do, so a client has to read the meta
tag to decode it.

Run ``python -m crawlers.demo_site`` to serve the site until Ctrl-C.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

PLACEHOLDER = b"{{BASE}}"
OUTLETS = ("zh", "en")
DEFAULT_ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "site"

_TEMPLATED_SUFFIXES = frozenset({".html", ".xml", ".txt"})
_META_CHARSET = re.compile(rb"""<meta[^>]*charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_UTF8_NAMES = frozenset({b"utf-8", b"utf8"})


@dataclass(frozen=True, slots=True)
class DemoSite:
    """A running demo site: one base URL per outlet, and `stop()` to shut both servers down."""

    base_url_zh: str
    base_url_en: str
    stop: Callable[[], None] = field(repr=False, compare=False)

    def base_url(self, outlet: str) -> str:
        """The base URL of `outlet` ('zh' or 'en')."""
        return {"zh": self.base_url_zh, "en": self.base_url_en}[outlet]


def content_type(path: Path, body: bytes) -> str:
    """The Content-Type header for a fixture file, from its suffix and (for HTML) its meta charset."""
    suffix = path.suffix.lower()
    if suffix in {".html", ".htm"}:
        declared = _META_CHARSET.search(body[:4096])
        if declared and declared.group(1).lower() not in _UTF8_NAMES:
            return "text/html"
        return "text/html; charset=utf-8"
    if suffix == ".xml":
        kind = "application/rss+xml" if b"<rss" in body[:1024] else "application/xml"
        return f"{kind}; charset=utf-8"
    if suffix == ".txt":
        return "text/plain; charset=utf-8"
    return "application/octet-stream"


class _OutletServer(ThreadingHTTPServer):
    """One outlet's server: serves `docroot`, substituting its own base URL for the placeholder."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], docroot: Path) -> None:
        super().__init__(address, _OutletHandler)
        self.docroot = docroot.resolve()
        host, port = self.socket.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Hang up on kept-alive clients, whose handler threads `shutdown()` does not stop."""
        with self._open_lock:
            open_sockets = list(self._open)
        for sock in open_sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request: object, client_address: object) -> None:
        # A client hanging up mid-response is normal for a crawler test; keep stderr quiet.
        pass


class _OutletHandler(BaseHTTPRequestHandler):
    server: _OutletServer
    protocol_version = "HTTP/1.1"
    server_version = "fundwire-demo-site/1"
    timeout = 30  # idle keep-alive connections are dropped after this many seconds
    sys_version = ""

    def do_GET(self) -> None:
        self._respond(send_body=True)

    def do_HEAD(self) -> None:
        self._respond(send_body=False)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _resolve(self) -> Path | None:
        relative = unquote(urlsplit(self.path).path).lstrip("/")
        if relative == "" or relative.endswith("/"):
            relative += "index.html"
        target = (self.server.docroot / relative).resolve()
        if not target.is_relative_to(self.server.docroot) or not target.is_file():
            return None
        return target

    def _respond(self, *, send_body: bool) -> None:
        target = self._resolve()
        if target is None:
            self._send_simple(HTTPStatus.NOT_FOUND, b"404 Not Found\n", send_body)
            return
        body = target.read_bytes()
        if target.suffix.lower() in _TEMPLATED_SUFFIXES:
            body = body.replace(PLACEHOLDER, self.server.base_url.encode("ascii"))
        etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
        mtime = int(target.stat().st_mtime)
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(mtime, usegmt=True),
            "Cache-Control": "max-age=60",
        }
        if self._not_modified(etag, mtime):
            self.send_response(HTTPStatus.NOT_MODIFIED)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type(target, body))
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _not_modified(self, etag: str, mtime: int) -> bool:
        # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return "*" in tags or etag in tags
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
        except (TypeError, ValueError):
            return False
        return since.tzinfo is not None and mtime <= since.timestamp()

    def _send_simple(self, status: HTTPStatus, body: bytes, send_body: bool) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)


@contextmanager
def serve_site(root: Path = DEFAULT_ROOT, host: str = "127.0.0.1", port: int = 0) -> Iterator[DemoSite]:
    """Serve `root/zh` and `root/en` on two ports of `host` for the duration of the block.

    With `port=0` (the default) the OS picks two free ports; otherwise the Chinese outlet gets
    `port` and the English one `port + 1`.
    """
    servers: list[_OutletServer] = []
    threads: list[threading.Thread] = []
    lock = threading.Lock()
    stopped = False

    def stop() -> None:
        nonlocal stopped
        with lock:
            if stopped:
                return
            stopped = True
        for server, thread in zip(servers, threads, strict=True):
            server.shutdown()
            thread.join()
        for server in servers:
            server.close_connections()
            server.server_close()

    try:
        for offset, outlet in enumerate(OUTLETS):
            docroot = root / outlet
            if not docroot.is_dir():
                raise FileNotFoundError(f"demo site outlet directory not found: {docroot}")
            server = _OutletServer((host, port + offset if port else 0), docroot)
            servers.append(server)
            thread = threading.Thread(target=server.serve_forever, name=f"demo-site-{outlet}", daemon=True)
            thread.start()
            threads.append(thread)
        yield DemoSite(base_url_zh=servers[0].base_url, base_url_en=servers[1].base_url, stop=stop)
    finally:
        if len(threads) < len(servers):  # the last server never started serving
            servers.pop().server_close()
        stop()


def main(argv: list[str] | None = None) -> None:
    """Serve the demo site until interrupted, printing the two base URLs."""
    parser = argparse.ArgumentParser(prog="python -m crawlers.demo_site", description=main.__doc__)
    parser.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="the fixtures/site directory")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="zh port (en gets port+1); 0 picks free ports")
    args = parser.parse_args(argv)
    with serve_site(args.root, args.host, args.port) as site:
        print(f"zh: {site.base_url_zh}", flush=True)
        print(f"en: {site.base_url_en}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
