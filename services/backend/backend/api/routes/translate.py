"""The native API: translate a whole text, or stream it segment by segment as NDJSON."""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field, field_validator

from backend.api.deps import RequestIdDep, StateDep, TranslatorDep, note
from backend.api.lt_work import translate_html
from backend.engines.base import EngineError
from backend.errors import LanguagePair, check_pair, check_text
from backend.heartbeats import with_heartbeats
from backend.service import BackendState
from backend.translator import Translator

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["translation"])

#: The bounds of X-Stream-Heartbeat-S: more often than 10 times a second only costs bandwidth.
HEARTBEAT_MIN_S = 0.1
HEARTBEAT_MAX_S = 3600.0
#: What a heartbeat is: a blank line, which NDJSON readers (the frontend's too) skip.
HEARTBEAT = "\n"

#: FastAPI's `responses` for the OpenAPI page: status → its description.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Unsupported language pair (the supported ones are listed)"},
    413: {"description": "Text longer than MAX_TEXT_CHARS"},
    503: {"description": "The model is not loaded yet"},
}


class TranslateRequest(BaseModel):
    """A text of any length (up to MAX_TEXT_CHARS) and its language pair."""

    text: str = Field(description="Plain text; lines, blank lines, bullets and indentation kept")
    source: str = Field("de", description="Source language code")
    target: str = Field("en", description="Target language code")
    format: Literal["text", "html"] = Field(
        "text", description="html: markup kept, text translated in context (backend/markup.py)"
    )

    @field_validator("text", "source", "target")
    @classmethod
    def _encodable(cls, value: str) -> str:
        # JSON may escape lone surrogates ("\ud800"): no text, and no answer could encode them.
        value.encode("utf-8")
        return value


class TranslateResponse(BaseModel):
    """The whole translation."""

    translation: str
    segments: int = Field(description="Sentences (or sentence pieces) translated")
    model: str
    engine: str
    duration_ms: float


def _admit(body: TranslateRequest, state: BackendState, request: Request) -> None:
    """Check size and language pair; note the size in the request's log line."""
    note(request, text_chars=len(body.text))
    check_text(len(body.text), state.settings.max_text_chars)
    check_pair(LanguagePair(body.source, body.target), state.supported_pairs)


@router.post("/translate", responses=ERRORS)
async def translate(
    body: TranslateRequest,
    request: Request,
    state: StateDep,
    translator: TranslatorDep,
    request_id: RequestIdDep,
) -> TranslateResponse:
    """Translate a text whole; whitespace-only text comes back unchanged."""
    started = time.perf_counter()
    _admit(body, state, request)
    if body.format == "html":
        [result] = await translate_html(translator, [body.text], request_id)
    else:
        result = await translator.translate(body.text, request_id=request_id)
    state.metrics.segments.labels("translate").inc(result.segments)
    note(request, segments=result.segments)
    engine = state.engine
    return TranslateResponse(
        translation=result.translation,
        segments=result.segments,
        model=engine.model if engine else "",
        engine=engine.name if engine else "",
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )


@router.post(
    "/translate/stream",
    responses={
        200: {
            "content": {"application/x-ndjson": {}},
            "description": 'Lines {"index","total","text","source"}, then {"done": true, '
            '"segments", "duration_ms"}; on a failure mid-stream a last line '
            '{"done": false, "error"}. With X-Stream-Heartbeat-S: N, a blank line after '
            "every N seconds without a line (for clients with a short idle timeout)",
        },
        **ERRORS,
    },
    response_class=StreamingResponse,
)
async def translate_stream(
    body: TranslateRequest,
    request: Request,
    state: StateDep,
    translator: TranslatorDep,
    request_id: RequestIdDep,
    heartbeat_s: Annotated[str | None, Header(alias="X-Stream-Heartbeat-S")] = None,
) -> StreamingResponse:
    """Stream the translation as NDJSON, one line per segment in order, then a done line."""
    _admit(body, state, request)
    interval_s = _heartbeat_interval_s(heartbeat_s)
    if body.format == "html":
        lines = _html_ndjson(translator, body.text, request_id)
    else:
        lines = _ndjson(translator, body.text, request_id, state, request)
    if interval_s is not None:
        lines = with_heartbeats(lines, interval_s=interval_s, beat=HEARTBEAT)
    return StreamingResponse(lines, media_type="application/x-ndjson")


def _heartbeat_interval_s(header: str | None) -> float | None:
    """Return the heartbeat interval a client asked for (None: no heartbeats); 400 if invalid."""
    if header is None:
        return None
    try:
        interval_s = float(header)
    except ValueError:
        interval_s = math.nan
    if not HEARTBEAT_MIN_S <= interval_s <= HEARTBEAT_MAX_S:
        raise HTTPException(
            status_code=400,
            detail=f"X-Stream-Heartbeat-S must be seconds from {HEARTBEAT_MIN_S} to "
            f"{HEARTBEAT_MAX_S:.0f}, not {header[:20]!r}",
        )
    return interval_s


async def _ndjson(
    translator: Translator, text: str, request_id: str, state: BackendState, request: Request
) -> AsyncIterator[str]:
    started = time.perf_counter()
    sent = 0
    segments = state.metrics.segments.labels("stream")
    try:
        # aclosing: when the client goes away this generator is closed, which closes the
        # translator's stream, which cancels the segments not yet translated.
        async with aclosing(translator.stream(text, request_id=request_id)) as parts:
            async for part in parts:
                sent += 1
                segments.inc()
                # "source" (additive): what this segment translates, for clients that align them.
                yield _line(
                    {
                        "index": part.index,
                        "total": part.total,
                        "text": part.text,
                        "source": part.source,
                    }
                )
    except EngineError as error:
        logger.error("stream failed after %d segments: %s", sent, error)
        yield _line({"done": False, "error": "the translation engine failed; retry later"})
        return
    finally:
        note(request, segments=sent)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    yield _line({"done": True, "segments": sent, "duration_ms": duration_ms})


async def _html_ndjson(translator: Translator, text: str, request_id: str) -> AsyncIterator[str]:
    """Send HTML translated whole, as one segment line: tags are placed once all text is back."""
    started = time.perf_counter()
    try:
        [result] = await translate_html(translator, [text], request_id)
    except EngineError as error:
        logger.error("html stream failed: %s", error)
        yield _line({"done": False, "error": "the translation engine failed; retry later"})
        return
    yield _line({"index": 0, "total": 1, "text": result.translation})
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    yield _line({"done": True, "segments": result.segments, "duration_ms": duration_ms})


def _line(payload: dict[str, object]) -> str:
    return json.dumps(payload, ensure_ascii=False) + "\n"
