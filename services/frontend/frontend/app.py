"""The Quart application factory: settings, blueprints, security headers, lifespan."""

from __future__ import annotations

import logging
import re
import time
import uuid
from datetime import timedelta

from quart import Quart, Response, g, request

from frontend import access, csrf, uploads
from frontend.config import Settings
from frontend.errors import register_error_handlers
from frontend.logging_setup import request_id_var
from frontend.metrics import Metrics
from frontend.resources import open_resources
from frontend.state import EXTENSION_KEY, AppState

log = logging.getLogger(__name__)

# Everything the pages load comes from this origin; no inline script or style is needed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
# A request id from upstream (Traefik, a client) is kept only if it looks like one.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def create_app(config: Settings | None = None) -> Quart:
    """Build a frontend app from `config` (default: the environment); open nothing yet."""
    settings = config if config is not None else Settings.from_env()
    app = Quart(__name__)
    from frontend.blueprints.documents import UPLOAD_PATHS

    # Document uploads may be as large as MAX_FILE_BYTES (plus the form); every other route,
    # the streamed one included, gets the text's body limit. Either way Quart refuses a larger
    # Content-Length up front and counts a chunked body as it arrives (413 once past the limit).
    app.request_class = uploads.request_class(UPLOAD_PATHS, settings.max_upload_bytes)
    max_body = settings.max_body_bytes
    app.config.update(
        SECRET_KEY=settings.secret_key.get(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        PERMANENT_SESSION_LIFETIME=timedelta(days=1),
        MAX_CONTENT_LENGTH=max_body,
        MAX_FORM_MEMORY_SIZE=max_body,
        # A long document streams for minutes; the backend read timeout bounds each wait instead.
        RESPONSE_TIMEOUT=None,
        BODY_TIMEOUT=120,
    )
    app.jinja_env.autoescape = True
    app.jinja_env.globals["csrf_token"] = csrf.csrf_token
    state = AppState(settings=settings, metrics=Metrics())
    app.extensions[EXTENSION_KEY] = state

    _register_blueprints(app)
    register_error_handlers(app)
    _register_request_hooks(app, state)

    @app.before_serving
    async def _open() -> None:
        state.gate = access.Gate.from_settings(settings)
        state.resources = await open_resources(settings)
        log.info("frontend serving, backend=%s", settings.backend_url)

    @app.after_serving
    async def _close() -> None:
        if state.resources is not None:
            await state.resources.close()
            state.resources = None
        log.info("frontend stopped")

    return app


def _register_blueprints(app: Quart) -> None:
    from frontend.blueprints import articles, documents, history, ops, query, translate

    for module in (translate, history, query, ops, articles, documents):
        app.register_blueprint(module.blueprint)


def _register_request_hooks(app: Quart, state: AppState) -> None:
    @app.before_request
    async def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        request_id_var.set(g.request_id)
        g.started_s = time.monotonic()
        # The login comes first: an anonymous request learns nothing, not even a CSRF refusal.
        await access.guard()
        await csrf.require_csrf()

    @app.after_request
    async def _finish(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        access.finish(response)
        request_id = getattr(g, "request_id", "")
        if request_id:
            response.headers["X-Request-ID"] = request_id
        endpoint = request.endpoint or "unmatched"
        elapsed_s = time.monotonic() - getattr(g, "started_s", time.monotonic())
        state.metrics.requests.labels(endpoint, str(response.status_code)).inc()
        state.metrics.request_seconds.labels(endpoint).observe(elapsed_s)
        log.info(
            "request",
            extra={
                "method": request.method,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(elapsed_s * 1000, 1),
            },
        )
        return response
