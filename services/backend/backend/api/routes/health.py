"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from backend.api.deps import StateDep

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Answer as long as the process serves HTTP (the model may still be loading)."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Loading, failed, or shutting down"}})
async def readyz(state: StateDep, request: Request) -> JSONResponse:
    """Answer 200 once the model is loaded and translating, 503 before and while draining."""
    summaries = request.app.state.summaries
    if state.draining:
        body = {"status": "draining", "detail": "this replica is shutting down"}
        return JSONResponse(body, status_code=503)
    if state.engine is None or state.translator is None:
        status = "failed" if state.load_error else "loading"
        body = {"status": status, "detail": state.load_error or "the model is still loading"}
        return JSONResponse(body, status_code=503, headers={"Retry-After": "5"})
    if summaries.enabled and summaries.summariser is None:
        # SUMMARY_MODEL is set: a replica that cannot summarise yet gets no traffic either.
        status = "failed" if summaries.load_error else "loading"
        detail = summaries.load_error or "the summary model is still loading"
        return JSONResponse(
            {"status": status, "detail": detail}, status_code=503, headers={"Retry-After": "5"}
        )
    engine = state.engine
    return JSONResponse({"status": "ready", "model": engine.model, "engine": engine.name})


@router.get("/metrics", response_class=Response)
async def metrics(state: StateDep) -> Response:
    """Expose the Prometheus metrics of this replica."""
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
