"""Summaries: an English text in, a few sentences and its key points out (SUMMARY_MODEL)."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from backend.api.deps import RequestIdDep, note
from backend.errors import check_text
from backend.summary_service import SummaryState

router = APIRouter(prefix="/v1", tags=["summaries"])


def get_summaries(request: Request) -> SummaryState:
    """Return the summary state the app factory attached to the app."""
    return request.app.state.summaries


SummariesDep = Annotated[SummaryState, Depends(get_summaries)]


class SummariseRequest(BaseModel):
    """An English text of any length (up to MAX_TEXT_CHARS)."""

    text: str = Field(description="English plain text; paragraphs separated by blank lines")


class SummariseResponse(BaseModel):
    """The summary of the text."""

    summary: str = Field(description="A few sentences")
    key_points: list[str] = Field(description="One point per part of the text, in order")
    chunks: int = Field(description="Parts the text was summarised in")
    model: str
    duration_ms: float


class SummaryStatus(BaseModel):
    """Whether this service makes summaries."""

    enabled: bool
    ready: bool
    model: str


@router.get("/summarise")
async def summary_status(summaries: SummariesDep) -> SummaryStatus:
    """Say whether summaries are switched on (SUMMARY_MODEL) and the model is loaded."""
    return SummaryStatus(
        enabled=summaries.enabled,
        ready=summaries.summariser is not None,
        model=summaries.settings.summary_model,
    )


@router.post(
    "/summarise",
    responses={
        404: {"description": "Summaries are switched off (SUMMARY_MODEL is empty)"},
        413: {"description": "Text longer than MAX_TEXT_CHARS"},
        503: {"description": "The summary model is not loaded yet"},
    },
)
async def summarise(
    body: SummariseRequest, request: Request, summaries: SummariesDep, request_id: RequestIdDep
) -> SummariseResponse:
    """Summarise an English text: a few sentences and up to SUMMARY_MAX_POINTS key points."""
    started = time.perf_counter()
    summariser = summaries.ready_summariser()
    note(request, text_chars=len(body.text))
    check_text(len(body.text), summaries.settings.max_text_chars)
    result = await summariser.summarise(body.text, request_id=request_id)
    note(request, chunks=result.chunks)
    return SummariseResponse(
        summary=result.summary,
        key_points=list(result.key_points),
        chunks=result.chunks,
        model=summaries.settings.summary_model,
        duration_ms=round((time.perf_counter() - started) * 1000, 1),
    )
