"""Why a fetch failed. Every error carries the URL and a short ``kind`` used for per-source counters.

    FetchError(url, kind)
    ├── RobotsDisallowed     "robots"          robots.txt forbids the URL (or robots answered 5xx)
    ├── Blocked              "blocked"         the address guard refused a private/reserved address
    ├── TooLarge             "too_large"       the body (raw or decompressed) exceeded the size cap
    ├── BadContentType       "content_type"    the response is not of a type the caller accepts
    ├── TooManyRedirects     "redirects"       the redirect chain exceeded the limit (or looped)
    ├── HttpStatus           "http_<status>"   a final status that is neither 2xx nor 304
    ├── Timeout              "timeout"         connect or read timed out (after retries)
    └── Network              "network"         DNS, connection or protocol failure (after retries)
"""

from __future__ import annotations


class FetchError(Exception):
    """A URL could not be fetched."""

    kind = "error"

    def __init__(self, url: str, message: str = "") -> None:
        super().__init__(f"{url}: {message}" if message else url)
        self.url = url
        self.message = message


class RobotsDisallowed(FetchError):
    """robots.txt forbids fetching this URL."""

    kind = "robots"


class Blocked(FetchError):
    """The address guard refused the host (private, loopback, link-local, multicast or reserved)."""

    kind = "blocked"


class TooLarge(FetchError):
    """The body exceeded the size cap."""

    kind = "too_large"


class BadContentType(FetchError):
    """The response's content type is not one the caller accepts."""

    kind = "content_type"


class TooManyRedirects(FetchError):
    """The redirect chain was longer than allowed, looped, or had no Location."""

    kind = "redirects"


class HttpStatus(FetchError):
    """The server answered with a status that is neither 2xx nor 304."""

    def __init__(self, url: str, status: int, message: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(url, message or f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after  # seconds the server asked to wait (429/503), if it said
        self.kind = f"http_{status}"


class Timeout(FetchError):
    """Connecting or reading timed out."""

    kind = "timeout"


class Network(FetchError):
    """DNS, connection or protocol failure."""

    kind = "network"
