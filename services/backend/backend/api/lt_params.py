"""Read a LibreTranslate request's parameters the way LibreTranslate (Flask) reads them.

LibreTranslate 1.9.6 takes a JSON body when the request says it is JSON (``request.is_json``:
``application/json`` or ``application/*+json``), and otherwise ``request.values``: the query
string first, then the form (urlencoded or multipart). deep-translator relies on the latter: it
sends every parameter in the query string of a POST with no body. A JSON body does not merge
with the query string, as in LibreTranslate.

Form limits follow the service's own: a field may hold MAX_TEXT_CHARS characters percent-encoded
(12 bytes per character at most), and a form may hold BATCH_LIMIT repeated ``q`` fields.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException

from backend.api.errors import LibreTranslateError
from backend.config import Settings

#: Bodies larger than this are parsed in a worker thread, so the event loop keeps serving.
OFFLOAD_JSON_BYTES = 256 * 1024
#: Fields besides the q list: source, target, format, alternatives, api_key, secret, s, ...
EXTRA_FIELDS = 32
#: A percent-encoded UTF-8 character takes at most 12 bytes ("%F0%9F%98%80").
ENCODED_BYTES_PER_CHAR = 12


@dataclass(frozen=True)
class Params:
    """The parameters of one request, each name with its values in LibreTranslate's order."""

    values: dict[str, list[Any]]
    is_json: bool

    def get(self, name: str) -> Any:
        """Return the parameter's first value (as Flask's ``values.get``), or None."""
        found = self.values.get(name)
        return found[0] if found else None

    def texts(self, name: str) -> Any:
        """Return q: a JSON value as sent; a form's field, or its repeated fields as a list.

        LibreTranslate itself reads only the first of repeated form fields; libretranslate-aio
        sends a list as repeated fields, so here they make a list.
        """
        found = self.values.get(name)
        if not found:
            return None
        return found[0] if self.is_json or len(found) == 1 else found


def is_json(content_type: str) -> bool:
    """Tell whether a Content-Type is JSON the way Werkzeug's ``is_json`` does."""
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


async def read_params(request: Request, settings: Settings) -> Params:
    """Return the request's parameters; a malformed body is a 400 in LibreTranslate's shape."""
    if is_json(request.headers.get("content-type", "")):
        body = await request.body()
        data = await _decode_json(body)
        if not isinstance(data, dict):
            raise LibreTranslateError(400, "Invalid JSON format")
        return Params({str(k): [v] for k, v in data.items()}, is_json=True)
    values: dict[str, list[Any]] = {}
    for name, value in request.query_params.multi_items():
        values.setdefault(name, []).append(value)
    try:
        form = await request.form(
            max_files=4,
            max_fields=settings.batch_limit + EXTRA_FIELDS,
            max_part_size=settings.max_text_chars * ENCODED_BYTES_PER_CHAR + 1024,
        )
    except HTTPException as error:
        raise LibreTranslateError(400, f"Invalid request: {error.detail}") from None
    try:
        for name, field in form.multi_items():
            if not isinstance(field, UploadFile):
                values.setdefault(name, []).append(field)
    finally:
        await form.close()  # uploads are spooled to temporary files
    return Params(values, is_json=False)


async def _decode_json(body: bytes) -> Any:
    try:
        if len(body) > OFFLOAD_JSON_BYTES:
            return await asyncio.to_thread(json.loads, body)
        return json.loads(body)
    except RecursionError:
        raise LibreTranslateError(400, "Failed to decode JSON object: nested too deep") from None
    except (ValueError, UnicodeDecodeError) as error:
        # json's messages name a position, never the body itself; ValueError also covers
        # integers longer than Python converts (4,300 digits).
        raise LibreTranslateError(400, f"Failed to decode JSON object: {error}") from None
