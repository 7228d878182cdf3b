"""LibreTranslate-compatible endpoints, so existing LibreTranslate clients work unchanged.

POST /translate takes JSON or a form (what libretranslatepy sends); ``q`` is a string or a list
and the answer's ``translatedText`` has the same shape. Errors are {"error": ...} as in
LibreTranslate. ``source="auto"`` is accepted and means the model's source language.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError

from backend.api.deps import RequestIdDep, StateDep, TranslatorDep, note
from backend.errors import LanguagePair, check_pair, check_text

router = APIRouter(tags=["libretranslate"])

LANGUAGE_NAMES = {"de": "German", "en": "English", "fr": "French", "es": "Spanish", "it": "Italian"}
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class LibreTranslateRequest(BaseModel):
    """LibreTranslate's /translate parameters (api_key and alternatives are accepted, unused)."""

    q: str | list[str]
    source: str = "auto"
    target: str = "en"
    format: Literal["text"] = "text"
    api_key: str | None = None
    alternatives: Annotated[int, Field(ge=0)] = 0


_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": LibreTranslateRequest.model_json_schema()},
            "application/x-www-form-urlencoded": {
                "schema": LibreTranslateRequest.model_json_schema()
            },
        },
    }
}


async def _parse(request: Request) -> LibreTranslateRequest:
    """Read the parameters from a JSON body or a form, as LibreTranslate does."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith(_FORM_TYPES):
            form = await request.form()
            values = [v for v in form.getlist("q") if isinstance(v, str)]
            data: Any = {k: v for k, v in form.items() if k != "q"}
            if values:
                data["q"] = values[0] if len(values) == 1 else values
        else:
            data = await request.json()
        return LibreTranslateRequest.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(error.errors(include_input=False)) from None
    except ValueError:
        loc = ("body",)
        raise RequestValidationError(
            [{"loc": loc, "msg": "body is not valid JSON", "type": "json_invalid"}]
        ) from None


@router.post("/translate", openapi_extra=_BODY_DOC)
async def translate(
    request: Request, state: StateDep, translator: TranslatorDep, request_id: RequestIdDep
) -> dict[str, Any]:
    """Translate q (a string or a list of strings), LibreTranslate-style."""
    body = await _parse(request)
    texts = [body.q] if isinstance(body.q, str) else body.q
    chars = sum(map(len, texts))
    note(request, text_chars=chars, texts=len(texts))
    check_text(chars, state.settings.max_text_chars)
    source = state.settings.source_language if body.source == "auto" else body.source
    check_pair(LanguagePair(source, body.target), state.supported_pairs)
    # Submitted together, the texts share the scheduler's batches (one request, one id).
    results = await asyncio.gather(*(translator.translate(t, request_id=request_id) for t in texts))
    segments = sum(result.segments for result in results)
    state.metrics.segments.labels("libretranslate").inc(segments)
    note(request, segments=segments)
    translated = [result.translation for result in results]
    answer: dict[str, Any] = {
        "translatedText": translated[0] if isinstance(body.q, str) else translated
    }
    if body.source == "auto":
        detected = {"confidence": 100.0, "language": source}
        answer["detectedLanguage"] = (
            detected if isinstance(body.q, str) else [detected] * len(texts)
        )
    return answer


@router.get("/languages")
async def languages(state: StateDep) -> list[dict[str, Any]]:
    """List the languages and their targets, LibreTranslate-style."""
    targets: dict[str, list[str]] = {}
    for pair in state.supported_pairs:
        targets.setdefault(pair.source, []).append(pair.target)
        targets.setdefault(pair.target, [])
    return [
        {"code": code, "name": LANGUAGE_NAMES.get(code, code), "targets": sorted(codes)}
        for code, codes in targets.items()
    ]
