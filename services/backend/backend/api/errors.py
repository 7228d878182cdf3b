"""Map errors to JSON responses in each API's dialect; nothing ever leaves as a trace.

The LibreTranslate API speaks LibreTranslate's ``{"error": ...}`` with its status codes (400 for
any invalid or oversized request); the native API (/v1, operations, docs) speaks FastAPI's
``{"detail": ...}``. Every path that is not native is answered as LibreTranslate, 404s included.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from backend.engines.base import EngineError
from backend.errors import NotReady, ServiceError, UnsupportedPair

logger = logging.getLogger(__name__)

NATIVE_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/openapi.json"})
NATIVE_PREFIXES = ("/v1/", "/docs/", "/docs-assets/")
#: LibreTranslate answers every refused request with 400; its clients map only 400 to "bad
#: request" (and 403, 429), anything else to a generic failure.
LIBRETRANSLATE_STATUS = {413: 400, 422: 400}


class LibreTranslateError(Exception):
    """A LibreTranslate request refused with LibreTranslate's status code and message."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def is_libretranslate(request: Request) -> bool:
    """Tell whether the request is for the LibreTranslate API (any non-native path)."""
    path = request.url.path
    return not (path in NATIVE_PATHS or path.startswith(NATIVE_PREFIXES))


def error_response(
    request: Request,
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    /,
    **extra: object,
) -> JSONResponse:
    """Return a JSON error in the dialect of the endpoint that was called."""
    headers = dict(headers or {})
    if status == 503:
        headers.setdefault("Retry-After", "5")
    if is_libretranslate(request):
        status = LIBRETRANSLATE_STATUS.get(status, status)
        return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)
    return JSONResponse({"detail": message, **extra}, status_code=status, headers=headers)


async def _libretranslate_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, LibreTranslateError)
    return JSONResponse({"error": error.message}, status_code=error.status_code)


async def _service_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ServiceError)
    extra: dict[str, object] = {}
    if isinstance(error, UnsupportedPair):
        extra["supported"] = [{"source": p.source, "target": p.target} for p in error.supported]
    return error_response(request, error.status_code, str(error), **extra)


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    return error_response(request, error.status_code, str(error.detail), error.headers)


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
    if is_libretranslate(request):
        message = "; ".join(f"{'.'.join(map(str, p['loc']))}: {p['msg']}" for p in problems)
        return JSONResponse({"error": f"Invalid request: {message}"}, status_code=400)
    return JSONResponse({"detail": problems}, status_code=422)


async def _engine_error(request: Request, error: Exception) -> JSONResponse:
    logger.error("engine error: %s", error, exc_info=error)
    return error_response(request, 500, "the translation engine failed; retry later")


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unhandled error", exc_info=error)
    return _with_request_id(request, error_response(request, 500, "internal error"))


def _with_request_id(request: Request, response: JSONResponse) -> JSONResponse:
    # Unhandled errors are answered by Starlette's outermost middleware, outside the request-log
    # middleware that tags every other response: tag this one here.
    request_id = getattr(request.state, "request_id", None)
    if request_id and "x-request-id" not in response.headers:
        response.headers["X-Request-ID"] = request_id
    return response


def install_error_handlers(app: FastAPI) -> None:
    """Register the JSON error handlers on app."""
    app.add_exception_handler(LibreTranslateError, _libretranslate_error)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(NotReady, _service_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(EngineError, _engine_error)
    app.add_exception_handler(Exception, _unexpected)
