"""Memory over a long run: many requests of varied sizes, the server's RSS sampled throughout.

The plateau figure is the growth over the second half of what is sampled (median RSS of its last
tenth against the median around its middle), and sampling starts only after a warm-up that fills
the bounded caches (the backend's translation cache holds CACHE_SIZE segments by then): bounded
growth then no longer counts, and a leak shows as growth that goes on. The texts mix one-sentence
requests, paragraphs and pages, German with other scripts (Cyrillic, Greek, CJK, emoji, which the
sentencepiece models do not know), and repeats of earlier texts (cache hits).
"""

from __future__ import annotations

import asyncio
import random
import re
import statistics
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from backend.cache import TranslationCache
from backend.config import Settings
from frontend.config import Settings as FrontendSettings
from frontend.storage import database

from testkit.csrf import csrf_token_in

#: RSS is read this often while the soak runs.
SAMPLE_EVERY_S = 0.25
#: Concurrent clients: enough to keep every engine worker's batches full.
CLIENTS = 16
#: At least 1/WARM_UP_SHARE of a soak's requests are sent before RSS is sampled.
WARM_UP_SHARE = 10
#: Share of requests that repeat an earlier text (served from the cache).
REPEAT_SHARE = 0.2
FOREIGN = ["Привет, мир", "Καλημέρα", "東京駅で会いましょう", "🙂🚀", "naïve façade", "ÄÖÜ ß ẞ"]
WORDS = [
    "Haus", "Straße", "Wetter", "Bahnhof", "Stadt", "Brief", "Abend", "Schule", "Fenster",
    "Garten", "Sonntag", "Kaffee", "Zeitung", "Rathaus", "Fluss", "Berg", "Zug", "Markt",
]  # fmt: skip


@dataclass(frozen=True)
class Plateau:
    """RSS at the middle and at the end of a soak, and the growth between them."""

    samples: int
    rss_mid_bytes: int
    rss_end_bytes: int
    growth_second_half_pct: float
    growth_whole_pct: float


def plateau(samples: list[int]) -> Plateau:
    """Return the second half's growth: median of the last tenth vs. the median of 45-55 %."""
    count = len(samples)
    if count < 20:
        raise ValueError("a plateau needs at least 20 RSS samples")
    start = statistics.median(samples[: count // 10])
    mid = statistics.median(samples[int(count * 0.45) : int(count * 0.55) + 1])
    end = statistics.median(samples[-(count // 10) :])
    return Plateau(count, int(mid), int(end), (end - mid) / mid * 100, (end - start) / start * 100)


def texts(count: int, seed: int = 16) -> list[str]:
    """Return count request texts of varied sizes and scripts; REPEAT_SHARE of them repeats."""
    rng = random.Random(seed)
    made: list[str] = []
    for number in range(count):
        if made and rng.random() < REPEAT_SHARE:
            made.append(rng.choice(made))
            continue
        size = rng.choices([1, 3, 12], weights=[70, 25, 5])[0]
        made.append(" ".join(_sentence(rng, number, i) for i in range(size)))
    return made


def _sentence(rng: random.Random, number: int, index: int) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6)))
    foreign = f" ({rng.choice(FOREIGN)})" if rng.random() < 0.15 else ""
    return f"Satz {number}-{index}: {words}{foreign} ist da."


def requests_until_cache_full(requests: list[str], cache_entries: int) -> int:
    """Return how many of the requests hold cache_entries distinct sentences (all, if fewer)."""
    seen: set[str] = set()
    for count, text in enumerate(requests, start=1):
        seen.update(re.split(r"(?<=\.) ", text))
        if len(seen) >= cache_entries:
            return count
    return len(requests)


async def run_soak(
    send: Callable[[str], Awaitable[None]],
    rss: Callable[[], int],
    requests: list[str],
    max_s: float,
    *,
    warm_up: int = 0,
) -> tuple[list[int], float, int]:
    """Send the requests from CLIENTS concurrent clients, for max_s at most.

    RSS is sampled once `warm_up` requests have been answered. Return the samples, the seconds
    it took and how many requests were sent.
    """
    samples: list[int] = []
    queue = list(reversed(requests))
    done = asyncio.Event()
    warmed = asyncio.Event()
    answered = 0
    deadline_s = time.perf_counter() + max_s
    if warm_up <= 0:
        warmed.set()

    async def sample() -> None:
        await _first(warmed, done)
        while not done.is_set():
            samples.append(rss())
            await asyncio.sleep(SAMPLE_EVERY_S)

    async def client() -> None:
        nonlocal answered
        while queue and time.perf_counter() < deadline_s:
            await send(queue.pop())
            answered += 1
            if answered >= warm_up:
                warmed.set()

    sampler = asyncio.create_task(sample())
    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(CLIENTS)))
    elapsed_s = time.perf_counter() - started
    done.set()
    await sampler
    return samples, elapsed_s, len(requests) - len(queue)


