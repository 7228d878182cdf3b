"""Operations endpoints: liveness, readiness (database reachable) and Prometheus metrics."""

from __future__ import annotations

import asyncio
import logging

from quart import Blueprint, Response

from frontend.metrics import CONTENT_TYPE
from frontend.state import app_state
from frontend.storage.errors import StorageError

log = logging.getLogger(__name__)
blueprint = Blueprint("ops", __name__)

READY_CHECK_S = 2.0


@blueprint.get("/healthz")
async def healthz() -> dict:
    """Answer while the process is alive."""
    return {"status": "ok"}


@blueprint.get("/readyz")
async def readyz() -> tuple[dict, int]:
    """Answer 200 when the database is reachable, 503 otherwise."""
    resources = app_state().resources
    if resources is None:
        return {"status": "starting"}, 503
    try:
        async with asyncio.timeout(READY_CHECK_S):
            await resources.repository.ping()
    except (StorageError, TimeoutError):
        log.warning("readiness check failed: database unreachable")
        return {"status": "database unreachable"}, 503
    return {"status": "ready"}, 200


@blueprint.get("/metrics")
async def metrics() -> Response:
    """Expose the Prometheus metrics."""
    state = app_state()
    if state.resources is not None:
        state.metrics.pending_saves.set(state.resources.pending.pending_count)
    return Response(state.metrics.render(), content_type=CONTENT_TYPE)
