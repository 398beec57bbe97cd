"""robots.txt rules per host, cached (protego).

Policy: 2xx → the file's rules; 4xx (no file) → everything allowed; 5xx → everything disallowed
for `error_ttl_s` (the server is struggling); unreachable (timeout, DNS, connection) → allowed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from protego import Protego

from crawlers.errors import FetchError, HttpStatus

RobotsFetch = Callable[[str], Awaitable[tuple[int, bytes]]]


@dataclass(frozen=True, slots=True)
class RobotsRules:
    """What one host's robots.txt says, and until when to believe it."""

    parser: Protego | None   # None: no rules (all allowed) or `disallow_all`
    disallow_all: bool
    expires: float

    def allowed(self, url: str, user_agent: str) -> bool:
        if self.disallow_all:
            return False
        return True if self.parser is None else bool(self.parser.can_fetch(url, user_agent))

    def crawl_delay(self, user_agent: str) -> float | None:
        if self.parser is None:
            return None
        delay = self.parser.crawl_delay(user_agent)
        return float(delay) if delay is not None else None


def robots_url(url: str) -> str:
    """The robots.txt URL for the host of `url`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/robots.txt"


def parse_robots(body: bytes, expires: float) -> RobotsRules:
    """Rules from robots.txt bytes (undecodable bytes are replaced, not fatal)."""
    return RobotsRules(Protego.parse(body.decode("utf-8", errors="replace")), False, expires)


class RobotsCache:
    """Fetches robots.txt once per scheme+host and keeps it for `ttl_s`."""

    def __init__(self, fetch: RobotsFetch, clock: Callable[[], float], *, ttl_s: float = 86400.0,
                 error_ttl_s: float = 600.0) -> None:
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl_s
        self._error_ttl = error_ttl_s
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def rules_for(self, url: str) -> RobotsRules:
        """The rules for `url`'s host, fetching robots.txt when not cached or expired."""
        key = robots_url(url)
        cached = self._rules.get(key)
        if cached is not None and cached.expires > self._clock():
            return cached
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            cached = self._rules.get(key)
            if cached is not None and cached.expires > self._clock():
                return cached
            rules = await self._load(key)
            self._rules[key] = rules
            return rules

    async def _load(self, key: str) -> RobotsRules:
        now = self._clock()
        try:
            status, body = await self._fetch(key)
        except HttpStatus as exc:
            status, body = exc.status, b""
        except FetchError:
            return RobotsRules(None, False, now + self._error_ttl)  # unreachable: allow, look again soon
        if 200 <= status < 300:
            return parse_robots(body, now + self._ttl)
        if status >= 500 or status == 429:
            return RobotsRules(None, True, now + self._error_ttl)
        return RobotsRules(None, False, now + self._ttl)