async def _first(*events: asyncio.Event) -> None:
    """Wait until any of the events is set."""
    waiters = [asyncio.create_task(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()


def backend_bounds(cache_size: int) -> dict[str, int]:
    """Return the configured bound of every cache the backend keeps, as the soak runs it."""
    defaults = Settings(model="unused")
    return {
        "backend_bound_cache_segments": cache_size,
        "backend_bound_file_store_bytes": defaults.file_store_bytes,
        "backend_bound_re_patterns": re._MAXCACHE,  # pysbd's per-sentence patterns
    }


def frontend_bounds() -> dict[str, int]:
    """Return the configured bound of what the frontend keeps in memory (SQLite, defaults)."""
    connections = database.APP_POOL_SIZE + database.APP_MAX_OVERFLOW
    return {
        "frontend_bound_db_connections": connections,
        "frontend_bound_sqlite_page_cache_bytes": connections
        * database.SQLITE_PAGE_CACHE_KIB
        * 1024,
        "frontend_bound_pending_saves": FrontendSettings.model_fields["pending_max_items"].default,
    }


def cache_bytes_when_full(max_entries: int, requests: list[str]) -> int:
    """Return what a TranslationCache of max_entries holds in memory once full (tracemalloc).

    Filled with the soak's own sentences, split into ~4-character pieces as sentencepiece would,
    and a translation as long as the source.
    """
    sentences = [s for text in requests for s in re.split(r"(?<=\.) ", text)]
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        cache = TranslationCache(max_entries)
        for index in range(max_entries):
            sentence = f"{sentences[index % len(sentences)]} {index}"
            pieces = ["▁" + sentence[i : i + 4] for i in range(0, len(sentence), 4)]
            cache.put(pieces, sentence.upper())
        return tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()


async def frontend_streams(client: httpx.AsyncClient) -> Callable[[str], Awaitable[None]]:
    """Open a session on the frontend; return a sender streaming one text through it."""
    page = await client.get("/")
    page.raise_for_status()
    headers = {"X-CSRF-Token": csrf_token_in(page.text)}

    async def send(text: str) -> None:
        async with client.stream(
            "POST", "/api/translate/stream", json={"text": text}, headers=headers
        ) as response:
            response.raise_for_status()
            async for line in response.aiter_lines():
                if '"error"' in line:
                    raise RuntimeError(f"the frontend's stream failed: {line[:200]}")

    return send


async def backend_soak(
    client: httpx.AsyncClient, rss: Callable[[], int], requests: int, cache_size: int, max_s: float
) -> dict:
    """Soak the backend with `requests` texts (max_s at most); return the plateau and bounds."""

    async def send(text: str) -> None:
        response = await client.post("/v1/translate", json={"text": text})
        response.raise_for_status()

    made = texts(requests)
    # Sample once the cache holds cache_size segments (and a tenth of the run has gone by, for
    # the allocator's arenas): what grows after that is not the cache filling.
    warm_up = max(requests_until_cache_full(made, cache_size), requests // WARM_UP_SHARE)
    samples, elapsed_s, sent = await run_soak(send, rss, made, max_s, warm_up=warm_up)
    result = plateau(samples)
    metrics = (await client.get("/metrics")).text
    hits = re.search(r"^translation_backend_cache_hits_total (\S+)", metrics, re.M)
    misses = re.search(r"^translation_backend_cache_misses_total (\S+)", metrics, re.M)
    return {
        "soak_requests": sent,
        "soak_s": elapsed_s,
        "soak_rps": sent / elapsed_s,
        "soak_growth_second_half_pct": result.growth_second_half_pct,
        "soak_growth_whole_pct": result.growth_whole_pct,
        "soak_rss_mid_bytes": result.rss_mid_bytes,
        "soak_rss_end_bytes": result.rss_end_bytes,
        "soak_rss_samples": result.samples,
        "soak_warm_up_requests": warm_up,
        "soak_cache_hits": float(hits.group(1)) if hits else None,
        "soak_cache_misses": float(misses.group(1)) if misses else None,
        "cache_size_setting": cache_size,
        **backend_bounds(cache_size),
        "cache_full_bytes_est": cache_bytes_when_full(cache_size, made),
        "cache_full_bytes_est_default_10000": cache_bytes_when_full(10_000, made),
    }


async def frontend_soak(base_url: str, rss: Callable[[], int], requests: int, max_s: float) -> dict:
    """Stream `requests` texts through the frontend (max_s at most); return its plateau."""
    limits = httpx.Limits(max_connections=CLIENTS * 2, max_keepalive_connections=CLIENTS * 2)
    # The frontend's bounded holders (its pool's connections, their page caches, SQLAlchemy's
    # statement cache, the rate limiter's table for this one client) fill within the first few
    # hundred streams; the same share as the backend's is left out before sampling.
    warm_up = requests // WARM_UP_SHARE
    async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
        send = await frontend_streams(client)
        made = texts(requests, seed=61)
        samples, elapsed_s, sent = await run_soak(send, rss, made, max_s, warm_up=warm_up)
    result = plateau(samples)
    return {
        "frontend_soak_requests": sent,
        "frontend_soak_s": elapsed_s,
        "frontend_warm_up_requests": warm_up,
        "frontend_growth_second_half_pct": result.growth_second_half_pct,
        "frontend_growth_whole_pct": result.growth_whole_pct,
        "frontend_rss_mid_bytes": result.rss_mid_bytes,
        "frontend_rss_end_bytes": result.rss_end_bytes,
        **frontend_bounds(),
    }
