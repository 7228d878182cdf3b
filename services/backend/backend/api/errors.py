"""Map domain errors to JSON responses; nothing ever leaves as a 500 with a trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from backend.engines.base import EngineError
from backend.errors import NotReady, ServiceError, UnsupportedPair

logger = logging.getLogger(__name__)

#: LibreTranslate clients read {"error": ...}; our own API speaks FastAPI's {"detail": ...}.
LIBRETRANSLATE_PATHS = frozenset({"/translate", "/languages", "/translate_file"})
LIBRETRANSLATE_PREFIXES = ("/download_file/",)


def _libretranslate(path: str) -> bool:
    return path in LIBRETRANSLATE_PATHS or path.startswith(LIBRETRANSLATE_PREFIXES)


def error_response(request: Request, status: int, message: str, **extra: object) -> JSONResponse:
    """Return a JSON error in the dialect of the endpoint that was called."""
    key = "error" if _libretranslate(request.url.path) else "detail"
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse({key: message, **extra}, status_code=status, headers=headers)


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    extra: dict[str, object] = {}
    if isinstance(error, UnsupportedPair):
        extra["supported"] = [{"source": p.source, "target": p.target} for p in error.supported]
    return error_response(request, error.status_code, str(error), **extra)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    # Only locations and messages: echoing "input" back would repeat the user's text.
    problems = [
        {
            "loc": list(problem.get("loc", ())),
            "msg": problem.get("msg", ""),
            "type": problem.get("type", ""),
        }
        for problem in error.errors()
    ]
    message = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems)
    if _libretranslate(request.url.path):
        return JSONResponse({"error": f"Invalid request: {message}"}, status_code=422)
    return JSONResponse({"detail": problems}, status_code=422)


async def _engine_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("engine error: %s", error, exc_info=error)
    return error_response(request, 500, "the translation engine failed; retry later")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error", exc_info=error)
    return error_response(request, 500, "internal error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on app."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(NotReady, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(Exception, _unexpected)
