"""Ask the backend's summary model for an English summary of a translated article."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

SUMMARISE_PATH = "/v1/summarise"
#: How long the backend's answer to "are summaries on?" is trusted.
STATUS_TTL_S = 30.0


class SummaryUnavailable(Exception):
    """No summary could be made; the message is safe to show."""


@dataclass(frozen=True)
class Summary:
    """A few sentences and the key points, in English."""

    summary: str
    key_points: tuple[str, ...]
    chunks: int


class SummaryClient:
    """Call the backend's /v1/summarise through the shared backend HTTP client."""

    def __init__(self, http: httpx.AsyncClient, *, clock: Callable[[], float] = time.monotonic):
        self._http = http
        self._clock = clock
        self._enabled: tuple[float, bool] | None = None

    async def enabled(self) -> bool:
        """Tell whether the backend serves summaries (SUMMARY_MODEL set); cached briefly."""
        now = self._clock()
        if self._enabled is not None and now - self._enabled[0] < STATUS_TTL_S:
            return self._enabled[1]
        try:
            response = await self._http.get(SUMMARISE_PATH)
            enabled = response.status_code == httpx.codes.OK and bool(
                response.json().get("enabled")
            )
        except (httpx.HTTPError, ValueError, AttributeError):
            return False  # unknown: not cached, asked again next time
        self._enabled = (now, enabled)
        return enabled

    async def summarise(self, text: str, *, request_id: str) -> Summary:
        """Return the summary of the English `text`; raise SummaryUnavailable if none is made."""
        try:
            response = await self._http.post(
                SUMMARISE_PATH, json={"text": text}, headers={"X-Request-ID": request_id}
            )
        except httpx.HTTPError:
            raise SummaryUnavailable("The summary service cannot be reached.") from None
        if response.status_code != httpx.codes.OK:
            log.warning("summary failed: backend status=%d", response.status_code)
            raise SummaryUnavailable(
                f"The summary could not be made (HTTP {response.status_code})."
            )
        try:
            body = response.json()
            return Summary(
                summary=str(body["summary"]),
                key_points=tuple(str(point) for point in body["key_points"]),
                chunks=int(body["chunks"]),
            )
        except (ValueError, KeyError, TypeError):
            raise SummaryUnavailable("The summary service sent a malformed answer.") from None
