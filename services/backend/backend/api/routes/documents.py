"""The native documents API: upload a file, get the translated file back in the same format."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from backend.api.deps import RequestIdDep, StateDep, TranslatorDep, note
from backend.api.uploads import Upload, read_upload
from backend.documents import Limits, PreparedDocument, TranslatedDocument, prepare_document
from backend.engines.base import EngineError
from backend.errors import LanguagePair, check_pair
from backend.service import BackendState
from backend.translator import Translator

logger = logging.getLogger(__name__)
router = APIRouter(prefix="/v1", tags=["documents"])
#: The stream reports progress at most this often (and always when the last block is done).
PROGRESS_INTERVAL_S = 0.25

UPLOAD_DOC = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary"},
                        "source": {"type": "string", "default": "de"},
                        "target": {"type": "string", "default": "en"},
                    },
                }
            }
        },
    }
}
#: FastAPI's `responses` for the OpenAPI page: status → its description.
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Not a multipart upload, or an unsupported language pair"},
    413: {"description": "Over MAX_FILE_BYTES, over MAX_TEXT_CHARS, or unpacking too large"},
    415: {"description": "Not a supported format, or content that does not match the name"},
    422: {"description": "Corrupt, password-protected, or with macros or XML entities"},
}


@dataclass(frozen=True)
class DocumentOutcome:
    """A translated document and what it cost."""

    document: TranslatedDocument
    segments: int
    duration_ms: float


def limits(state: BackendState) -> Limits:
    """Return the document limits from the settings."""
    settings = state.settings
    return Limits(max_file_bytes=settings.max_file_bytes, max_text_chars=settings.max_text_chars)


class CountingTranslator:
    """Translate texts for one document under one request id, counting the segments."""

    def __init__(self, translator: Translator, request_id: str) -> None:
        self._translator = translator
        self._request_id = request_id
        self.segments = 0

    async def __call__(self, text: str) -> str:
        result = await self._translator.translate(text, request_id=self._request_id)
        self.segments += result.segments
        return result.translation


async def read_document_form(request: Request, state: BackendState) -> tuple[Upload, str, str]:
    """Read the uploaded file and its source and target (the settings' where a field is absent)."""
    settings = state.settings
    upload = await read_upload(request, max_file_bytes=settings.max_file_bytes)
    source = upload.fields.get("source", settings.source_language)
    return upload, source, upload.fields.get("target", settings.target_language)


async def prepare_upload(
    upload: Upload, *, source: str, target: str, state: BackendState, request: Request
) -> PreparedDocument:
    """Check the language pair, the limits and the format; read the document's blocks."""
    note(request, file_bytes=len(upload.data))
    check_pair(LanguagePair(source, target), state.supported_pairs)
    prepared = await prepare_document(upload.data, upload.filename, limits(state))
    note(request, format=prepared.kind, text_chars=prepared.chars)
    return prepared


async def translate_upload(
    upload: Upload,
    *,
    source: str,
    target: str,
    state: BackendState,
    translator: Translator,
    request_id: str,
    request: Request,
) -> DocumentOutcome:
    """Translate an uploaded document through the shared translator (one request id)."""
    started = time.perf_counter()
    prepared = await prepare_upload(
        upload, source=source, target=target, state=state, request=request
    )
    counting = CountingTranslator(translator, request_id)
    try:
        document = await prepared.translate(counting)
    finally:
        state.metrics.segments.labels("documents").inc(counting.segments)
        note(request, segments=counting.segments)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return DocumentOutcome(document, counting.segments, duration_ms)


def attachment(filename: str) -> str:
    """Return a Content-Disposition value that names the file safely in any browser."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


@router.post("/documents", openapi_extra=UPLOAD_DOC, responses=ERRORS, response_class=Response)
async def translate_file(
    request: Request, state: StateDep, translator: TranslatorDep, request_id: RequestIdDep
) -> Response:
    """Translate an uploaded document and answer the translated file (PDF: as .docx)."""
    upload, source, target = await read_document_form(request, state)
    outcome = await translate_upload(
        upload,
        source=source,
        target=target,
        state=state,
        translator=translator,
        request_id=request_id,
        request=request,
    )
    document = outcome.document
    headers = {
        "Content-Disposition": attachment(document.filename),
        "X-Document-Format": document.format,
        "X-Document-Blocks": str(document.blocks),
        "X-Document-Segments": str(outcome.segments),
        "X-Duration-Ms": str(outcome.duration_ms),
    }
    return Response(document.data, media_type=document.media_type, headers=headers)


@router.post(
    "/documents/stream",
    openapi_extra=UPLOAD_DOC,
    responses={
        200: {
            "content": {"application/x-ndjson": {}},
            "description": 'Lines {"done": n, "total": m} (blocks translated), then {"done": true, '
            '"filename", "media_type", "format", "blocks", "segments", "duration_ms", "file": '
            'base64}; on an engine failure a last line {"done": false, "error"}',
        },
        **ERRORS,
    },
    response_class=StreamingResponse,
)
async def translate_file_stream(
    request: Request, state: StateDep, translator: TranslatorDep, request_id: RequestIdDep
) -> StreamingResponse:
    """Translate an uploaded document, streaming progress as NDJSON, the file in the last line."""
    upload, source, target = await read_document_form(request, state)
    # Refusals (format, limits, pair) come before the stream starts, as ordinary 4xx answers.
    prepared = await prepare_upload(
        upload, source=source, target=target, state=state, request=request
    )
    counting = CountingTranslator(translator, request_id)
    lines = _progress(prepared, counting, state, request)
    return StreamingResponse(lines, media_type="application/x-ndjson")


async def _progress(
    prepared: PreparedDocument, counting: CountingTranslator, state: BackendState, request: Request
) -> AsyncIterator[str]:
    started = time.perf_counter()
    updates: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
    task = asyncio.ensure_future(
        prepared.translate(counting, lambda *done: updates.put_nowait(done))
    )
    try:
        yield _line({"done": 0, "total": prepared.total})
        sent_at = time.perf_counter()
        while not task.done():
            update = asyncio.ensure_future(updates.get())
            await asyncio.wait({task, update}, return_when=asyncio.FIRST_COMPLETED)
            if not update.done():
                update.cancel()
                continue
            done, total = update.result()
            if done == total or time.perf_counter() - sent_at >= PROGRESS_INTERVAL_S:
                sent_at = time.perf_counter()
                yield _line({"done": done, "total": total})
        document = task.result()
        # Updates queued as the task ended (cached blocks finish at once) were not read above:
        # the last one still says "all done" before the file.
        final = None
        while not updates.empty():
            final = updates.get_nowait()
        if final is not None:
            yield _line({"done": final[0], "total": final[1]})
    except EngineError as error:
        logger.error("document failed after %d segments: %s", counting.segments, error)
        yield _line({"done": False, "error": "the translation engine failed; retry later"})
        return
    finally:
        # The client went away (or the engine failed): the remaining segments are not needed.
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        state.metrics.segments.labels("documents").inc(counting.segments)
        note(request, segments=counting.segments)
    yield _line(
        {
            "done": True,
            "filename": document.filename,
            "media_type": document.media_type,
            "format": document.format,
            "blocks": document.blocks,
            "segments": counting.segments,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "file": base64.b64encode(document.data).decode("ascii"),
        }
    )


def _line(payload: dict[str, object]) -> str:
    return json.dumps(payload) + "\n"
