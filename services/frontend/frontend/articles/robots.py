"""Respect robots.txt (RFC 9309) before fetching a page, with Protego as the parser.

Rules are read once per origin and kept for ``ttl_s``. As RFC 9309 (2.3.1) says: a robots.txt
answering 4xx means no rules (allowed); a 5xx answer or an unreachable one means "disallow
everything" until it can be read. robots.txt itself is fetched through the same checked fetcher
(its redirects and addresses checked like any page).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from protego import Protego

from frontend.articles.errors import ArticleError
from frontend.articles.fetching import Fetcher
from frontend.articles.targets import Target, parse_target

#: The product token our User-Agent starts with; robots.txt groups name it to address us.
ROBOTS_TOKEN = "UnlimitedTranslation"  # noqa: S105 (a product token, not a password)
#: RFC 9309 2.5: parsers must read at least 500 KiB.
MAX_ROBOTS_BYTES = 512_000
_ERRORS_MEANING_UNREACHABLE = frozenset({"unreachable", "timeout", "broken", "dns", "redirects"})


class RobotsRules:
    """Tell whether an origin's robots.txt lets us fetch a URL, reading it once per ttl_s."""

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        ttl_s: float = 600.0,
        max_origins: int = 1024,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._ttl_s = ttl_s
        self._max_origins = max_origins
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, Protego | None]] = OrderedDict()

    async def check(self, target: Target) -> None:
        """Raise ArticleError (403) when the origin's robots.txt disallows `target`."""
        rules = await self._rules(target.origin)
        if rules is None:
            raise ArticleError(
                "The site's robots.txt cannot be read right now, so nothing is fetched from it "
                "(RFC 9309). Try again later.",
                reason="robots",
                status_code=403,
            )
        if not rules.can_fetch(target.url, ROBOTS_TOKEN):
            raise ArticleError(
                "The site's robots.txt does not allow automated fetching of this page.",
                reason="robots",
                status_code=403,
            )

    async def _rules(self, origin: str) -> Protego | None:
        """Return the origin's parsed rules (None: disallow all), cached for ttl_s."""
        now = self._clock()
        cached = self._cache.get(origin)
        if cached is not None and now - cached[0] < self._ttl_s:
            self._cache.move_to_end(origin)
            return cached[1]
        rules = await self._read(origin)
        self._cache[origin] = (now, rules)
        self._cache.move_to_end(origin)
        while len(self._cache) > self._max_origins:
            self._cache.popitem(last=False)
        return rules

    async def _read(self, origin: str) -> Protego | None:
        try:
            page = await self._fetcher.get(
                parse_target(origin + "/robots.txt"),
                accept="text/plain",
                max_bytes=MAX_ROBOTS_BYTES,
            )
        except ArticleError as error:
            if error.reason == "too_large":
                return Protego.parse("")  # an oversized file is not a rule set we can honour
            if error.reason in _ERRORS_MEANING_UNREACHABLE:
                return None
            raise  # a forbidden address stays a refusal with its own message
        if 400 <= page.status < 500:
            return Protego.parse("")
        if page.status >= 300:
            return None
        return Protego.parse(page.body.decode("utf-8", errors="replace"))
