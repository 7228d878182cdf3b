"""The translate page: a form that works without JavaScript, and the streaming API its JS uses."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

from quart import Blueprint, Response, g, render_template, request

from frontend.aligning import lay_out, split_pairs
from frontend.backend_client import BackendError
from frontend.saving import NOT_SAVED_YET, SAVED
from frontend.state import AppState, app_state
from frontend.translating import Finished, TranslationRun, count_words

log = logging.getLogger(__name__)
blueprint = Blueprint("translate", __name__)


@blueprint.get("/")
async def page() -> str:
    """Show the translate page."""
    return await _render(text="")


@blueprint.post("/")
async def translate_form() -> tuple[str, int]:
    """Translate the posted text in one go (the page without JavaScript) and save it."""
    state = app_state()
    text = (await request.form).get("text", "")
    problem = _check_text(text, state)
    if problem:
        return await _render(text=text, error=problem[0]), problem[1]
    translating = state.resources.translating
    try:
        notice = await translating.language_notice(text, request_id=g.request_id)
        finished = await translating.translate(text, request_id=g.request_id)
    except BackendError as error:
        state.metrics.translations.labels("backend_error").inc()
        return await _render(text=text, error=str(error)), error.status_code
    _count_finished(state, text, finished)
    if finished.saved.error:
        return await _render(text=text, error=_unsaved(finished), finished=finished), 503
    return await _render(text=text, error=notice, finished=finished), 200


@blueprint.post("/api/translate/stream")
async def translate_stream() -> Response | tuple[dict, int]:
    """Stream the translation as NDJSON lines, then one line saying where it was saved."""
    state = app_state()
    body = await request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str):
        return {"error": 'Send JSON {"text": "..."}.'}, 400
    problem = _check_text(text, state)
    if problem:
        return {"error": problem[0]}, problem[1]
    translating = state.resources.translating
    try:
        notice = await translating.language_notice(text, request_id=g.request_id)
        run = await translating.start(text, request_id=g.request_id)
    except BackendError as error:
        state.metrics.translations.labels("backend_error").inc()
        return {"error": str(error)}, error.status_code
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    lines = _ndjson(state, text, run, notice)
    return Response(lines, mimetype="application/x-ndjson", headers=headers)


async def _ndjson(
    state: AppState, text: str, run: TranslationRun, notice: str | None = None
) -> AsyncIterator[bytes]:
    """Pass each segment on as it arrives; close the backend stream if the browser leaves."""
    try:
        async for segment in run:
            state.metrics.segments.inc()
            line = {"index": segment.index, "total": segment.total, "text": segment.text}
            if segment.source is not None:
                line["source"] = segment.source
            yield _line(line)
        finished = await run.finish()
    except BackendError as error:
        state.metrics.translations.labels("backend_error").inc()
        yield _line({"error": str(error)})
        return
    except (asyncio.CancelledError, GeneratorExit):
        state.metrics.translations.labels("cancelled").inc()
        log.info("translation cancelled by the client")
        raise
    finally:
        await run.aclose()
    _count_finished(state, text, finished)
    yield _line(
        {
            "done": True,
            "segments": finished.segments,
            "duration_ms": finished.duration_ms,
            "id": finished.saved.id,
            "ticket": finished.saved.ticket,
            "saved": finished.saved.id is not None,
            "status": finished.saved.status,
            "save_error": _unsaved(finished) if finished.saved.error else None,
            "notice": notice,
        }
    )


@blueprint.get("/api/saves/<ticket>")
async def save_status(ticket: str) -> dict:
    """Say whether a translation that was "not saved yet" has been stored since."""
    status = app_state().resources.pending.status(ticket)
    return {"state": status.state, "id": status.id}


def _line(item: dict) -> bytes:
    return json.dumps(item, ensure_ascii=False).encode() + b"\n"


def _check_text(text: str, state: AppState) -> tuple[str, int] | None:
    """Return (message, status) when the text cannot be translated as it is."""
    if not text.strip():
        return "Enter some German text to translate.", 400
    if not text.isascii() and _has_lone_surrogate(text):
        # JSON can carry \ud800 alone; it is no character and cannot be stored or shown.
        return "The text is not valid Unicode (it holds a lone surrogate).", 400
    limit = state.settings.max_text_chars
    if len(text) > limit:
        return (f"The text has {len(text):,} characters; the maximum is {limit:,}.", 413)
    return None


def _has_lone_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _unsaved(finished: Finished) -> str:
    return (
        f"The translation could not be saved ({finished.saved.error}). "
        "Copy or download it to keep it."
    )


def _count_finished(state: AppState, text: str, finished: Finished) -> None:
    outcome = {SAVED: "saved", NOT_SAVED_YET: "pending"}.get(finished.saved.status, "unsaved")
    state.metrics.translations.labels(outcome).inc()
    state.metrics.characters.inc(len(text))


async def _render(*, text: str, error: str | None = None, finished: Finished | None = None) -> str:
    settings = app_state().settings
    pairs = split_pairs(text, finished.translation, finished.segment_lengths) if finished else []
    return await render_template(
        "translate.html",
        text=text,
        error=error,
        finished=finished,
        lines=lay_out(pairs),
        max_text_chars=settings.max_text_chars,
        characters=len(text),
        words=count_words(text),
    )
