"""Crawl settings: one frozen object, defaults in code, a TOML overlay applied by the CLI."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

DEFAULT_USER_AGENT = "fundwire/0.1 (+https://github.com/fundwire/fundwire; funding-news research crawler)"


class SettingsError(ValueError):
    """A settings overlay names an unknown key or gives a value of the wrong type."""


@dataclass(frozen=True, slots=True)
class CrawlSettings:
    """How politely and how hard to crawl."""

    user_agent: str = DEFAULT_USER_AGENT
    concurrency: int = 16               # URLs in flight over all hosts
    per_host_concurrency: int = 2
    per_host_delay_s: float = 1.0       # raised to the host's robots.txt Crawl-delay when larger
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    total_timeout_s: float = 120.0       # one whole fetch, redirects included (a slow drip is cut)
    max_bytes: int = 10 * 1024 * 1024   # raw and decompressed
    max_redirects: int = 5
    retries: int = 3                    # extra tries inside one fetch (timeouts, network, 429, 5xx)
    backoff_s: float = 1.0              # first retry delay; doubles each retry
    max_retry_after_s: float = 120.0    # cap on a server's Retry-After
    max_attempts: int = 5               # failed fetches of an article before it is given up
    retry_after_failure_s: float = 600.0  # first re-queue delay of a failed article; doubles
    robots_ttl_s: float = 24 * 3600.0
    robots_error_ttl_s: float = 600.0   # how long a 5xx robots.txt keeps a host disallowed
    respect_robots: bool = True
    allow_private: tuple[str, ...] = ()  # hosts, IPs or CIDRs exempt from the address guard
    parse_articles: bool = True          # False stores raw pages only (benchmarks, re-parse later)
    idle_poll_s: float = 1.0             # forever mode: how often to look for newly due URLs

    @classmethod
    def from_toml(cls, data: Mapping[str, Any], base: CrawlSettings | None = None) -> CrawlSettings:
        """Overlay a parsed TOML table (e.g. ``[crawl]``) on `base` (the defaults when None)."""
        base = base or cls()
        fields = {f.name: f for f in dataclasses.fields(cls)}
        changes: dict[str, Any] = {}
        for key, value in data.items():
            if key not in fields:
                raise SettingsError(f"unknown crawl setting {key!r}")
            current = getattr(base, key)
            if isinstance(current, tuple):
                if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                    raise SettingsError(f"crawl setting {key!r} must be a list of strings")
                value = tuple(value)
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise SettingsError(f"crawl setting {key!r} must be true or false")
            elif isinstance(current, float):
                if not isinstance(value, (int, float)) or isinstance(value, bool):
                    raise SettingsError(f"crawl setting {key!r} must be a number")
                value = float(value)
            elif not isinstance(value, type(current)) or isinstance(value, bool) != isinstance(current, bool):
                raise SettingsError(f"crawl setting {key!r} must be {type(current).__name__}")
            changes[key] = value
        return dataclasses.replace(base, **changes)
