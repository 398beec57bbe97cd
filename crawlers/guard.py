"""The address guard: refuse private, loopback, link-local, multicast and reserved addresses.

Checked on every resolved IP of a host (a public name that resolves to 10.0.0.1 is refused too),
before the first request and again on every redirect hop, unless the host, the IP or a network
containing it is allowed explicitly (tests and the demo allow 127.0.0.1).

Verdicts are cached per (host, port): a name's resolution for `ttl_s` (default 60 s), so that a
crawl does not run getaddrinfo in a thread for every request, an IP literal's for good. Every
request and every redirect hop still goes through `check`; failed resolutions are not cached.
(As before, the HTTP client resolves again when it opens a connection: the guard does not pin
the address it checked.)
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence

from crawlers.errors import Blocked, Network

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


async def system_resolve(host: str, port: int) -> list[str]:
    """Resolve a host name with the system resolver (off the event loop)."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def is_public(ip: IPAddress) -> bool:
    """True when an address is globally routable unicast."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return is_public(ip.ipv4_mapped)
    return not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast
                or ip.is_reserved or ip.is_unspecified or not ip.is_global)


class AddressGuard:
    """Decides whether a host may be fetched; `allow` holds host names, IPs or CIDR networks."""

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None, *, ttl_s: float = 60.0,
                 clock: Callable[[], float] = time.monotonic, max_cached: int = 4096) -> None:
        self._hosts: set[str] = set()
        self._nets: list[IPNetwork] = []
        for item in allow:
            item = item.strip().lower()
            try:
                self._nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self._hosts.add(item.rstrip("."))
        self._resolve = resolver or system_resolve
        self._ttl = ttl_s
        self._clock = clock
        self._max_cached = max_cached
        self._cache: dict[tuple[str, int], tuple[float, IPAddress | None]] = {}
        self._pins: dict[tuple[str, int], str] = {}  # the address each checked name was vetted at
        self.resolutions = 0  # resolver calls made (cache misses)

    def _allowed_ip(self, ip: IPAddress) -> bool:
        return is_public(ip) or any(ip in net for net in self._nets if net.version == ip.version)

    async def check(self, url: str, host: str, port: int) -> None:
        """Raise `Blocked` unless every address `host` resolves to may be fetched."""
        host = host.lower().strip("[]").rstrip(".")
        if host in self._hosts:
            return
        now = self._clock()
        cached = self._cache.get((host, port))
        if cached is None or cached[0] <= now:
            cached = await self._lookup(url, host, port, now)
        if cached[1] is not None:
            raise Blocked(url, f"{host} resolves to non-public address {cached[1]}")

    def vetted_address(self, host: str, port: int) -> str | None:
        """The address `check` approved for a name, to connect to instead of resolving it again
        (a second lookup could answer differently: DNS rebinding). None: connect as usual."""
        return self._pins.get((host.lower().strip("[]").rstrip("."), port))

    async def _lookup(self, url: str, host: str, port: int, now: float) -> tuple[float, IPAddress | None]:
        """Resolve `host` and judge its addresses: (valid until, first refused address or None).

        IP literals are judged once for good; names are resolved again after `ttl_s`. Only answers
        are cached: a failed resolution raises and is tried again on the next request.
        """
        try:
            addrs: tuple[IPAddress, ...] = (ipaddress.ip_address(host),)
            expires = float("inf")
        except ValueError:
            if host == "localhost" or host.endswith(".localhost"):
                raise Blocked(url, f"{host} is a loopback name") from None
            try:
                self.resolutions += 1
                resolved = await self._resolve(host, port)
            except OSError as exc:
                raise Network(url, f"cannot resolve {host}: {exc}") from None
            addrs = tuple(ipaddress.ip_address(a.split("%")[0]) for a in resolved)
            if not addrs:
                raise Network(url, f"{host} resolves to no address")
            expires = now + self._ttl
        entry = (expires, next((ip for ip in addrs if not self._allowed_ip(ip)), None))
        if entry[1] is None:
            if len(self._pins) >= self._max_cached:
                self._pins.clear()
            self._pins[(host, port)] = str(addrs[0])
        if self._ttl > 0:
            if len(self._cache) >= self._max_cached:  # bounded: drop the expired, else the oldest half
                self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
                if len(self._cache) >= self._max_cached:
                    self._cache = dict(list(self._cache.items())[len(self._cache) // 2:])
            self._cache[(host, port)] = entry
        return entry
