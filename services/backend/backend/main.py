"""The FastAPI app factory: settings, metrics and the service are built here, never at import."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

from backend import __doc__ as package_doc
from backend.api.docs import DOC_PATHS, install_docs
from backend.api.errors import install_error_handlers
from backend.api.limits import BodyLimitMiddleware, max_body_bytes
from backend.api.middleware import RequestLogMiddleware
from backend.api.routes import health, libretranslate, translate
from backend.config import Settings
from backend.engines.loader import load_engine
from backend.metrics import Metrics
from backend.service import BackendState, EngineFactory


def create_app(
    settings: Settings | None = None,
    *,
    engine_factory: EngineFactory = load_engine,
    on_fatal: Callable[[], None] | None = None,
) -> FastAPI:
    """Build the backend app; its lifespan loads the model in the background and closes all."""
    settings = settings or Settings()
    metrics = Metrics(CollectorRegistry(auto_describe=True))
    state = BackendState(settings, metrics, engine_factory, on_fatal=on_fatal)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state.start()
        try:
            yield
        finally:
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
    install_error_handlers(app)
    install_docs(app)
    routers = (translate.router, libretranslate.router, health.router)
    for router in routers:
        app.include_router(router)
    # Metrics label requests by route; any other path (scanners, typos) is "other".
    paths = {route.path for router in routers for route in router.routes} | set(DOC_PATHS)
    app.add_middleware(
        RequestLogMiddleware, metrics=metrics, replica=settings.replica_name, routes=lambda: paths
    )
    # Outermost: a body too large for any valid text is refused before anything reads it.
    app.add_middleware(BodyLimitMiddleware, max_body_bytes=max_body_bytes(settings.max_text_chars))
    return app
