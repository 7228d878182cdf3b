"""LibreTranslate 1.9.6's informational endpoints: /frontend/settings, /health, /spec, /suggest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from backend.api.deps import StateDep
from backend.api.errors import LibreTranslateError
from backend.api.routes.libretranslate import LANGUAGE_NAMES, LtStateDep
from backend.documents.detect import EXTENSIONS

router = APIRouter(tags=["libretranslate"])

#: LibreTranslate's default FRONTEND_TIMEOUT (ms): how long its web page waits after typing.
FRONTEND_TIMEOUT_MS = 500


@router.get("/frontend/settings")
async def frontend_settings(state: StateDep, lt: LtStateDep) -> dict[str, Any]:
    """Describe this server as LibreTranslate's web page and clients expect."""
    settings = state.settings
    target = settings.target_language
    return {
        "charLimit": settings.max_text_chars,
        "frontendTimeout": FRONTEND_TIMEOUT_MS,
        "apiKeys": lt.api_keys.enabled,
        "keyRequired": lt.api_keys.enabled and lt.api_keys.required,
        "suggestions": False,
        "filesTranslation": True,
        # LibreTranslate lists the extensions /translate_file takes, dot included.
        "supportedFilesFormat": sorted(EXTENSIONS),
        "language": {
            "source": {"code": "auto", "name": "Auto Detect"},
            "target": {"code": target, "name": LANGUAGE_NAMES.get(target, target)},
        },
    }


@router.get("/health")
async def health() -> dict[str, str]:
    """Answer while the process serves, as LibreTranslate's /health does."""
    return {"status": "ok"}


@router.get("/spec")
async def spec(request: Request) -> JSONResponse:
    """Return the API description (OpenAPI 3.1; LibreTranslate serves Swagger 2.0 here)."""
    return JSONResponse(request.app.openapi())


@router.post("/suggest")
async def suggest() -> None:
    """Refuse suggestions, as LibreTranslate does unless started with --suggestions."""
    raise LibreTranslateError(403, "Suggestions are disabled on this server.")
