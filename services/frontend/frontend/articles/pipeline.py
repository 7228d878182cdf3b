"""One article by URL from start to finish: rate limit, read, translate (streamed), summarise."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from frontend.articles.errors import ArticleError
from frontend.articles.fetching import Fetcher, open_http_client
from frontend.articles.ratelimit import RateLimiter
from frontend.articles.reading import ArticleReader, FetchedArticle
from frontend.articles.remote import RemoteReader
from frontend.articles.robots import RobotsRules
from frontend.articles.summaries import Summary, SummaryClient, SummaryUnavailable
from frontend.backend_client import Segment
from frontend.config import Settings
from frontend.translating import ArticleSource, Finished, Translating, TranslationRun


@dataclass(frozen=True)
class SummaryOutcome:
    """The summary, or why there is none (None and None: summaries are switched off)."""

    summary: Summary | None = None
    error: str | None = None


class Articles:
    """Turn URLs into translated (and summarised) articles for the blueprint."""

    def __init__(
        self,
        reader: ArticleReader | RemoteReader,
        translating: Translating,
        summaries: SummaryClient,
        limiter: RateLimiter,
        *,
        max_text_chars: int,
        fetch_http: httpx.AsyncClient | None = None,
    ) -> None:
        self._reader = reader
        self._translating = translating
        self._summaries = summaries
        self._limiter = limiter
        self._max_text_chars = max_text_chars
        self._fetch_http = fetch_http

    @classmethod
    def open(
        cls, settings: Settings, translating: Translating, backend_http: httpx.AsyncClient
    ) -> Articles:
        """Build the reader (in this process, or the fetcher service's client) and the limiter."""
        policy = settings.fetch_policy
        reader: ArticleReader | RemoteReader
        if settings.fetcher_url:
            # robots.txt and the page: each within the fetcher's total limit.
            wait_s = 2 * policy.total_timeout_s + policy.connect_timeout_s
            http = httpx.AsyncClient(
                base_url=settings.fetcher_url,
                timeout=httpx.Timeout(wait_s, connect=policy.connect_timeout_s),
                trust_env=False,
            )
            reader = RemoteReader(http)
        else:
            http = open_http_client(policy)
            fetcher = Fetcher(http, policy)
            reader = ArticleReader(fetcher, RobotsRules(fetcher))
        return cls(
            reader,
            translating,
            SummaryClient(backend_http),
            RateLimiter(settings.articles_per_minute),
            max_text_chars=settings.max_text_chars,
            fetch_http=http,
        )

    async def aclose(self) -> None:
        """Close the fetcher's HTTP client."""
        if self._fetch_http is not None:
            await self._fetch_http.aclose()

    async def start(self, url: str, *, client: str, request_id: str) -> ArticleRun:
        """Read the article and open its translation; raise ArticleError or BackendError."""
        wait_s = self._limiter.try_acquire(client)
        if wait_s:
            raise ArticleError(
                f"Too many articles asked for from your address. Try again in "
                f"{math.ceil(wait_s)} seconds.",
                reason="rate_limited",
                status_code=429,
            )
        fetched = await self._reader.read(url)
        text = fetched.article.text
        if len(text) > self._max_text_chars:
            raise ArticleError(
                f"The article has {len(text):,} characters; the maximum is "
                f"{self._max_text_chars:,}.",
                reason="too_long",
                status_code=413,
            )
        source = ArticleSource(url=fetched.url, title=fetched.article.title)
        run = await self._translating.start(text, request_id=request_id, source=source)
        summaries = self._summaries if await self._summaries.enabled() else None
        return ArticleRun(fetched, run, summaries, request_id)


class ArticleRun:
    """A started article: iterate it for translated segments, finish(), then summarise()."""

    def __init__(
        self,
        fetched: FetchedArticle,
        run: TranslationRun,
        summaries: SummaryClient | None,
        request_id: str,
    ) -> None:
        self.fetched = fetched
        self._run = run
        self._summaries = summaries
        self._request_id = request_id

    @property
    def summarising(self) -> bool:
        """Tell whether a summary will be asked for (SUMMARY_MODEL set on the backend)."""
        return self._summaries is not None

    async def __aiter__(self) -> AsyncIterator[Segment]:
        """Yield the translated segments in order."""
        async for segment in self._run:
            yield segment

    async def finish(self) -> Finished:
        """Save the translation with its source URL and title."""
        return await self._run.finish()

    async def summarise(self, translation: str) -> SummaryOutcome:
        """Summarise the English translation, or say why no summary could be made."""
        if self._summaries is None:
            return SummaryOutcome()
        try:
            summary = await self._summaries.summarise(translation, request_id=self._request_id)
        except SummaryUnavailable as error:
            return SummaryOutcome(error=str(error))
        return SummaryOutcome(summary=summary)

    async def aclose(self) -> None:
        """Abandon the translation (the backend cancels the rest)."""
        await self._run.aclose()
