"""Translate documents: an upload form that works without JavaScript, a progress stream for the
page's script, and downloads served from the database by any replica."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeSerializer
from quart import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from quart.typing import ResponseReturnValue
from werkzeug.exceptions import RequestEntityTooLarge

from frontend.access import require_operator
from frontend.backend_client import BackendBroken, BackendError
from frontend.documenting import Progress, TranslatedFile, translate_document
from frontend.state import AppState, app_state
from frontend.storage.documents import (
    DOCUMENT_RETENTION,
    DocumentRepository,
    NewDocument,
    StoredDocument,
)
from frontend.storage.errors import StorageError
from frontend.uploads import file_too_large, size_text

log = logging.getLogger(__name__)
blueprint = Blueprint("documents", __name__)

FORMATS = ".docx .pptx .xlsx .odt .odp .ods .pdf .html .htm .md .txt .srt .vtt .epub"
FORM_PATH = "/documents"
STREAM_PATH = "/api/documents/stream"
#: The paths whose POST bodies are documents: they get MAX_FILE_BYTES, not the text's limit
#: (app.py's request class; Traefik's file-limit on the same routes).
UPLOAD_PATHS = (FORM_PATH, STREAM_PATH)
NOT_STORED = "The document was translated but could not be stored (the database is unavailable)."


@blueprint.get(FORM_PATH)
async def page() -> tuple[str, int]:
    """Show the upload form and the documents translated recently."""
    return await _render_page(), 200


@blueprint.post(FORM_PATH)
async def upload_form() -> ResponseReturnValue:
    """Translate the uploaded file in one go (the page without JavaScript), then show it."""
    state = app_state()
    try:
        filename, data = await _upload()
    except UploadProblem as problem:
        return await _render_page(error=str(problem)), problem.status_code
    try:
        translated = None
        async for item in _translate(state, filename, data, g.request_id):
            if isinstance(item, TranslatedFile):
                translated = item
        if translated is None:
            raise BackendBroken("The translation service stopped before the file was done.")
        document_id = await _store(state, filename, data, translated)
    except BackendError as error:
        return await _render_page(error=str(error)), error.status_code
    except StorageError:
        return await _render_page(error=NOT_STORED), 503
    return redirect(_link("documents.detail", document_id), 303)


@blueprint.post(STREAM_PATH)
async def upload_stream() -> Response | tuple[dict, int]:
    """Translate the uploaded file, streaming progress lines, then where to download it."""
    state = app_state()
    try:
        filename, data = await _upload()
    except UploadProblem as problem:
        return {"error": str(problem)}, problem.status_code
    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    # The generator runs after the view returns: keep the request context (g, url_for) for it.
    lines = stream_with_context(_ndjson)(state, filename, data, g.request_id)
    return Response(lines, mimetype="application/x-ndjson", headers=headers)


@blueprint.get("/documents/<int:document_id>")
async def detail(document_id: int) -> tuple[str, int]:
    """Show one translated document with its download link (its key, or the operator)."""
    await _authorise(document_id)
    document = await _get(document_id, with_content=False)
    download_url = _link("documents.download", document_id)
    return await render_template("document.html", document=document, download_url=download_url), 200


@blueprint.get("/documents/<int:document_id>/download")
async def download(document_id: int) -> Response:
    """Send the translated file, from the database, whichever replica stored it."""
    await _authorise(document_id)
    document = await _get(document_id, with_content=True)
    assert document.content is not None
    name = document.translated_filename
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in name)
    disposition = f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name)}"
    headers = {"Content-Disposition": disposition, "Cache-Control": "private, no-store"}
    return Response(document.content, mimetype=document.media_type, headers=headers)


async def _ndjson(
    state: AppState, filename: str, data: bytes, request_id: str
) -> AsyncIterator[bytes]:
    try:
        async for item in _translate(state, filename, data, request_id):
            if isinstance(item, Progress):
                yield _line({"done": item.done, "total": item.total})
                continue
            document_id = await _store(state, filename, data, item)
            url = _link("documents.download", document_id)
            page_url = _link("documents.detail", document_id)
            yield _line(
                {
                    "done": True,
                    "id": document_id,
                    "download": url,
                    "page": page_url,
                    "filename": item.filename,
                    "blocks": item.blocks,
                    "segments": item.segments,
                }
            )
    except BackendError as error:
        yield _line({"error": str(error)})
    except StorageError:
        yield _line({"error": NOT_STORED})


async def _translate(
    state: AppState, filename: str, data: bytes, request_id: str
) -> AsyncIterator[Progress | TranslatedFile]:
    settings = state.settings
    async for item in translate_document(
        state.resources.http,
        filename,
        data,
        source_lang=settings.source_lang,
        target_lang=settings.target_lang,
        request_id=request_id,
        attempts=settings.backend_stream_attempts,
    ):
        yield item


async def _store(state: AppState, filename: str, data: bytes, translated: TranslatedFile) -> int:
    repository = DocumentRepository(state.resources.engine)
    return await repository.save(
        NewDocument(
            filename=filename[:255],
            format=translated.format,
            source_bytes=len(data),
            translated_filename=translated.filename[:255],
            media_type=translated.media_type,
            content=translated.content,
            blocks=translated.blocks,
            segments=translated.segments,
            duration_ms=round(translated.duration_ms),
        )
    )


class UploadProblem(Exception):
    """The form's file is missing, empty or too large; the message is for the user."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


async def _upload() -> tuple[str, bytes]:
    """Return the form's file name and bytes; raise UploadProblem when it is unusable."""
    try:
        file = (await request.files).get("file")
    except RequestEntityTooLarge:
        raise UploadProblem(file_too_large(app_state().settings.max_file_bytes), 413) from None
    if file is None or not file.filename:
        raise UploadProblem("Choose a file to translate.", 400)
    data = file.read()
    if not data:
        raise UploadProblem("The file is empty.", 400)
    limit = app_state().settings.max_file_bytes
    if len(data) > limit:
        raise UploadProblem(file_too_large(limit), 413)
    return file.filename, data


async def _get(document_id: int, *, with_content: bool) -> StoredDocument:
    try:
        document = await DocumentRepository(app_state().resources.engine).get(
            document_id, with_content=with_content
        )
    except StorageError:
        abort(503, description="The documents are unavailable right now (database).")
    if document is None:
        abort(404, description="No such document (documents are kept for seven days).")
    return document


def _keys() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="document-link")


def _link(endpoint: str, document_id: int) -> str:
    """Return the document's URL with the signed key that lets its uploader (only) open it."""
    return url_for(endpoint, document_id=document_id, key=_keys().dumps(document_id))


async def _authorise(document_id: int) -> None:
    """Let the key's holder in; anyone else must be the operator (ids are guessable)."""
    key = request.args.get("key", "")
    try:
        if key and len(key) < 256 and _keys().loads(key) == document_id:
            return
    except BadSignature:
        pass
    await require_operator()


async def _render_page(error: str | None = None) -> str:
    recent: list[StoredDocument] = []
    # Other people's documents are listed for the operator only (the page itself is public).
    if g.get("admin"):
        try:
            recent = await DocumentRepository(app_state().resources.engine).recent()
        except StorageError:
            log.warning("recent documents unavailable: database down")
    return await render_template(
        "documents.html",
        error=error,
        recent=recent,
        formats=FORMATS,
        max_file=size_text(app_state().settings.max_file_bytes),
        max_file_bytes=app_state().settings.max_file_bytes,
        retention_days=DOCUMENT_RETENTION.days,
    )


def _line(item: dict) -> bytes:
    return json.dumps(item, ensure_ascii=False).encode() + b"\n"
