"""The native documents API: upload a file, get the translated file back in the same format."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import Response

from backend.api.deps import RequestIdDep, StateDep, TranslatorDep, note
from backend.api.uploads import Upload, read_upload
from backend.documents import Limits, TranslatedDocument, translate_document
from backend.errors import LanguagePair, check_pair
from backend.service import BackendState
from backend.translator import Translator

router = APIRouter(prefix="/v1", tags=["documents"])

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
ERRORS = {
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
    note(request, file_bytes=len(upload.data))
    check_pair(LanguagePair(source, target), state.supported_pairs)
    segments = 0

    async def translate(text: str) -> str:
        nonlocal segments
        result = await translator.translate(text, request_id=request_id)
        segments += result.segments
        return result.translation

    document = await translate_document(upload.data, upload.filename, translate, limits(state))
    state.metrics.segments.labels("documents").inc(segments)
    note(request, format=document.format, text_chars=document.chars, segments=segments)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    return DocumentOutcome(document, segments, duration_ms)


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
    upload = await read_upload(request, max_file_bytes=state.settings.max_file_bytes)
    outcome = await translate_upload(
        upload,
        source=upload.fields.get("source", state.settings.source_language),
        target=upload.fields.get("target", state.settings.target_language),
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
