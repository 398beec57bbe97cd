"""URL canonicalisation, so that one article is fetched and stored once."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

_DEFAULT_PORTS = {"http": 80, "https": 443}
# Parameters that track a click and never select content.
_TRACKING_EXACT = frozenset({
    "spm", "from", "fbclid", "gclid", "dclid", "gclsrc", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
    "_hsenc", "_hsmi", "mkt_tok", "ref_src", "cmpid", "ncid", "sr_share", "share_from", "scene",
    "wt.mc_id", "s_kwcid", "_ga", "_gl", "vero_id", "oly_enc_id", "oly_anon_id", "rb_clickid", "__twitter_impression",
})
_TRACKING_PREFIXES = ("utm_", "ktm_", "pk_", "mtm_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_MULTI_SLASH = re.compile(r"/{2,}")


class BadUrl(ValueError):
    """The string is not an absolute http(s) URL."""


def is_tracking_param(name: str) -> bool:
    """True for query parameters that only track a click (utm_*, ktm_*, spm, fbclid, …)."""
    low = name.lower()
    return low in _TRACKING_EXACT or low.startswith(_TRACKING_PREFIXES)


def canonicalize(url: str, base: str | None = None) -> str:
    """The canonical form of an http(s) URL (resolved against `base` when relative).

    Lowercases scheme and host (IDNA-encodes it), drops the fragment, the default port, empty
    query values' ordering noise and tracking parameters, sorts the remaining parameters, and
    normalises percent-escapes in the path. Raises `BadUrl` for anything but absolute http(s).
    """
    url = url.strip()
    if base is not None:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise BadUrl(f"{url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise BadUrl(f"{url!r}: not an absolute http(s) URL")
    host = parts.hostname.lower().rstrip(".")
    try:
        host = host.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port is None or port == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH) or "/"
    path = _MULTI_SLASH.sub("/", path)
    query_pairs = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query = urlencode(sorted(query_pairs), doseq=False)
    return urlunsplit((scheme, netloc, path, query, ""))


def try_canonicalize(url: str, base: str | None = None) -> str | None:
    """`canonicalize`, or None for URLs that are not absolute http(s) (mailto:, javascript:, …)."""
    try:
        return canonicalize(url, base)
    except BadUrl:
        return None


def host_of(url: str) -> str:
    """The lowercased host of a URL, without port."""
    return (urlsplit(url).hostname or "").lower()


def registered_domain(host: str) -> str:
    """A cheap approximation of the registrable domain: the last two labels (three for a.b.com.cn).

    Good enough to tell "same site" for news outlets; not a public-suffix-list implementation.
    """
    labels = host.lower().rstrip(".").split(".")
    if len(labels) >= 3 and labels[-2] in {"com", "net", "org", "gov", "edu", "co", "ac"} and len(labels[-1]) == 2:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def same_host(a: str, b: str) -> bool:
    """True when both URLs have the same host."""
    return host_of(a) == host_of(b)


def same_site(a: str, b: str) -> bool:
    """True when both URLs belong to the same registrable domain (www.36kr.com ~ 36kr.com)."""
    ha, hb = host_of(a), host_of(b)
    return bool(ha) and registered_domain(ha) == registered_domain(hb)
