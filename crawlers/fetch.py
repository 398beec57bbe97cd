"""The polite HTTP client: robots.txt, per-host concurrency and delay, address guard, retries,
conditional GET, size and content-type limits, manual redirects.

One `Fetcher` serves a whole crawl. The transport is injectable (``httpx.MockTransport`` in unit
tests); the address guard's resolver too.

Speed: each scheme+host gets its own small connection pool (httpcore scans its whole pool on every
request and every response close, so one big shared pool costs O(pool) per request); the idle pools
beyond `max_pools` are closed, least recently used first. The address guard caches its verdicts
(see crawlers.guard) and robots.txt rules are cached per host (crawlers.robots).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import ssl
import sys
import time
import zlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import urljoin, urlsplit

import httpx

from crawlers.errors import (
    BadContentType,
    HttpStatus,
    Network,
    RobotsDisallowed,
    Timeout,
    TooLarge,
    TooManyRedirects,
)
from crawlers.guard import AddressGuard, Resolver
from crawlers.records import FetchResult
from crawlers.robots import RobotsCache
from crawlers.settings import CrawlSettings

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml",
              "application/json", "application/feed+json", "text/plain", "text/html",
              "application/rdf+xml", "application/octet-stream")
SITEMAP_TYPES = ("application/xml", "text/xml", "application/gzip", "application/x-gzip",
                 "application/octet-stream", "text/plain")
try:  # httpcore imports sniffio each time it sets up a lock; a missing module means a sys.path search per try
    import sniffio  # noqa: F401
except ImportError:  # so make the failing import instant (httpcore then assumes asyncio, as it would anyway)
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]



def _lean_pool(ssl_context: ssl.SSLContext, limits: httpx.Limits, guard: AddressGuard | None = None) -> Any:
    """httpcore's pool with a network stream that keeps its raw socket.

    httpcore asks every idle connection ``get_extra_info("is_readable")`` each time it assigns a
    request; anyio's stream answers by rebuilding its attribute table (a getpeername system call)
    every time, ~13 calls a request here. Same behaviour, the socket looked up once. None when the
    installed httpcore lacks the pieces (the default pool is used then).
    """
    try:
        import httpcore
        from httpcore._backends.anyio import AnyIOBackend, AnyIOStream
        from httpcore._utils import is_socket_readable
    except ImportError:  # pragma: no cover - another httpcore layout
        return None

    class Stream(AnyIOStream):  # type: ignore[misc]
        def __init__(self, stream: Any) -> None:
            super().__init__(stream)
            self._sock = super().get_extra_info("socket")

        def get_extra_info(self, info: str) -> Any:
            if info == "is_readable":
                return self._sock is not None and is_socket_readable(self._sock)
            if info == "socket":
                return self._sock
            return super().get_extra_info(info)

        async def start_tls(self, *args: Any, **kwargs: Any) -> Any:
            tls = await super().start_tls(*args, **kwargs)
            return Stream(tls._stream)  # type: ignore[attr-defined]

    class Backend(AnyIOBackend):  # type: ignore[misc]
        async def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
            # connect to the address the guard vetted, not to a fresh lookup of the name; TLS still
            # sends the name (SNI and certificate check use the request's origin, not this host)
            pinned = guard.vetted_address(host, port) if guard is not None else None
            stream = await super().connect_tcp(pinned or host, port, *args, **kwargs)
            return Stream(stream._stream) if isinstance(stream, AnyIOStream) else stream

    return httpcore.AsyncConnectionPool(ssl_context=ssl_context, max_connections=limits.max_connections,
                                        max_keepalive_connections=limits.max_keepalive_connections,
                                        keepalive_expiry=limits.keepalive_expiry, network_backend=Backend())


_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(slots=True)
class _Host:
    """Per-host politeness state."""

    slots: asyncio.Semaphore
    next_at: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def retry_after_s(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    now = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - now).total_seconds())


def _media_type(headers: httpx.Headers) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


_DECODERS = {"gzip": 47, "x-gzip": 47, "deflate": 47}  # 47: zlib or gzip header, detected


async def _read_capped(url: str, response: httpx.Response, cap: int) -> list[bytes]:
    """The body, inflated here rather than by httpx so that the cap holds on what is inflated from
    each network read (a gzip bomb never allocates more than the cap) and a body cut short is an
    error, not a complete page."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity") and encoding not in _DECODERS:
        raise Network(url, f"unsupported content-encoding {encoding!r}")
    inflater = zlib.decompressobj(_DECODERS[encoding]) if encoding in _DECODERS else None
    chunks: list[bytes] = []
    size = downloaded = 0
    async for raw in response.aiter_raw():
        downloaded += len(raw)
        if downloaded > cap:
            raise TooLarge(url, f"body over {cap} bytes")
        if inflater is None:
            data = raw
        else:
            try:
                data = inflater.decompress(raw, cap - size + 1)
            except zlib.error as exc:
                raise Network(url, f"corrupt {encoding} body: {exc}") from None
            if inflater.unconsumed_tail:
                raise TooLarge(url, f"body inflates to over {cap} bytes")
        size += len(data)
        if size > cap:
            raise TooLarge(url, f"body over {cap} bytes")
        chunks.append(data)
    if inflater is not None and not inflater.eof:
        raise Network(url, f"truncated {encoding} body")
    return chunks


