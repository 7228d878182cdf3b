"""The frontend's only way to the backend: a streamed NDJSON translation over httpx."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

import httpx

log = logging.getLogger(__name__)

STREAM_PATH = "/v1/translate/stream"
#: How much of a text /detect sees: its start tells the language; all of it would cost time.
DETECT_SAMPLE_CHARS = 2_000
REQUEST_ID_HEADER = "X-Request-ID"
#: Asks the backend for a blank line after this many seconds without one (backend/heartbeats.py).
HEARTBEAT_HEADER = "X-Stream-Heartbeat-S"
#: Heartbeats per idle timeout: one late or lost heartbeat does not yet count as a dead replica.
HEARTBEATS_PER_IDLE_TIMEOUT = 3
#: Seconds a stream may stay silent when BackendClient is given no idle timeout.
DEFAULT_STREAM_IDLE_TIMEOUT_S = 15.0


class BackendError(Exception):
    """The backend could not produce the translation; the message is safe to show to users."""

    #: The HTTP status the frontend answers with.
    status_code = 502
    #: Whether the same request may succeed if sent again (e.g. to another replica).
    retryable = False


class BackendUnavailable(BackendError):
    """The backend cannot be reached, times out or is not ready (503)."""

    status_code = 503
    retryable = True


class BackendAbsent(BackendUnavailable):
    """No replica took the request: none can be reached, or the proxy has none to give it.

    The proxy in front of the backends answers 404 while it has no route (no replica runs: all
    restarting at once, as Swarm does to GPU tasks after a leader change), 503 while none is
    ready, 502/504 when the one it chose is gone. Nothing was translated yet, so the request may
    be sent again as soon as a replica is back (ResumingStream waits for one, within a bound).
    """


class BackendStalled(BackendUnavailable):
    """The backend sent nothing, not even a heartbeat, for the stream's idle timeout (503).

    A replica that translates sends heartbeats; silence means its node is gone (a powered-off
    host sends no reset), so another replica may well finish the translation.
    """

    retryable = True


class BackendFailed(BackendError):
    """The backend answered with an error or a malformed stream (502)."""

    status_code = 502


class BackendBroken(BackendFailed):
    """The connection broke or the stream was cut before its done line (502)."""

    retryable = True


class BackendRejected(BackendError):
    """The backend refused the text itself (longer than its limit): the user can fix it (413)."""

    status_code = 413


@dataclass(frozen=True)
class Segment:
    """One translated segment; joining every segment's text in order gives the translation."""

    index: int
    #: Segments in the whole text; None while the backend does not know it yet.
    total: int | None
    text: str
    #: The source this segment translates (joined in order: the input); None if not sent.
    source: str | None = None


@dataclass(frozen=True)
class StreamDone:
    """The backend's last line: the stream is complete."""

    segments: int
    duration_ms: float
    model: str
    engine: str


class BackendStream:
    """One open streamed response; iterate it for Segment objects, then read `done`."""

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.done: StreamDone | None = None

    async def __aiter__(self) -> AsyncGenerator[Segment, None]:
        """Yield each segment as its line arrives; set `done` at the end or raise BackendError."""
        try:
            async for line in self._complete_lines():
                item = _parse_line(line)
                if isinstance(item, StreamDone):
                    self.done = _with_headers(item, self._response.headers)
                elif self.done is None:
                    yield item
        except httpx.TimeoutException:
            if self.done is None:
                raise BackendStalled("The translation service stopped answering.") from None
        except httpx.TransportError:
            # After the done line the translation is complete, whatever happens to the rest.
            if self.done is None:
                raise BackendBroken("The connection to the translation service broke.") from None
        finally:
            await self._response.aclose()
        if self.done is None:
            raise BackendBroken("The translation service ended the stream early.")

    async def _complete_lines(self) -> AsyncIterator[str]:
        """Yield each newline-terminated line, reading to the end of the body.

        Reading to the end (rather than closing after the done line) lets the connection finish
        cleanly and go back to the pool; an unterminated last line means the stream was cut.
        """
        tail = ""
        async for chunk in self._response.aiter_text():
            *lines, tail = (tail + chunk).split("\n")
            for line in lines:
                if line.strip():
                    yield line
        if tail.strip():
            raise BackendBroken("The translation service ended the stream mid-line.")

    async def aclose(self) -> None:
        """Close the connection; the backend sees the disconnect and cancels the rest."""
        await self._response.aclose()


