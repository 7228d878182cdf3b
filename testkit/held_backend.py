"""A stand-in translation backend whose stream the test holds open: a request really mid-flight.

It speaks the part of the backend's API the frontend calls (/readyz, /detect and the NDJSON
/v1/translate/stream). Each stream sends its first segment, sets `streaming`, and sends the rest
only once the test calls `release()`; it counts the streams that the client broke off.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from testkit.servers import free_port

MODEL, ENGINE = "held-model", "held-engine"


@dataclass
class HeldBackend:
    """The backend's state as the test sees it; `url` is set while it serves."""

    segments: int = 3
    url: str = ""
    streaming: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)
    #: Streams whose client went away before the last line was sent.
    disconnected: int = 0
    #: Stream requests received.
    requests: int = 0

    def release(self) -> None:
        """Let every held stream send its remaining segments and its done line."""
        self.released.set()

    def app(self) -> Starlette:
        """Build the stand-in's ASGI app."""
        return Starlette(
            routes=[
                Route("/readyz", self._ready),
                Route("/detect", self._detect, methods=["POST"]),
                Route("/v1/translate/stream", self._stream, methods=["POST"]),
            ]
        )

    async def _ready(self, _: Request) -> JSONResponse:
        return JSONResponse({"status": "ready", "model": MODEL, "engine": ENGINE})

    async def _detect(self, _: Request) -> JSONResponse:
        return JSONResponse([{"language": "de", "confidence": 99.0}])

    async def _stream(self, request: Request) -> StreamingResponse:
        body = json.loads(await request.body())
        self.requests += 1
        return StreamingResponse(self._lines(body["text"]), media_type="application/x-ndjson")

    async def _lines(self, text: str) -> AsyncIterator[bytes]:
        started = time.monotonic()
        completed = False
        try:
            for index in range(self.segments):
                item = {"index": index, "total": self.segments, "text": f"Segment {index}. "}
                yield json.dumps(item).encode() + b"\n"
                if index == 0:
                    self.streaming.set()
                    # Hold in a thread, so the server's loop still notices a disconnect.
                    await asyncio.to_thread(self.released.wait, 60)
            done = {
                "done": True,
                "segments": self.segments,
                "duration_ms": (time.monotonic() - started) * 1000,
                "model": MODEL,
                "engine": ENGINE,
            }
            yield json.dumps(done).encode() + b"\n"
            completed = True
        finally:
            if not completed:
                self.disconnected += 1


@contextmanager
def held_backend(segments: int = 3) -> Iterator[HeldBackend]:
    """Serve a HeldBackend on a free 127.0.0.1 port for the block (in a thread of this process)."""
    backend = HeldBackend(segments=segments)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(backend.app(), host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="held-backend", daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the held backend did not start")
        time.sleep(0.02)
    backend.url = f"http://127.0.0.1:{port}"
    try:
        yield backend
    finally:
        backend.release()
        server.should_exit = True
        thread.join(timeout=10)
