"""Service figures over real HTTP against a running backend (python -m backend)."""

from __future__ import annotations

import asyncio
import json
import statistics
import time

import httpx

from benchmarks.workload import Workload

TRANSLATE = "/v1/translate"
STREAM = "/v1/translate/stream"


async def translate(client: httpx.AsyncClient, text: str) -> dict:
    """POST one text to /v1/translate and return the JSON answer (raising on errors)."""
    response = await client.post(TRANSLATE, json={"text": text})
    response.raise_for_status()
    return response.json()


async def document_sps(client: httpx.AsyncClient, sentences: list[str]) -> tuple[float, int]:
    """Translate one document of the sentences; return sentences per second and its segments."""
    started = time.perf_counter()
    body = await translate(client, " ".join(sentences))
    return len(sentences) / (time.perf_counter() - started), body["segments"]


async def clients_sps(
    client: httpx.AsyncClient, workload: Workload, clients: int, each: int
) -> float:
    """Run `clients` concurrent clients sending `each` one-sentence requests in turn."""
    batches = [workload.take(each) for _ in range(clients)]

    async def one_client(sentences: list[str]) -> None:
        for sentence in sentences:
            await translate(client, sentence)

    started = time.perf_counter()
    await asyncio.gather(*(one_client(sentences) for sentences in batches))
    return clients * each / (time.perf_counter() - started)


async def clients_latency(
    client: httpx.AsyncClient, workload: Workload, *, clients: int, each: int
) -> tuple[float, float]:
    """Run concurrent one-sentence clients; return sentences per second and p95 latency."""
    latencies: list[float] = []

    async def one_client(sentences: list[str]) -> None:
        for sentence in sentences:
            started = time.perf_counter()
            await translate(client, sentence)
            latencies.append(time.perf_counter() - started)

    batches = [workload.take(each) for _ in range(clients)]
    started = time.perf_counter()
    await asyncio.gather(*(one_client(sentences) for sentences in batches))
    elapsed_s = time.perf_counter() - started
    return clients * each / elapsed_s, statistics.quantiles(latencies, n=20)[-1]


async def stream_with_short_requests(
    client: httpx.AsyncClient, document: list[str], workload: Workload, *, gap_s: float
) -> tuple[float, float, int, int]:
    """Stream the document while a client sends one-sentence requests every gap_s.

    Return the time to the first streamed segment, the p95 latency of the short requests,
    how many short requests were measured, and how many segments the stream delivered.
    """
    streaming = asyncio.Event()
    finished = asyncio.Event()
    latencies: list[float] = []

    async def short_requests() -> None:
        await streaming.wait()
        for sentence in workload.take(200):
            if finished.is_set():
                return
            started = time.perf_counter()
            await translate(client, sentence)
            latencies.append(time.perf_counter() - started)
            await asyncio.sleep(gap_s)

    shorts = asyncio.create_task(short_requests())
    started = time.perf_counter()
    first_segment_s = float("nan")
    segments = 0
    payload = {"text": " ".join(document)}
    async with client.stream("POST", STREAM, json=payload) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            entry = json.loads(line)
            if "index" in entry:
                if segments == 0:
                    first_segment_s = time.perf_counter() - started
                    streaming.set()
                segments += 1
    finished.set()
    await shorts
    p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) >= 2 else float("nan")
    return first_segment_s, p95, len(latencies), segments


async def rss_growth_pct(
    client: httpx.AsyncClient, workload: Workload, rss: callable, *, warm_up: int, requests: int
) -> tuple[float, int, int]:
    """Return the server's RSS growth in percent over `requests` after `warm_up` requests."""

    async def run(texts: list[str]) -> None:
        queue = list(texts)

        async def worker() -> None:
            while queue:
                await translate(client, queue.pop())

        await asyncio.gather(*(worker() for _ in range(32)))

    await run(workload.short(warm_up))
    before = rss()
    await run(workload.short(requests))
    after = rss()
    return (after - before) / before * 100, before, after
