"""The address guard: refuse private, loopback, link-local, multicast and reserved addresses.

Checked on every resolved IP of a host (a public name that resolves to 10.0.0.1 is refused too),
before the first request and again on every redirect hop, unless the host, the IP or a network
containing it is allowed explicitly (tests and the demo allow 127.0.0.1).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
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

    def __init__(self, allow: Iterable[str] = (), resolver: Resolver | None = None) -> None:
        self._hosts: set[str] = set()
        self._nets: list[IPNetwork] = []
        for item in allow:
            item = item.strip().lower()
            try:
                self._nets.append(ipaddress.ip_network(item, strict=False))
            except ValueError:
                self._hosts.add(item.rstrip("."))
        self._resolve = resolver or system_resolve

    def _allowed_ip(self, ip: IPAddress) -> bool:
        return is_public(ip) or any(ip in net for net in self._nets if net.version == ip.version)

    async def check(self, url: str, host: str, port: int) -> None:
        """Raise `Blocked` unless every address `host` resolves to may be fetched."""
        host = host.lower().strip("[]").rstrip(".")
        if host in self._hosts:
            return
        try:
            literal: IPAddress | None = ipaddress.ip_address(host)
        except ValueError:
            literal = None
        if literal is not None:
            addrs = [literal]
        else:
            if host == "localhost" or host.endswith(".localhost"):
                raise Blocked(url, f"{host} is a loopback name")
            try:
                resolved = await self._resolve(host, port)
            except OSError as exc:
                raise Network(url, f"cannot resolve {host}: {exc}") from None
            addrs = [ipaddress.ip_address(a.split("%")[0]) for a in resolved]
            if not addrs:
                raise Network(url, f"{host} resolves to no address")
        for ip in addrs:
            if not self._allowed_ip(ip):
                raise Blocked(url, f"{host} resolves to non-public address {ip}")
