"""Fixtures: a real threaded HTTP server on 127.0.0.1 and the shared real data."""

from __future__ import annotations

import gzip
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawlers.settings import CrawlSettings

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
DATA = SHARED / "data"


def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, skipping the test when the folder is absent."""
    path = DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} (../shared/data is absent)")
    return path


@dataclass
class Reply:
    """What the local server answers for a path."""

    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


Handler = Callable[[str, dict[str, str]], Reply]


class LocalSite:
    """Routes of the local server; counts every request per path (query included)."""

    def __init__(self) -> None:
        self.routes: dict[str, Reply | Handler] = {}
        self.prefixes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.seen_headers: list[tuple[str, dict[str, str]]] = []
        self.base = ""
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return self.base + path

    def add(self, path: str, body: bytes | str, *, status: int = 200, content_type: str = "text/html; charset=utf-8",
            headers: dict[str, str] | None = None, delay_s: float = 0.0, gzip_body: bool = False) -> str:
        data = body.encode() if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type, **(headers or {})}
        if gzip_body:
            data = gzip.compress(data)
            all_headers["Content-Encoding"] = "gzip"
        self.routes[path] = Reply(data, status, all_headers, delay_s)
        return self.url(path)

    def handle(self, path: str, handler: Handler) -> str:
        self.routes[path] = handler
        return self.url(path)

    def handle_prefix(self, prefix: str, handler: Handler) -> str:
        """Answer every path starting with `prefix` (exact routes win)."""
        self.prefixes[prefix] = handler
        return self.url(prefix)


class _RequestHandler(BaseHTTPRequestHandler):
    site: LocalSite
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        with self.site.lock:
            self.site.hits[self.path] += 1
            self.site.seen_headers.append((self.path, headers))
        route = self.site.routes.get(self.path)
        if route is None:
            route = next((h for p, h in self.site.prefixes.items() if self.path.startswith(p)), None)
        if route is None:
            reply = Reply(b"not found", 404, {"Content-Type": "text/plain"})
        elif isinstance(route, Reply):
            reply = route
        else:
            reply = route(self.path, headers)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        self.send_response(reply.status)
        for key, value in reply.headers.items():
            self.send_header(key, value)
        if "content-length" not in {k.lower() for k in reply.headers}:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        try:
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[LocalSite]:
    """A real HTTP server on 127.0.0.1 (port 0) serving `LocalSite` routes."""
    local = LocalSite()
    handler = type("H", (_RequestHandler,), {"site": local})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    local.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield local
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def fast_settings() -> CrawlSettings:
    """Settings for tests: loopback allowed, no politeness delay, short timeouts and backoff."""
    return CrawlSettings(allow_private=("127.0.0.1",), per_host_delay_s=0.0, connect_timeout_s=2.0,
                         read_timeout_s=2.0, backoff_s=0.01, retries=2, idle_poll_s=0.05)
