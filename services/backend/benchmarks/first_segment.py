"""How soon a long text's first segment streams back, and that the text's length does not matter.

`first_segment_1m_s` (issue #11: <= 1 s): the median, over RUNS distinct 1,000,000-character texts,
of the seconds from sending the text to receiving its first segment's line; the client then
leaves, which cancels the rest. `first_segment_1k_s`: the same for 1,000-character texts of the
same kind of sentences (numbered apart, so never from the cache): the two figures differ only in
the text's length. Before each measurement the server is given time to finish the batches the
last one left in its engine (leaving cancels what is queued, not a batch being decoded).

Part of `make bench`; alone (it starts its own backend): `make bench-first-segment`.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

STREAM = "/v1/translate/stream"
RUNS = 3
LONG_CHARS = 1_000_000
SHORT_CHARS = 1_000
#: The engine counts as idle once no batch has finished for this long (a batch of 16 takes ~2 s
#: on our quiet 2-core machine) with nothing queued; waiting is bounded by SETTLE_MAX_S.
SETTLE_QUIET_S = 3.0
SETTLE_MAX_S = 20.0
_QUEUE = "translation_backend_queue_depth"
_BATCHES = "translation_backend_batch_duration_seconds_count"


def long_text(chars: int, run: int = 0) -> str:
    """Return a text of exactly chars characters: paragraphs of distinct German sentences.

    Each run numbers its sentences differently, so that no run is served from the cache.
    """
    paragraphs, size, number = [], 0, 0
    while size < chars:
        sentences = [
            f"Der Satz Nummer {number + i} von Lauf {run} steht in diesem langen Text."
            for i in range(8)
        ]
        number += 8
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    return "\n\n".join(paragraphs)[:chars]


async def first_segment_s(client: httpx.AsyncClient, text: str) -> float:
    """Return the seconds until the first segment of text streams back, then leave the stream."""
    started = time.perf_counter()
    async with client.stream("POST", STREAM, json={"text": text}) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if "index" in json.loads(line):
                return time.perf_counter() - started
    return float("nan")


async def settle(client: httpx.AsyncClient) -> None:
    """Wait (bounded) until nothing is queued and no batch has finished for SETTLE_QUIET_S."""
    deadline = time.monotonic() + SETTLE_MAX_S
    last, quiet_since = None, time.monotonic()
    while time.monotonic() < deadline:
        figures = _scrape((await client.get("/metrics")).text)
        batches = figures.get(_BATCHES)
        if batches != last:
            last, quiet_since = batches, time.monotonic()
        elif figures.get(_QUEUE, 0) == 0 and time.monotonic() - quiet_since >= SETTLE_QUIET_S:
            return
        await asyncio.sleep(0.25)


def _scrape(exposition: str) -> dict[str, float]:
    """Return the unlabelled samples and the summed labelled ones of a Prometheus text page."""
    figures: dict[str, float] = {}
    for line in exposition.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            key = name.split("{", 1)[0]
            figures[key] = figures.get(key, 0.0) + float(value)
    return figures


async def measure(client: httpx.AsyncClient) -> dict[str, float]:
    """Return the median first-segment seconds of a 1,000,000- and a 1,000-character text."""
    long_s, short_s = [], []
    for run in range(RUNS):
        await settle(client)
        long_s.append(await first_segment_s(client, long_text(LONG_CHARS, run)))
        await settle(client)
        # Numbered apart from every long text: its first sentence must not come from the cache.
        short_s.append(await first_segment_s(client, long_text(SHORT_CHARS, RUNS + run)))
    return {
        "first_segment_1m_s": statistics.median(long_s),
        "first_segment_1m_max_s": max(long_s),
        "first_segment_1k_s": statistics.median(short_s),
    }


def main() -> int:
    """Start a backend as `make bench` does, measure, print the figures and their targets."""
    sys.path[:0] = [str(Path(__file__).resolve().parents[1])]  # run as a script: find benchmarks
    # Here, not above: run.py imports this module.
    from benchmarks import run
    from benchmarks.report import print_table, verdicts

    if not (run.MODEL_DIR / "config.json").exists():
        run.random_model.build("opus-mt", run.MODEL_DIR)
    env = {"MODEL": str(run.MODEL_DIR), "ENGINE": "ctranslate2", "HF_HUB_OFFLINE": "1"}
    env |= {"MODEL_CACHE_DIR": str(run.CACHE_DIR), **run.ENV}

    async def measured(url: str) -> dict[str, float]:
        async with httpx.AsyncClient(base_url=url, timeout=300) as client:
            return await measure(client)

    with run.server("backend", env, run.BENCH_DIR / "first-segment.log", "/readyz") as (url, _):
        results = asyncio.run(measured(url))
    met = verdicts(results)
    results.pop("service_vs_seed")  # verdicts adds it; make bench's figure, not measured here
    print_table(results, met)
    print(json.dumps(results))
    return 0 if met["first_segment_1m_s"] else 1


if __name__ == "__main__":
    sys.exit(main())