class Fetcher:
    """Fetches URLs politely; raises `FetchError` subclasses (see crawlers.errors)."""

    def __init__(self, settings: CrawlSettings, *, transport: httpx.AsyncBaseTransport | None = None,
                 resolver: Resolver | None = None, clock: Callable[[], float] = time.monotonic,
                 max_pools: int = 256) -> None:
        self.settings = settings
        self._clock = clock
        self._timeout = httpx.Timeout(connect=settings.connect_timeout_s, read=settings.read_timeout_s,
                                      write=settings.read_timeout_s, pool=None)
        self._headers = {"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"}
        self._ssl: ssl.SSLContext | None = None  # one context for every pool (loading the CA file takes ~20 ms)
        # an injected transport is shared by one client; otherwise one client (one pool) per scheme+host
        self._shared = self._new_client(transport) if transport is not None else None
        self._clients: OrderedDict[str, httpx.AsyncClient] = OrderedDict()
        self._busy: dict[str, int] = {}
        self._max_pools = max_pools
        self._guard = AddressGuard(settings.allow_private, resolver)
        self._robots = RobotsCache(self._fetch_robots, clock, ttl_s=settings.robots_ttl_s,
                                   error_ttl_s=settings.robots_error_ttl_s)
        self._hosts: dict[str, _Host] = {}
        self.requests = 0  # HTTP requests sent, robots.txt and retries included

    def _new_client(self, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
        # a host's requests in flight are capped by the per-host semaphore (a redirect from another host waits)
        size = max(self.settings.per_host_concurrency, 2) if transport is None else max(self.settings.concurrency, 4)
        limits = httpx.Limits(max_connections=size, max_keepalive_connections=size)
        if transport is None:
            if self._ssl is None:
                self._ssl = httpx.create_ssl_context(trust_env=False)
            transport = httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits, trust_env=False)
            pool = _lean_pool(self._ssl, limits, self._guard)
            if pool is not None and hasattr(transport, "_pool"):
                transport._pool = pool  # same pool class and settings, leaner stream (see _lean_pool)
        return httpx.AsyncClient(transport=transport, timeout=self._timeout, limits=limits, follow_redirects=False,
                                 trust_env=False, headers=self._headers, verify=self._ssl or True)

    async def _client_for(self, key: str) -> httpx.AsyncClient:
        if self._shared is not None:
            return self._shared
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        if len(self._clients) >= self._max_pools:  # close the least recently used idle pools
            idle = [k for k in self._clients if not self._busy.get(k)][: max(1, self._max_pools // 8)]
            for old in idle:
                await self._clients.pop(old).aclose()
                self._busy.pop(old, None)
        client = self._clients[key] = self._new_client()
        return client

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pools."""
        clients = [*self._clients.values(), *([self._shared] if self._shared is not None else [])]
        self._clients.clear()
        for client in clients:
            await client.aclose()

    async def fetch(self, url: str, *, etag: str | None = None, last_modified: str | None = None,
                    accept: Sequence[str] | None = None) -> FetchResult:
        """GET `url` politely. A 304 comes back as a result with status 304 and an empty body."""
        if self.settings.respect_robots:
            rules = await self._robots.rules_for(url)
            if not rules.allowed(url, self.settings.user_agent):
                raise RobotsDisallowed(url, "disallowed by robots.txt")
            delay = max(self.settings.per_host_delay_s, rules.crawl_delay(self.settings.user_agent) or 0.0)
        else:
            delay = self.settings.per_host_delay_s
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        attempt = 0
        while True:
            try:
                return await self._polite_get(url, headers, accept, delay)
            except (Timeout, Network):
                if attempt >= self.settings.retries:
                    raise
                wait = self.settings.backoff_s * 2 ** attempt
            except HttpStatus as exc:
                if exc.status not in _RETRY_STATUSES or attempt >= self.settings.retries:
                    raise
                wait = self.settings.backoff_s * 2 ** attempt
                if exc.retry_after is not None:
                    wait = max(wait, min(exc.retry_after, self.settings.max_retry_after_s))
            attempt += 1
            await asyncio.sleep(wait)

    async def _polite_get(self, url: str, headers: dict[str, str], accept: Sequence[str] | None,
                          delay: float) -> FetchResult:
        host = urlsplit(url).netloc.lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = _Host(asyncio.Semaphore(self.settings.per_host_concurrency))
        async with slot.slots:
            if delay > 0:
                async with slot.lock:
                    now = self._clock()
                    wait = slot.next_at - now
                    slot.next_at = max(now, slot.next_at) + delay
                if wait > 0:
                    await asyncio.sleep(wait)
            try:  # per-read timeouts alone let a slow drip hold a fetch forever
                async with asyncio.timeout(self.settings.total_timeout_s):
                    return await self._get(url, headers, accept)
            except TimeoutError:
                raise Timeout(url, f"no complete response within {self.settings.total_timeout_s:g} s") from None

    async def _fetch_robots(self, url: str) -> tuple[int, bytes]:
        result = await self._get(url, {}, None, allow_error_status=True)
        return result.status, result.body

    async def _get(self, url: str, headers: dict[str, str], accept: Sequence[str] | None, *,
                   allow_error_status: bool = False) -> FetchResult:
        """One GET with manual redirects, the guard on every hop, and the size cap."""
        started = self._clock()
        current = url
        seen = {url}
        for _hop in range(self.settings.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise TooManyRedirects(url, f"redirect to a non-http URL {current}")
            await self._guard.check(url, parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))
            key = f"{parts.scheme}://{parts.netloc.lower()}"
            client = await self._client_for(key)
            self._busy[key] = self._busy.get(key, 0) + 1
            try:
                self.requests += 1
                async with client.stream("GET", current, headers=headers) as response:
                    if response.status_code in _REDIRECTS:
                        location = response.headers.get("location")
                        if not location:
                            raise TooManyRedirects(url, f"{response.status_code} without Location")
                        current = urljoin(current, location.strip())
                        if current in seen:
                            raise TooManyRedirects(url, f"redirect loop at {current}")
                        seen.add(current)
                        continue
                    return await self._finish(url, current, response, accept, started, allow_error_status)
            except httpx.TimeoutException as exc:
                raise Timeout(url, f"{type(exc).__name__} on {current}") from None
            except (httpx.TransportError, httpx.DecodingError) as exc:
                raise Network(url, f"{type(exc).__name__}: {exc}") from None
            finally:
                self._busy[key] -= 1
        raise TooManyRedirects(url, f"more than {self.settings.max_redirects} redirects")

    async def _finish(self, url: str, final_url: str, response: httpx.Response, accept: Sequence[str] | None,
                      started: float, allow_error_status: bool) -> FetchResult:
        status = response.status_code
        if status != 304 and not 200 <= status < 300 and not allow_error_status:
            raise HttpStatus(url, status, retry_after=retry_after_s(response.headers.get("retry-after")))
        body = b""
        if status != 304:
            if accept and 200 <= status < 300:
                media = _media_type(response.headers)
                if media and not any(media == a or media.startswith(a) for a in accept):
                    raise BadContentType(url, f"content type {media!r}")
            cap = self.settings.max_bytes
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > cap:
                raise TooLarge(url, f"Content-Length {declared} > {cap}")
            body = b"".join(await _read_capped(url, response, cap))
        headers = {k.lower(): v for k, v in response.headers.multi_items()}
        return FetchResult(url=url, final_url=final_url, status=status, headers=headers, body=body,
                           fetched_at=dt.datetime.now(dt.UTC), elapsed_s=self._clock() - started)
