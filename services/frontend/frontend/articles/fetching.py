"""Fetch a web page for an anonymous user without letting the request reach inside our network.

Every hop (the URL, each redirect, robots.txt) is parsed, its host resolved once, every address
checked (``addresses.refusal``), and the connection opened to a checked address, with the host
name only in the Host header and TLS SNI: a DNS answer that changes between check and connect
(rebinding) is never looked up again. No cookies, proxies or credentials, a capped body, time
limits on connecting, on each read and on the whole fetch.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from frontend.articles.addresses import (
    AllowedHost,
    IPAddress,
    is_allowed,
    literal_address,
    refusal,
)
from frontend.articles.errors import ArticleError
from frontend.articles.targets import Target, parse_target, resolve_location

log = logging.getLogger(__name__)

USER_AGENT = "UnlimitedTranslation/1.0 (article translator; one fetch per user request)"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})

Resolver = Callable[[str, int], Awaitable[list[IPAddress]]]
Hop = Callable[[Target], Awaitable[None]]


@dataclass(frozen=True)
class FetchPolicy:
    """What the fetcher allows: hosts exempt from the address check, limits in seconds and bytes."""

    allow_hosts: tuple[AllowedHost, ...] = ()
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 10.0
    total_timeout_s: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5


@dataclass(frozen=True)
class Page:
    """A fetched response: the final URL, status, media type, charset and the (capped) body."""

    url: str
    status: int
    media_type: str
    charset: str | None
    body: bytes


async def system_resolver(host: str, port: int) -> list[IPAddress]:
    """Resolve `host` once with the system resolver; return every address, in its order."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    addresses = [literal_address(str(info[4][0])) for info in infos]
    return list(dict.fromkeys(a for a in addresses if a is not None))


def open_http_client(
    policy: FetchPolicy, *, verify: ssl.SSLContext | bool = True
) -> httpx.AsyncClient:
    """Return the HTTP client the fetcher sends through: no cookies, no proxies, no pooling.

    `verify`: the certificate authorities TLS trusts (default: certifi's; tests pass their own).
    """
    timeout = httpx.Timeout(policy.read_timeout_s, connect=policy.connect_timeout_s)
    return httpx.AsyncClient(
        verify=verify,
        timeout=timeout,
        follow_redirects=False,  # every redirect is checked by the fetcher itself
        trust_env=False,  # no HTTP(S)_PROXY and no .netrc credentials from the environment
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),  # stores none
        # Connections are opened to an address, not a name: never reuse one for another host.
        limits=httpx.Limits(max_keepalive_connections=0),
        headers={"User-Agent": USER_AGENT},
    )


