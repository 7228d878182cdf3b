"""The FastAPI app factory: settings, metrics and the service are built here, never at import."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route

from backend import __doc__ as package_doc
from backend.api.api_keys import ApiKeys
from backend.api.docs import DOC_PATHS, install_docs
from backend.api.errors import install_error_handlers
from backend.api.limits import BodyLimitMiddleware, max_body_bytes
from backend.api.middleware import RequestLogMiddleware
from backend.api.routes import (
    documents,
    files,
    health,
    libretranslate,
    libretranslate_meta,
    summarise,
    translate,
)
from backend.config import Settings
from backend.engines.loader import load_engine
from backend.file_store import FileStore
from backend.language_id import LanguageIdentifier
from backend.metrics import Metrics
from backend.service import BackendState, EngineFactory
from backend.summary_engine import load_summary_engine
from backend.summary_service import SummaryEngineFactory, SummaryState


def create_app(
    settings: Settings | None = None,
    *,
    engine_factory: EngineFactory = load_engine,
    on_fatal: Callable[[], None] | None = None,
    summary_engine_factory: SummaryEngineFactory = load_summary_engine,
) -> FastAPI:
    """Build the backend app; its lifespan loads the model in the background and closes all."""
    settings = settings if settings is not None else Settings.from_env()
    metrics = Metrics(CollectorRegistry(auto_describe=True))
    state = BackendState(settings, metrics, engine_factory, on_fatal=on_fatal)
    summaries = SummaryState(settings, summary_engine_factory, on_fatal=on_fatal)
    identifier = LanguageIdentifier([settings.source_language, settings.target_language])
    api_keys = ApiKeys.from_file(settings.api_keys_file, required=settings.api_keys_required)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.start()
        summaries.start(after=state.loaded())
        # The language model takes ~0.6 s to load: do it now, off the loop, not on first use.
        loading = asyncio.create_task(asyncio.to_thread(identifier.load))
        try:
            yield
        finally:
            await asyncio.gather(loading, return_exceptions=True)
            await summaries.aclose()
            await state.aclose()

    app = FastAPI(
        title="Unlimited Translation backend",
        description=(package_doc or "").strip(),
        version="1.0.0",
        lifespan=lifespan,
        docs_url=None,  # install_docs serves both pages without a CDN
        redoc_url=None,
    )
    app.state.backend = state
    app.state.summaries = summaries
    app.state.files = FileStore(
        retention_s=settings.file_retention_s, max_bytes=settings.file_store_bytes
    )
    app.state.libretranslate = libretranslate.LibreTranslateState(identifier, api_keys)
    install_error_handlers(app)
    install_docs(app)
    routers = (
        translate.router,
        libretranslate.router,
        libretranslate_meta.router,
        summarise.router,
        documents.router,
        files.router,
        health.router,
    )
    for router in routers:
        app.include_router(router)
    # Metrics label requests by route; any other path (scanners, typos) is "other".
    paths = {
        route.path for router in routers for route in router.routes if isinstance(route, Route)
    } | set(DOC_PATHS)
    _install_cors(app, settings.cors_origins)
    # Added last, so outermost: CORS answers (preflights too) carry X-Request-ID as well.
    app.add_middleware(
        RequestLogMiddleware, metrics=metrics, replica=settings.replica_name, routes=lambda: paths
    )
    # Outermost: a body too large for any valid text is refused before anything reads it.
    app.add_middleware(
        BodyLimitMiddleware,
        max_body_bytes=max_body_bytes(settings.max_text_chars),
        max_file_bytes=settings.max_file_bytes,
    )
    return app


def _install_cors(app: FastAPI, origins_setting: str) -> None:
    """Allow browsers on other origins (extensions, web apps) to call the API, as LibreTranslate
    does (it sends Access-Control-Allow-Origin: * on every answer)."""
    origins = [origin.strip() for origin in origins_setting.split(",") if origin.strip()]
    if not origins:
        return
    app.add_middleware(
        CORSMiddleware,
        allow_origins=origins,
        allow_methods=["GET", "POST"],
        allow_headers=["*"],
        expose_headers=["X-Request-ID", "X-Backend-Replica"],
        max_age=20 * 24 * 3600,  # LibreTranslate's 20 days
    )
