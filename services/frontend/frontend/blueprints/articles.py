"""Articles by URL: the public JSON API, its streaming variant, and the form without JavaScript."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from quart import Blueprint, Response, g, render_template, request

from frontend.articles.errors import ArticleError
from frontend.articles.pipeline import ArticleRun, SummaryOutcome
from frontend.articles.ratelimit import client_key
from frontend.backend_client import BackendError
from frontend.csrf import json_api
from frontend.state import AppState, app_state
from frontend.translating import Finished

log = logging.getLogger(__name__)
blueprint = Blueprint("articles", __name__)

STREAM_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@blueprint.post("/api/v1/articles")
@json_api
async def article_json() -> tuple[dict, int]:
    """Fetch, translate and summarise the article at {"url"}; answer everything at once."""
    state = app_state()
    url = await _posted_url()
    if url is None:
        return {"error": 'Send JSON {"url": "https://..."}.'}, 400
    try:
        run = await _start(state, url)
        finished = await _translate_all(run)
    except (ArticleError, BackendError) as error:
        return _error_body(error), error.status_code
    outcome = await run.summarise(finished.translation)
    return {**_article_fields(run), **_finished_fields(finished), **_summary_fields(outcome)}, 200


@blueprint.post("/api/v1/articles/stream")
@json_api
async def article_stream() -> Response | tuple[dict, int]:
    """Stream the article as NDJSON: the source, each translated segment, the summary, done."""
    state = app_state()
    url = await _posted_url()
    if url is None:
        return {"error": 'Send JSON {"url": "https://..."}.'}, 400
    try:
        run = await _start(state, url)
    except (ArticleError, BackendError) as error:
        return _error_body(error), error.status_code
    return Response(_ndjson(run), mimetype="application/x-ndjson", headers=STREAM_HEADERS)


@blueprint.post("/articles")
async def article_form() -> tuple[str, int]:
    """Translate the article at the posted URL in one go (the page without JavaScript)."""
    state = app_state()
    url = (await request.form).get("url", "")
    try:
        run = await _start(state, url)
        finished = await _translate_all(run)
    except (ArticleError, BackendError) as error:
        return await render_template(
            "articles/result.html", article_url=url, article_error=str(error)
        ), (error.status_code)
    outcome = await run.summarise(finished.translation)
    page = await render_template(
        "articles/result.html",
        article_url=url,
        article_run=run,
        article_finished=finished,
        article_outcome=outcome,
    )
    return page, 200


async def _posted_url() -> str | None:
    body = await request.get_json(silent=True)
    url = body.get("url") if isinstance(body, dict) else None
    return url if isinstance(url, str) else None


async def _start(state: AppState, url: str) -> ArticleRun:
    client = client_key(request.remote_addr, request.headers.get("X-Forwarded-For"))
    try:
        run = await state.resources.articles.start(url, client=client, request_id=g.request_id)
    except ArticleError as error:
        log.info("article refused: %s", error.reason)
        # The reason is one of a fixed set of labels: low cardinality, never the URL.
        state.metrics.articles.labels(error.reason).inc()
        raise
    state.metrics.articles.labels("read").inc()
    return run


async def _translate_all(run: ArticleRun) -> Finished:
    try:
        async for _segment in run:
            pass
        return await run.finish()
    finally:
        await run.aclose()


async def _ndjson(run: ArticleRun) -> AsyncIterator[bytes]:
    """Send each line as soon as it is known; close the backend stream if the client leaves."""
    yield _line({"article": {**_article_fields(run), "summary": run.summarising}})
    try:
        async for segment in run:
            yield _line({"index": segment.index, "total": segment.total, "text": segment.text})
        finished = await run.finish()
    except BackendError as error:
        yield _line(_error_body(error))
        return
    except (asyncio.CancelledError, GeneratorExit):
        log.info("article translation cancelled by the client")
        raise
    finally:
        await run.aclose()
    if run.summarising:
        yield _line(_summary_fields(await run.summarise(finished.translation)))
    yield _line({"done": True, **_finished_fields(finished)})


def _article_fields(run: ArticleRun) -> dict:
    article = run.fetched.article
    return {
        "url": run.fetched.url,
        "title": article.title,
        "author": article.author,
        "date": article.date,
        "source_text": article.text,
    }


def _finished_fields(finished: Finished) -> dict:
    return {
        "translation": finished.translation,
        "segments": finished.segments,
        "duration_ms": finished.duration_ms,
        "id": finished.saved.id,
        "ticket": finished.saved.ticket,
        "saved": finished.saved.id is not None,
        "status": finished.saved.status,
    }


def _summary_fields(outcome: SummaryOutcome) -> dict:
    summary = outcome.summary
    return {
        "summary": summary.summary if summary else None,
        "key_points": list(summary.key_points) if summary else [],
        "summary_error": outcome.error,
    }


def _error_body(error: ArticleError | BackendError) -> dict:
    reason = error.reason if isinstance(error, ArticleError) else "backend"
    return {"error": str(error), "reason": reason}


def _line(item: dict) -> bytes:
    return json.dumps(item, ensure_ascii=False).encode() + b"\n"
