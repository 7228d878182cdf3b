"""Operations endpoints: liveness, readiness (not draining, database reachable) and metrics."""

from __future__ import annotations

import asyncio
import logging

from quart import Blueprint, Response, request

from frontend.metrics import CONTENT_TYPE
from frontend.state import app_state
from frontend.storage.errors import StorageError
from frontend.uploads import file_too_large

log = logging.getLogger(__name__)
blueprint = Blueprint("ops", __name__)

READY_CHECK_S = 2.0


@blueprint.get("/healthz")
async def healthz() -> dict:
    """Answer while the process is alive."""
    return {"status": "ok"}


@blueprint.get("/readyz")
async def readyz() -> tuple[dict, int]:
    """Answer 200 when serving and the database is reachable (unless excluded), 503 otherwise."""
    state = app_state()
    resources = state.resources
    if state.draining:
        return {"status": "draining"}, 503
    if resources is None:
        return {"status": "starting"}, 503
    # Traefik asks /readyz?exclude=database (as kube-apiserver's /readyz?exclude=<check>): a
    # database outage hits every replica at once, and pages keep translating without it.
    if "database" in request.args.getlist("exclude"):
        return {"status": "ready"}, 200
    try:
        async with asyncio.timeout(READY_CHECK_S):
            await resources.repository.ping()
    except (StorageError, TimeoutError):
        log.warning("readiness check failed: database unreachable")
        return {"status": "database unreachable"}, 503
    return {"status": "ready"}, 200


@blueprint.route("/errors/429", methods=["GET", "POST", "HEAD"])
async def too_many_requests() -> tuple[dict, int, dict[str, str]]:
    """Answer Traefik's rate limit refusals in JSON (its errors middleware asks here)."""
    # Traefik's buckets refill every 1/average s (20/s): one second is always enough to wait.
    message = "Too many requests from your address. Try again in 1 s."
    return {"error": message}, 429, {"Retry-After": "1", "Cache-Control": "no-store"}


@blueprint.route("/errors/413", methods=["GET", "POST", "HEAD"])
async def file_too_large_page() -> tuple[dict, int, dict[str, str]]:
    """Answer Traefik's refusal of a streamed upload's Content-Length in JSON, with the limit.

    Traefik refuses those itself (traefik/dynamic/middlewares.yml, file-over-limit): its proxy
    writes the whole request before it reads the answer, so a service's early 413 would not
    reach the client.
    """
    message = file_too_large(app_state().settings.max_file_bytes)
    return {"error": message}, 413, {"Cache-Control": "no-store"}


@blueprint.get("/metrics")
async def metrics() -> Response:
    """Expose the Prometheus metrics."""
    state = app_state()
    if state.resources is not None:
        state.metrics.pending_saves.set(state.resources.pending.pending_count)
    return Response(state.metrics.render(), content_type=CONTENT_TYPE)
