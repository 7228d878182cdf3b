"""Read articles through the fetcher service (FETCHER_URL) instead of in this process."""

from __future__ import annotations

import httpx

from frontend.articles.errors import ArticleError
from frontend.articles.reading import FetchedArticle
from frontend.articles.wire import article_from_json, error_from_json

READ_PATH = "/v1/read"


class RemoteReader:
    """The ArticleReader interface over HTTP: the fetcher fetches, checks and extracts."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def read(self, url: str) -> FetchedArticle:
        """Return the article at `url`; raise ArticleError with the fetcher's refusal."""
        try:
            response = await self._http.post(READ_PATH, json={"url": url})
            body = response.json()
        except (httpx.HTTPError, ValueError):
            raise ArticleError(
                "The article fetcher cannot be reached. Try again shortly.",
                reason="fetcher",
                status_code=503,
            ) from None
        try:
            if response.status_code != httpx.codes.OK:
                raise error_from_json(body, response.status_code)
            return article_from_json(body)
        except (KeyError, TypeError, AttributeError):
            raise ArticleError(
                "The article fetcher sent a malformed answer.", reason="fetcher", status_code=502
            ) from None
