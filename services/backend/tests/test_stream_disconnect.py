"""A client that leaves a stream cancels its remaining work, over real HTTP (uvicorn)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from backend.translator import INCREMENTAL_CHARS

from testkit.held_engine import (
    MARK,
    STREAM,
    HeldEngine,
    assert_nothing_more_reaches_the_engine,
    held_backend,
)
from testkit.in_process import uvicorn_serving

#: A text planned chunk by chunk (as a long document is), and one planned in one go.
LONG_TEXT = " ".join(f"{MARK} {i} steht hier." for i in range(4000))
SHORT_TEXT = " ".join(f"{MARK} {i} steht hier." for i in range(200))


async def until_ready(client: httpx.AsyncClient) -> None:
    """Wait (bounded) until the backend's /readyz answers 200."""
    deadline = time.monotonic() + 10
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the backend never became ready"
        await asyncio.sleep(0.01)


@pytest.mark.parametrize("text", [LONG_TEXT, SHORT_TEXT], ids=["chunked", "whole"])
async def test_leaving_a_stream_stops_its_segments_reaching_the_engine(tmp_path, text) -> None:
    """Read the first segment, close the connection: no later segment reaches the engine.

    The engine holds the text's second batch; the server must notice the closed connection
    and cancel every other segment, so that once the engine goes on, the queue empties
    without one more of the text's batches reaching it.
    """
    assert len(LONG_TEXT) > INCREMENTAL_CHARS > len(SHORT_TEXT)
    engine = HeldEngine()
    app = held_backend(engine, tmp_path)
    try:
        async with uvicorn_serving(app) as url:
            async with httpx.AsyncClient(base_url=url, timeout=10) as client:
                await until_ready(client)
                async with client.stream("POST", STREAM, json={"text": text}) as response:
                    first = json.loads(await anext(response.aiter_lines()))
                    assert first["text"] == f"{MARK.upper()} 0 STEHT HIER."
                    assert await asyncio.to_thread(engine.second_arrived.wait, 10)
            await assert_nothing_more_reaches_the_engine(app, engine, url)
    finally:
        engine.go_on.set()
