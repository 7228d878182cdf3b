"""The stream's idle timeout over real sockets: a silent replica is left within seconds and the
translation resumed on the next; a replica that sends heartbeats is waited for however long."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence

import httpx
from frontend.backend_client import HEARTBEAT_HEADER, BackendClient
from frontend.resuming import ResumingStream

TEXTS = ["Eins. ", "Zwei. ", "Drei."]
# Silence as a powered-off node keeps it: no byte, no FIN, no reset.
SILENT = None
# A replica that exits mid-chunk: half a chunk, then the connection closes (FIN).
CUT = b"cut"
Step = tuple[float, bytes | None]


def segment(index: int) -> bytes:
    item = {"index": index, "total": len(TEXTS), "text": TEXTS[index]}
    return json.dumps(item).encode() + b"\n"


DONE = json.dumps({"done": True, "segments": len(TEXTS), "duration_ms": 1.0}).encode() + b"\n"
WHOLE: list[Step] = [(0.0, segment(0) + segment(1) + segment(2) + DONE)]


class FakeReplicas:
    """An HTTP/1.1 backend on loopback: the n-th stream request is answered by plans[n].

    A plan is a list of (pause_s, bytes) steps sent as chunks; SILENT stops sending and holds
    the connection open for ever, CUT sends half a chunk and closes the connection.
    """

    def __init__(self, plans: Sequence[list[Step]]) -> None:
        self.plans = list(plans)
        self.headers: list[dict[str, str]] = []
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> FakeReplicas:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for connection in self._connections:
            connection.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await self._server.wait_closed()

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = asyncio.current_task()
        assert connection is not None
        self._connections.add(connection)
        try:
            await self._answer(reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection (it gave up on a silent answer)
        finally:
            writer.close()

    async def _answer(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")[1:]
            headers = {
                k.strip().lower(): v.strip() for k, v in (x.split(":", 1) for x in lines if x)
            }
            await reader.readuntil(b"0\r\n\r\n")  # the chunked request body, to its end
            plan = self.plans[min(len(self.headers), len(self.plans) - 1)]
            self.headers.append(headers)
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/x-ndjson\r\n"
                b"transfer-encoding: chunked\r\n\r\n"
            )
            for pause_s, data in plan:
                await asyncio.sleep(pause_s)
                if data is SILENT:
                    await asyncio.Event().wait()
                if data is CUT:
                    writer.write(b"40\r\n" + b'{"index": 1, "to')
                    await writer.drain()
                    return
                writer.write(b"%x\r\n%s\r\n" % (len(data), data))
                await writer.drain()
            writer.write(b"0\r\n\r\n")
            await writer.drain()


async def translate(url: str, *, idle_timeout_s: float) -> tuple[list[str], float]:
    """Translate through a BackendClient with that idle timeout; return texts and seconds taken."""
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60, connect=5)) as http:
        backend = BackendClient(
            http, source_lang="de", target_lang="en", stream_idle_timeout_s=idle_timeout_s
        )
        stream = await ResumingStream.open(
            backend, "Eins. Zwei. Drei.", request_id="req-1", attempts=3, backoff_s=0
        )
        texts = [part.text async for part in stream]
        assert stream.done is not None
    return texts, time.monotonic() - started


async def test_a_replica_gone_silent_mid_stream_is_left_after_the_idle_timeout() -> None:
    """One segment, then silence: resumed on the next replica after ~the idle timeout, not 60 s."""
    silent_after_one: list[Step] = [(0.0, segment(0)), (0.0, SILENT)]
    async with FakeReplicas([silent_after_one, WHOLE]) as replicas:
        texts, took_s = await translate(replicas.url, idle_timeout_s=0.5)
    assert texts == TEXTS
    assert len(replicas.headers) == 2
    assert 0.5 <= took_s < 5, f"took {took_s:.1f}s"


async def test_a_stream_cut_mid_chunk_by_a_stopping_replica_is_resumed_on_the_next() -> None:
    """An incomplete chunked read after one segment: reopened, the rest comes once, in order."""
    async with FakeReplicas([[(0.0, segment(0)), (0.0, CUT)], WHOLE]) as replicas:
        texts, _ = await translate(replicas.url, idle_timeout_s=5)
    assert texts == TEXTS
    assert len(replicas.headers) == 2


async def test_a_replica_silent_before_its_first_line_is_left_too() -> None:
    """Headers sent, then nothing (the node died while the request was queued there)."""
    async with FakeReplicas([[(0.0, SILENT)], WHOLE]) as replicas:
        texts, took_s = await translate(replicas.url, idle_timeout_s=0.5)
    assert texts == TEXTS
    assert took_s < 5


async def test_heartbeats_keep_a_slow_segment_waited_for_beyond_the_idle_timeout() -> None:
    """Blank lines every 0.1 s for 1.5 s, with an idle timeout of 0.5 s: one request, no retry."""
    beats: list[Step] = [(0.1, b"\n")] * 15
    async with FakeReplicas(
        [[(0.0, segment(0)), *beats, (0.0, segment(1) + segment(2) + DONE)]]
    ) as replicas:
        texts, took_s = await translate(replicas.url, idle_timeout_s=0.5)
    assert texts == TEXTS
    assert len(replicas.headers) == 1, "a stream that sends heartbeats was given up"
    assert took_s >= 1.5


async def test_the_stream_asks_for_a_heartbeat_every_third_of_its_idle_timeout() -> None:
    async with FakeReplicas([WHOLE]) as replicas:
        await translate(replicas.url, idle_timeout_s=1.5)
    assert replicas.headers[0][HEARTBEAT_HEADER.lower()] == "0.5"


async def test_detect_on_a_silent_replica_gives_up_after_the_idle_timeout() -> None:
    """/detect is a hint: a lost replica costs the idle timeout, not the long read timeout."""

    async def never_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.Event().wait()
        finally:
            writer.close()

    server = await asyncio.start_server(never_answer, "127.0.0.1", 0)
    url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        async with httpx.AsyncClient(base_url=url, timeout=httpx.Timeout(60, connect=5)) as http:
            backend = BackendClient(
                http, source_lang="de", target_lang="en", stream_idle_timeout_s=0.5
            )
            started = time.monotonic()
            detected = await backend.detect("Hallo Welt.", request_id="req-2")
            took_s = time.monotonic() - started
            assert await backend.ready() is False
    finally:
        server.close()
    assert detected is None
    assert took_s < 5, f"took {took_s:.1f}s"