class Fetcher:
    """GET pages for users; every hop checked against the policy before anything is sent."""

    def __init__(
        self, http: httpx.AsyncClient, policy: FetchPolicy, *, resolver: Resolver = system_resolver
    ) -> None:
        self._http = http
        self._policy = policy
        self._resolver = resolver

    @property
    def policy(self) -> FetchPolicy:
        """Return the limits this fetcher applies."""
        return self._policy

    async def get(
        self,
        url: str | Target,
        *,
        accept: str,
        max_bytes: int | None = None,
        before_hop: Hop | None = None,
    ) -> Page:
        """Follow `url` through at most max_redirects checked redirects; return the last answer.

        `before_hop` (robots.txt) may refuse each URL, the first and every redirect's, before it
        is requested.
        """
        target = parse_target(url) if isinstance(url, str) else url
        limit_s = self._policy.total_timeout_s
        try:
            async with asyncio.timeout(limit_s):
                limit = max_bytes or self._policy.max_bytes
                return await self._follow(target, accept, limit, before_hop)
        except TimeoutError:
            raise ArticleError(
                f"The site took longer than {limit_s:g} seconds to send the page.",
                reason="timeout",
                status_code=504,
            ) from None

    async def _follow(
        self, target: Target, accept: str, max_bytes: int, before_hop: Hop | None
    ) -> Page:
        for _hop in range(self._policy.max_redirects + 1):
            addresses = await self.checked_addresses(target)
            if before_hop is not None:
                await before_hop(target)
            response = await self._send(target, addresses, accept)
            location = response.headers.get("location")
            if response.status_code in REDIRECTS and location:
                await response.aclose()
                target = resolve_location(target, location)
                continue
            return await _read(response, target, max_bytes, self._policy.read_timeout_s)
        raise ArticleError(
            f"The page redirects more than {self._policy.max_redirects} times.",
            reason="redirects",
            status_code=502,
        )

    async def checked_addresses(self, target: Target) -> list[IPAddress]:
        """Resolve target's host once and return its addresses, or refuse a forbidden one."""
        allowed = is_allowed(self._policy.allow_hosts, target.host, target.port)
        literal = literal_address(target.host)
        if literal is not None:
            addresses = [literal]
        else:
            try:
                addresses = await self._resolver(target.host, target.port)
            except OSError:
                addresses = []
            if not addresses:
                raise ArticleError(
                    f"The host name {target.host} does not resolve.",
                    reason="dns",
                    status_code=502,
                )
        if allowed:
            return addresses
        for address in addresses:
            why = refusal(address)
            if why is not None:
                named = str(address) if literal else f"{target.host} resolves to {address},"
                raise ArticleError(
                    f"Refused: {named} is {why}. Only public web addresses can be fetched.",
                    reason="forbidden_address",
                )
        return addresses

    async def _send(
        self, target: Target, addresses: list[IPAddress], accept: str
    ) -> httpx.Response:
        """Open a response to the first checked address that accepts a connection."""
        headers = {"Host": target.netloc, "Accept": accept, "Accept-Language": "de, en;q=0.5"}
        # TLS still checks the certificate against the host name, not the address.
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        connect_s = self._policy.connect_timeout_s
        for address in addresses:
            request = self._http.build_request(
                "GET", target.connect_url(address), headers=headers, extensions=extensions
            )
            try:
                return await self._http.send(request, stream=True)
            except httpx.ConnectTimeout:
                failure = f"did not accept a connection within {connect_s:g} seconds"
            except httpx.ConnectError as error:
                if "CERTIFICATE" in str(error).upper():
                    raise ArticleError(
                        f"The site's TLS certificate is not valid for {target.host}.",
                        reason="tls",
                        status_code=502,
                    ) from None
                failure = "refused the connection"
            except httpx.ReadTimeout:
                raise _read_timeout(self._policy.read_timeout_s) from None
            except httpx.TransportError:
                raise _broken() from None
        raise ArticleError(f"The site {failure}.", reason="unreachable", status_code=502)


async def _read(
    response: httpx.Response, target: Target, max_bytes: int, read_timeout_s: float
) -> Page:
    """Read the body up to max_bytes (decoded size: a compressed bomb stops at the cap too)."""
    too_large = ArticleError(
        f"The page is larger than {max_bytes:,} bytes (MAX_ARTICLE_BYTES).",
        reason="too_large",
        status_code=413,
    )
    try:
        declared = int(response.headers.get("content-length", "0") or 0)
        if declared > max_bytes:
            raise too_large
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
    except ValueError:
        raise _broken() from None
    except httpx.ReadTimeout:
        raise _read_timeout(read_timeout_s) from None
    except httpx.TransportError:
        raise _broken() from None
    finally:
        await response.aclose()
    media_type, charset = _content_type(response.headers.get("content-type", ""))
    return Page(target.url, response.status_code, media_type, charset, b"".join(chunks))


def _content_type(header: str) -> tuple[str, str | None]:
    media_type, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, value = param.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip("\"' ").lower()
    return media_type.strip().lower(), charset


def _read_timeout(seconds: float) -> ArticleError:
    return ArticleError(
        f"The site stopped sending for {seconds:g} seconds.", reason="timeout", status_code=504
    )


def _broken() -> ArticleError:
    return ArticleError("The connection to the site broke.", reason="broken", status_code=502)
