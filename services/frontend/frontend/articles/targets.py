"""Parse a URL a user asked for into what the fetcher connects to; refuse what it never fetches."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from frontend.articles.addresses import IPAddress
from frontend.articles.errors import ArticleError

SCHEMES = {"http": 80, "https": 443}
MAX_URL_CHARS = 2048


@dataclass(frozen=True)
class Target:
    """One URL to fetch: scheme, host (ASCII, lowercase), port, and path with query."""

    scheme: str
    host: str
    port: int
    path: str

    @property
    def url(self) -> str:
        """Return the URL as the user would see it (no fragment, no credentials)."""
        return urlunsplit((self.scheme, self.netloc, self.path, "", ""))

    @property
    def netloc(self) -> str:
        """Return host[:port] for the Host header: the port only when it is not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if SCHEMES[self.scheme] == self.port else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        """Return scheme://host[:port], the scope of one robots.txt."""
        return f"{self.scheme}://{self.netloc}"

    def connect_url(self, address: IPAddress) -> str:
        """Return the URL with the host replaced by the checked address that is connected to."""
        host = f"[{address}]" if isinstance(address, ipaddress.IPv6Address) else str(address)
        return urlunsplit((self.scheme, f"{host}:{self.port}", self.path, "", ""))


def parse_target(url: str) -> Target:
    """Return the Target of an absolute http(s) URL; raise ArticleError for anything else."""
    url = url.strip()
    if not url:
        raise ArticleError("Enter the address of a web page.", reason="empty")
    if len(url) > MAX_URL_CHARS:
        raise ArticleError(f"The address is longer than {MAX_URL_CHARS} characters.", reason="url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ArticleError("This is not a valid web address.", reason="url") from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise ArticleError("Only http:// and https:// addresses can be fetched.", reason="scheme")
    if parts.username is not None or parts.password is not None:
        # Never send credentials on a user's behalf (and "http://site@evil/" misleads readers).
        raise ArticleError("Addresses with a user name or password are refused.", reason="url")
    host = _ascii_host(parts.hostname or "")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme, host, port or SCHEMES[scheme], path)


def resolve_location(current: Target, location: str) -> Target:
    """Return the Target a redirect's Location header points to, relative to `current`."""
    return parse_target(urljoin(current.url, location.strip()))


def _ascii_host(host: str) -> str:
    if not host:
        raise ArticleError("The address names no host.", reason="url")
    if any(char in host for char in "%\\ \t"):
        raise ArticleError("This is not a valid web address.", reason="url")
    if ":" in host:
        return host.lower()
    try:
        return host.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ArticleError("The host name is not valid.", reason="url") from None