class BackendClient:
    """Open streamed translations on the backend through one shared httpx.AsyncClient."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        *,
        source_lang: str,
        target_lang: str,
        stream_idle_timeout_s: float = DEFAULT_STREAM_IDLE_TIMEOUT_S,
    ) -> None:
        self._http = http
        self._source_lang = source_lang
        self._target_lang = target_lang
        # httpx's read timeout is per read, i.e. an idle timeout. The stream and the calls that
        # answer at once (/detect, /readyz) use it: a replica that stays silent that long is lost
        # (a powered-off node sends no reset), and the client's own long read timeout would
        # keep the user waiting for it. Documents keep the client's.
        self._idle_timeout = httpx.Timeout(stream_idle_timeout_s, connect=http.timeout.connect)
        self._heartbeat_s = f"{stream_idle_timeout_s / HEARTBEATS_PER_IDLE_TIMEOUT:g}"
        # Every replica serves the same model, so one answer holds for the process' lifetime.
        self._model_info: tuple[str, str] | None = None

    async def open_stream(self, text: str, *, request_id: str) -> BackendStream:
        """Start translating `text`; raise BackendError before any segment if it cannot start."""
        body = {"text": text, "source": self._source_lang, "target": self._target_lang}
        request = self._http.build_request(
            "POST",
            STREAM_PATH,
            content=_chunked(json.dumps(body).encode()),
            headers={
                REQUEST_ID_HEADER: request_id,
                HEARTBEAT_HEADER: self._heartbeat_s,
                "content-type": "application/json",
            },
            timeout=self._idle_timeout,
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TimeoutException:
            raise BackendUnavailable("The translation service did not answer in time.") from None
        except httpx.TransportError:
            raise BackendAbsent("The translation service cannot be reached.") from None
        if response.status_code != httpx.codes.OK:
            await response.aread()
            await response.aclose()
            raise _opening_error(response)
        return BackendStream(response)

    async def detect(self, text: str, *, request_id: str) -> tuple[str, float] | None:
        """Return (language, confidence 0-100) of text's start; None if it cannot be told.

        A hint only (the page's notice): any failure of the backend's /detect answers None.
        """
        try:
            response = await self._http.post(
                "/detect",
                json={"q": text[:DETECT_SAMPLE_CHARS]},
                headers={REQUEST_ID_HEADER: request_id},
                timeout=self._idle_timeout,
            )
            best = response.json()[0] if response.status_code == httpx.codes.OK else None
            return (str(best["language"]), float(best["confidence"])) if best else None
        except (httpx.HTTPError, ValueError, LookupError, TypeError):
            return None

    async def ready(self) -> bool:
        """Tell whether the backend answers its readiness probe."""
        try:
            response = await self._http.get("/readyz", timeout=self._idle_timeout)
        except httpx.HTTPError:
            return False
        return response.status_code == httpx.codes.OK

    async def model_info(self) -> tuple[str, str]:
        """Return (model, engine) from the backend's /readyz, cached once known; blanks if not."""
        if self._model_info is None:
            try:
                response = await self._http.get("/readyz", timeout=self._idle_timeout)
                body = response.json() if response.status_code == httpx.codes.OK else {}
            except (httpx.HTTPError, ValueError):
                return ("", "")
            model, engine = str(body.get("model", "")), str(body.get("engine", ""))
            if not (model and engine):
                return (model, engine)
            self._model_info = (model, engine)
        return self._model_info


#: What the proxy answers when it had no replica for the request (see BackendAbsent). The
#: frontend only calls paths every backend serves, so a 404 is the proxy's, never the backend's.
NO_REPLICA_STATUSES = frozenset(
    {
        httpx.codes.NOT_FOUND,
        httpx.codes.BAD_GATEWAY,
        httpx.codes.SERVICE_UNAVAILABLE,
        httpx.codes.GATEWAY_TIMEOUT,
    }
)


def _opening_error(response: httpx.Response) -> BackendError:
    """Classify the status a stream was refused with before it started."""
    status = response.status_code
    log.warning("backend answered status=%d", status)
    if status in NO_REPLICA_STATUSES:
        return BackendAbsent(
            f"No translation service is available right now (HTTP {status}). Try again shortly."
        )
    if status == httpx.codes.REQUEST_ENTITY_TOO_LARGE:
        return BackendRejected(_detail(response) or "The text is longer than the service accepts.")
    # 400 (unsupported pair) or 422 (malformed request) mean this frontend is misconfigured.
    return BackendFailed(f"The translation service failed (HTTP {status}).")


def _detail(response: httpx.Response) -> str:
    """Return the backend's short error message, if its JSON error has one."""
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return ""
    return detail[:300] if isinstance(detail, str) else ""


def _parse_line(line: str) -> Segment | StreamDone:
    try:
        item = json.loads(line)
        if item.get("done") is True:
            return StreamDone(
                segments=int(item["segments"]),
                duration_ms=float(item["duration_ms"]),
                model=str(item.get("model", "")),
                engine=str(item.get("engine", "")),
            )
        if "error" in item:
            raise BackendFailed("The translation service failed while translating.")
        total, source = item.get("total"), item.get("source")
        return Segment(
            index=int(item["index"]),
            total=None if total is None else int(total),
            text=str(item["text"]),
            source=source if isinstance(source, str) else None,
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise BackendFailed("The translation service sent a malformed stream.") from None


def _with_headers(done: StreamDone, headers: httpx.Headers) -> StreamDone:
    """Fill model and engine from response headers when the done line does not carry them."""
    return StreamDone(
        segments=done.segments,
        duration_ms=done.duration_ms,
        model=done.model or headers.get("X-Model", ""),
        engine=done.engine or headers.get("X-Engine", ""),
    )


async def _chunked(payload: bytes) -> AsyncIterator[bytes]:
    """Yield the request body as one chunk, so httpx sends it chunked, without Content-Length.

    Behind Traefik (Go's net/http reverse proxy), a body with a Content-Length races the
    backend's early response headers: Go may close the request body while its transport still
    reads it, and the transport then closes the backend connection mid-stream (golang/go#15527).
    Measured through Traefik 3.7.15 with 16 clients: about 1 stream in 2,000 cut with a
    Content-Length, none in 16,000 chunked.
    """
    yield payload
