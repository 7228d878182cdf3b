"""Translate an uploaded document through the backend's progress stream (framework-free).

``translate_document`` POSTs the file to the backend's /v1/documents/stream and yields
``Progress`` (blocks done / total) while it runs, then one ``TranslatedFile``. Closing the
iterator early (the browser cancelled) closes the backend stream, which cancels the segments
still waiting there. Refusals come back as DocumentRefused with the backend's own message.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx

from frontend.backend_client import BackendBroken, BackendError, BackendFailed, BackendUnavailable

STREAM_PATH = "/v1/documents/stream"


class DocumentRefused(BackendError):
    """The backend refused the file (format, size, damage, password, macros): the user's to fix."""

    def __init__(self, message: str, status_code: int) -> None:
        super().__init__(message)
        self.status_code = status_code


@dataclass(frozen=True)
class Progress:
    """Blocks (paragraphs, cells, cues) translated so far, of all the document has."""

    done: int
    total: int


@dataclass(frozen=True)
class TranslatedFile:
    """The translated document and its figures."""

    filename: str
    media_type: str
    format: str
    blocks: int
    segments: int
    duration_ms: float
    content: bytes


async def translate_document(
    http: httpx.AsyncClient,
    filename: str,
    data: bytes,
    *,
    source_lang: str,
    target_lang: str,
    request_id: str,
    attempts: int = 1,
) -> AsyncIterator[Progress | TranslatedFile]:
    """Yield the backend's progress for this document, then the translated file.

    A stream that breaks before the file arrived is sent again, up to `attempts` requests in
    all (the file is at hand, and the blocks translated before are in the backend's cache), so
    one dropped connection between the proxies does not cost the user the upload; progress then
    starts over. A refusal, a failed translation or a timeout is not retried.
    """
    form = {"source": source_lang, "target": target_lang}
    headers = {"X-Request-ID": request_id}
    for attempt in range(1, attempts + 1):
        try:
            async for item in _stream_once(http, filename, data, form, headers):
                yield item
            return
        except BackendBroken:
            if attempt == attempts:
                raise


async def _stream_once(
    http: httpx.AsyncClient,
    filename: str,
    data: bytes,
    form: dict[str, str],
    headers: dict[str, str],
) -> AsyncIterator[Progress | TranslatedFile]:
    """One request to the backend's document stream; BackendBroken if it ends before the file."""
    try:
        async with http.stream(
            "POST", STREAM_PATH, files={"file": (filename, data)}, data=form, headers=headers
        ) as response:
            if response.status_code != 200:
                raise _refusal(response.status_code, await response.aread())
            async for line in response.aiter_lines():
                if line.strip():
                    item = _parse(line)
                    yield item
                    if isinstance(item, TranslatedFile):
                        return
    except httpx.TimeoutException:
        raise BackendUnavailable("The translation service did not answer in time.") from None
    except httpx.ConnectError:
        raise BackendUnavailable("The translation service cannot be reached right now.") from None
    except httpx.HTTPError:
        raise BackendBroken("The connection to the translation service broke.") from None
    # The stream ended cleanly but without the file: as broken as a cut connection.
    raise BackendBroken("The connection to the translation service broke.")


def _refusal(status: int, body: bytes) -> BackendError:
    try:
        detail = json.loads(body).get("detail")
    except (ValueError, AttributeError):
        detail = None
    if status == 503:
        return BackendUnavailable("The translation service is starting; retry in a moment.")
    if 400 <= status < 500 and isinstance(detail, str):
        return DocumentRefused(f"The file cannot be translated: {detail}.", status)
    return BackendFailed("The translation service failed; retry later.")


def _parse(line: str) -> Progress | TranslatedFile:
    try:
        item = json.loads(line)
        if item.get("done") is False:
            raise BackendFailed("The translation engine failed; retry later.")
        if item.get("done") is True:
            return TranslatedFile(
                filename=str(item["filename"]),
                media_type=str(item["media_type"]),
                format=str(item["format"]),
                blocks=int(item["blocks"]),
                segments=int(item["segments"]),
                duration_ms=float(item["duration_ms"]),
                content=base64.b64decode(item["file"], validate=True),
            )
        return Progress(int(item["done"]), int(item["total"]))
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise BackendFailed("The translation service sent a malformed answer.") from None
