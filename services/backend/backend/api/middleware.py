"""One JSON log line and one latency observation per request; request id and replica headers.

A pure ASGI middleware (not BaseHTTPMiddleware) so streamed responses pass through untouched and
the latency covers the response's last byte.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.metrics import Metrics

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
REPLICA_HEADER = b"x-backend-replica"
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
#: Client-given ids are echoed back and logged, so only harmless ones are accepted.
_SAFE_ID = re.compile(rb"^[A-Za-z0-9._:/+=-]{1,128}$")


def request_id_from(scope: Scope) -> str:
    """Return the client's X-Request-ID when it is safe to log, else a new random id."""
    for name, value in scope.get("headers", ()):
        if name == REQUEST_ID_HEADER and _SAFE_ID.match(value):
            return value.decode()
    return uuid.uuid4().hex


class RequestLogMiddleware:
    """Log each HTTP request once (id, route, status, sizes, duration) and time it."""

    def __init__(
        self, app: ASGIApp, *, metrics: Metrics, replica: str, routes: Callable[[], set[str]]
    ) -> None:
        self.app = app
        self.metrics = metrics
        self.replica = replica.encode()
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = request_id_from(scope)
        scope.setdefault("state", {}).update(request_id=request_id, log_fields={})
        sizes = {"request_bytes": 0, "response_bytes": 0}
        status = 500

        async def counting_receive() -> Message:
            message = await receive()
            sizes["request_bytes"] += len(message.get("body", b""))
            return message

        async def tagging_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", ()))
                headers += [
                    (REQUEST_ID_HEADER, request_id.encode()),
                    (REPLICA_HEADER, self.replica),
                ]
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body":
                sizes["response_bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagging_send)
        finally:
            duration_s = time.perf_counter() - started
            path = scope["path"]
            route = path if path in self.routes() else "other"
            self.metrics.observe_request(scope["method"], route, status, duration_s)
            # Health checks and scrapes arrive every few seconds: keep them out of INFO.
            quiet = route in QUIET_ROUTES and status < 400
            logger.log(
                logging.DEBUG if quiet else logging.INFO,
                "%s %s %d",
                scope["method"],
                route,
                status,
                extra={
                    "request_id": request_id,
                    "method": scope["method"],
                    "route": route,
                    "status": status,
                    "duration_ms": round(duration_s * 1000, 1),
                    **sizes,
                    **scope["state"].get("log_fields", {}),
                },
            )
