"""The fetcher service's wire format: a read article (or its refusal) as JSON and back."""

from __future__ import annotations

from frontend.articles.errors import ArticleError
from frontend.articles.extraction import Article, Block
from frontend.articles.reading import FetchedArticle


def article_to_json(fetched: FetchedArticle) -> dict:
    """Return the JSON body the fetcher answers with."""
    article = fetched.article
    return {
        "url": fetched.url,
        "title": article.title,
        "author": article.author,
        "date": article.date,
        "blocks": [{"kind": block.kind, "text": block.text} for block in article.blocks],
    }


def article_from_json(body: dict) -> FetchedArticle:
    """Rebuild the article from the fetcher's answer; raise KeyError/TypeError if malformed."""
    blocks = tuple(Block(str(b["kind"]), str(b["text"])) for b in body["blocks"])
    article = Article(str(body["title"]), str(body["author"]), str(body["date"]), blocks)
    return FetchedArticle(str(body["url"]), article)


def error_to_json(error: ArticleError) -> dict:
    """Return the JSON body of a refusal (its status travels as the HTTP status)."""
    return {"error": error.message, "reason": error.reason}


def error_from_json(body: dict, status_code: int) -> ArticleError:
    """Rebuild a refusal the fetcher answered with."""
    return ArticleError(str(body["error"]), reason=str(body["reason"]), status_code=status_code)
