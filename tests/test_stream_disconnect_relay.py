"""A browser that leaves the frontend's stream cancels the backend's work, over real HTTP.

Both servers run as in production (hypercorn for the frontend, uvicorn for the backend), in the
test's event loop, on loopback ports; the backend's engine holds the text's second batch.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
from frontend.app import create_app
from frontend.config import Settings

from testkit.csrf import csrf_token_in
from testkit.held_engine import MARK, HeldEngine, assert_nothing_more_reaches_the_engine
from testkit.held_engine import held_backend as make_backend
from testkit.in_process import hypercorn_serving, uvicorn_serving

TEXT = " ".join(f"{MARK} {i} steht hier." for i in range(2000))


def frontend_settings(backend_url: str, tmp_path) -> Settings:
    """Return test settings of a frontend on a fresh SQLite file, relaying to backend_url."""
    return Settings(
        environment="development",  # no operator accounts needed: the stream is public
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'translations.db'}",
        backend_url=backend_url,
    )


async def until_ready(client: httpx.AsyncClient) -> None:
    """Wait (bounded) until /readyz answers 200."""
    deadline = time.monotonic() + 20
    while (await client.get("/readyz")).status_code != 200:
        assert time.monotonic() < deadline, "the server never became ready"
        await asyncio.sleep(0.02)


async def test_leaving_the_frontends_stream_cancels_the_backends(tmp_path) -> None:
    """Read the first segment from the frontend, close: no later segment reaches the engine."""
    engine = HeldEngine()
    backend = make_backend(engine, tmp_path / "backend")
    try:
        async with uvicorn_serving(backend) as backend_url:
            async with httpx.AsyncClient(base_url=backend_url, timeout=10) as client:
                await until_ready(client)
            frontend = create_app(frontend_settings(backend_url, tmp_path))
            async with (
                hypercorn_serving(frontend) as frontend_url,
                httpx.AsyncClient(base_url=frontend_url, timeout=10) as browser,
            ):
                await until_ready(browser)
                token = csrf_token_in((await browser.get("/")).text)
                headers = {"X-CSRF-Token": token}
                request = browser.stream(
                    "POST", "/api/translate/stream", json={"text": TEXT}, headers=headers
                )
                async with request as response:
                    first = json.loads(await anext(response.aiter_lines()))
                    assert first["text"] == f"{MARK.upper()} 0 STEHT HIER."
                    assert await asyncio.to_thread(engine.second_arrived.wait, 10)
                await assert_nothing_more_reaches_the_engine(backend, engine, backend_url)
    finally:
        engine.go_on.set()
