"""Read the article behind a URL: fetch it safely, check it is a web page, extract the article."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from frontend.articles.errors import ArticleError
from frontend.articles.extraction import Article, decode, extract_article
from frontend.articles.fetching import HTML_TYPES, Fetcher, Page
from frontend.articles.robots import RobotsRules

ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9"
#: Documents users can translate by upload instead (pointed to in the refusal).
DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.oasis.opendocument.text",
        "application/rtf",
    }
)


@dataclass(frozen=True)
class FetchedArticle:
    """An article and the URL it was finally read from (after redirects)."""

    url: str
    article: Article


class ArticleReader:
    """Fetch pages through the checked fetcher, obeying robots.txt, and extract their article."""

    def __init__(self, fetcher: Fetcher, robots: RobotsRules | None) -> None:
        self._fetcher = fetcher
        self._robots = robots

    async def read(self, url: str) -> FetchedArticle:
        """Return the article at `url`; raise ArticleError with the reason it cannot be read."""
        before_hop = self._robots.check if self._robots is not None else None
        page = await self._fetcher.get(url, accept=ACCEPT_HTML, before_hop=before_hop)
        check_page(page)
        html = decode(page.body, page.charset)
        # lxml parsing of a page near MAX_ARTICLE_BYTES takes a while: not on the event loop.
        article = await asyncio.to_thread(extract_article, html, url=page.url)
        return FetchedArticle(page.url, article)


def check_page(page: Page) -> None:
    """Refuse an error answer, a document or anything that is not an HTML page."""
    if not 200 <= page.status < 300:
        raise ArticleError(
            f"The site answered HTTP {page.status} for this page.",
            reason="http_status",
            status_code=502,
        )
    if page.media_type in DOCUMENT_TYPES:
        kind = "a PDF document" if page.media_type == "application/pdf" else "a document"
        raise ArticleError(
            f"This link is {kind}, not a web page. Download it and translate it with the "
            "document upload instead.",
            reason="document",
            status_code=415,
        )
    if page.media_type not in HTML_TYPES:
        shown = page.media_type or "not stated"
        raise ArticleError(
            f"This link is not a web page (its content type is {shown}); only HTML pages can "
            "be read as articles.",
            reason="not_html",
            status_code=415,
        )
