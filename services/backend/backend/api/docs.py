"""The OpenAPI page (/docs), served with Swagger UI's files from this service's own files.

FastAPI's default pages load Swagger UI and ReDoc from a CDN, which leaves them blank on an
offline node; ReDoc's bundle still fetches its logo from one, so only Swagger UI is served.
Every URL here is relative, so the page also works behind Traefik's /api prefix (/api/docs
loads /api/openapi.json, not the frontend's /openapi.json).
"""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

#: Where the Swagger UI files are served (fastapi-offline ships them; MIT licensed).
ASSETS_PATH = "/docs-assets"
DOC_PATHS = ("/docs",)


def install_docs(app: FastAPI) -> None:
    """Serve /docs (Swagger UI) and its assets; build the app with docs_url and redoc_url None."""
    assets = files("fastapi_offline") / "static"
    app.mount(ASSETS_PATH, StaticFiles(directory=str(assets)), name="docs-assets")
    asset = ASSETS_PATH.lstrip("/")
    openapi = (app.openapi_url or "/openapi.json").lstrip("/")
    # The endpoint closes over strings only, never the app: FastAPI keeps every endpoint it
    # classified in a process-wide cache (4,096 entries), and an app held there is never freed.
    title = f"{app.title} — API"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=openapi,
            title=title,
            swagger_js_url=f"{asset}/swagger-ui-bundle.js",
            swagger_css_url=f"{asset}/swagger-ui.css",
            swagger_favicon_url=f"{asset}/favicon.png",
        )
