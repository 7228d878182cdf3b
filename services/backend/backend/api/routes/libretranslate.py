"""LibreTranslate 1.9.6's translation endpoints, so its clients work unchanged: /translate,
/detect, /languages.

Parameters come from a JSON body, or from the query string and the form (api/lt_params.py);
errors are ``{"error": ...}`` with LibreTranslate's codes and messages. docs/libretranslate.md
has the endpoint-by-endpoint comparison.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from backend.alternatives import alternatives
from backend.api.api_keys import ApiKeys
from backend.api.deps import RequestIdDep, StateDep, note
from backend.api.errors import LibreTranslateError
from backend.api.lt_params import read_params
from backend.api.lt_request import (
    TranslateJob,
    check_format,
    check_unicode,
    echo,
    missing,
    translate_job,
)
from backend.api.lt_work import translate_texts
from backend.engines.base import EngineError
from backend.language_id import Detection, LanguageIdentifier, is_translatable
from backend.service import BackendState

router = APIRouter(tags=["libretranslate"])

LANGUAGE_NAMES = {"de": "German", "en": "English", "fr": "French", "es": "Spanish", "it": "Italian"}
#: Texts longer than this are identified in a worker thread.
OFFLOAD_DETECT_CHARS = 2048
_FORM_DOC: dict[str, Any] = {
    "requestBody": {
        "content": {
            media: {"schema": {"type": "object", "additionalProperties": True}}
            for media in (
                "application/json",
                "application/x-www-form-urlencoded",
                "multipart/form-data",
            )
        }
    }
}


@dataclass(frozen=True)
class LibreTranslateState:
    """What the LibreTranslate endpoints need besides the translator."""

    identifier: LanguageIdentifier
    api_keys: ApiKeys


def get_lt_state(request: Request) -> LibreTranslateState:
    """Return the LibreTranslate state the app factory attached to the app."""
    return request.app.state.libretranslate


LtStateDep = Annotated[LibreTranslateState, Depends(get_lt_state)]


def language_targets(state: BackendState) -> dict[str, list[str]]:
    """Return each language's targets; every language translates to itself, as in Argos."""
    targets: dict[str, set[str]] = {}
    for pair in state.supported_pairs:
        targets.setdefault(pair.source, {pair.source}).add(pair.target)
        targets.setdefault(pair.target, {pair.target})
    return {code: sorted(codes) for code, codes in targets.items()}


def _name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


async def _detect(identifier: LanguageIdentifier, texts: list[str]) -> list[Detection]:
    if sum(map(len, texts)) > OFFLOAD_DETECT_CHARS:
        return await asyncio.to_thread(identifier.detect_all, texts)
    return identifier.detect_all(texts)


def _detected(detection: Detection) -> dict[str, Any]:
    return {"confidence": detection.confidence, "language": detection.language}


async def _source_language(
    job: TranslateJob, lt: LibreTranslateState
) -> tuple[str, dict[str, Any] | None]:
    """Return the source language to translate from and, for auto, what was detected."""
    if not is_translatable("".join(job.texts)):
        return "en", {"confidence": 0.0, "language": "en"}
    if job.source != "auto":
        return job.source, None
    detection = (await _detect(lt.identifier, job.texts))[0]
    return detection.language, _detected(detection)


def _check_pair(source: str, target: str, targets: dict[str, list[str]]) -> None:
    if source not in targets:
        raise LibreTranslateError(400, f"{echo(source)} is not supported")
    if target not in targets:
        raise LibreTranslateError(400, f"{echo(target)} is not supported")


def _check_available(source: str, target: str, targets: dict[str, list[str]]) -> None:
    if target not in targets[source]:
        raise LibreTranslateError(
            400,
            f"{_name(target)} ({target}) is not available as a target language from "
            f"{_name(source)} ({source})",
        )


@router.post("/translate", openapi_extra=_FORM_DOC, response_class=JSONResponse)
async def translate(
    request: Request, state: StateDep, lt: LtStateDep, request_id: RequestIdDep
) -> JSONResponse:
    """Translate q (a string or a list of strings), LibreTranslate-style."""
    params = await read_params(request, state.settings)
    lt.api_keys.check(params)
    job = translate_job(params, state.settings)
    note(request, text_chars=sum(map(len, job.texts)), texts=len(job.texts))
    source, detected = await _source_language(job, lt)
    targets = language_targets(state)
    _check_pair(source, job.target, targets)
    check_format(job.format)
    _check_available(source, job.target, targets)
    if source == job.target:
        translated = list(job.texts)  # Argos' identity translation: the text as it is
    else:
        translator = state.ready_translator()
        translated = await translate_texts(
            translator, job.texts, request_id=request_id, html=job.format == "html"
        )
    answer: dict[str, Any] = {"translatedText": translated if job.batch else translated[0]}
    if job.source == "auto":
        answer["detectedLanguage"] = [detected] * len(job.texts) if job.batch else detected
    if job.alternatives > 0:
        found = await _alternatives(state, job, translated, source)
        answer["alternatives"] = found if job.batch else found[0]
    # A JSONResponse, not a dict: FastAPI's jsonable_encoder walks 30,000 items in Python
    # (0.5 s on the event loop); the answer holds nothing but JSON types already.
    return JSONResponse(answer)


async def _alternatives(
    state: BackendState, job: TranslateJob, translated: list[str], source: str
) -> list[list[str]]:
    """Return each text's alternatives; none for HTML and the identity, as in LibreTranslate."""
    engine = state.engine
    if job.format == "html" or source == job.target or engine is None:
        return [[] for _ in job.texts]
    if not hasattr(engine, "translate_alternatives"):
        return [[] for _ in job.texts]

    def all_alternatives() -> list[list[str]]:
        return [
            alternatives(engine, text, best, job.alternatives)  # type: ignore[arg-type]
            for text, best in zip(job.texts, translated, strict=True)
        ]

    try:
        return await asyncio.to_thread(all_alternatives)
    except EngineError:
        raise LibreTranslateError(500, "Cannot translate text: the engine failed") from None


@router.post("/detect", openapi_extra=_FORM_DOC)
async def detect(request: Request, state: StateDep, lt: LtStateDep) -> list[dict[str, Any]]:
    """Detect the language of q (a string, or a JSON list judged together)."""
    params = await read_params(request, state.settings)
    lt.api_keys.check(params)
    check_unicode(params)
    q = params.texts("q")
    if not q:
        raise missing("q")
    texts = [q] if isinstance(q, str) else q
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        raise LibreTranslateError(
            400, "Invalid request: q parameter must be a string or a list of strings"
        )
    note(request, text_chars=sum(map(len, texts)), texts=len(texts))
    return [_detected(detection) for detection in await _detect(lt.identifier, texts)]


@router.get("/languages")
@router.post("/languages", operation_id="languages_post", include_in_schema=False)
async def languages(state: StateDep) -> list[dict[str, Any]]:
    """List the languages and their targets, LibreTranslate-style (POST too, for old clients)."""
    return [
        {"code": code, "name": _name(code), "targets": codes}
        for code, codes in language_targets(state).items()
    ]
