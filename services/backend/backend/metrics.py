"""Every Prometheus metric of the backend, one registry per app, all named translation_backend_*.

The batch scheduler and the cache know nothing of Prometheus: ``Metrics`` is the scheduler's
observer, and the cache's own counters are read at scrape time by a small collector.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

PREFIX = "translation_backend"
#: Seconds: from a cache hit (~1 ms) to a long document on CPU (minutes).
LATENCY_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 180, 600)
BATCH_SIZE_BUCKETS = (1, 2, 4, 8, 12, 16, 24, 32, 48, 64)
BATCH_DURATION_BUCKETS_S = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16)


class CacheCounters(Protocol):
    """What the collector reads from the translation cache."""

    hits: int
    misses: int


class _CacheCollector(Collector):
    """Publish the cache's hit and miss counters when Prometheus scrapes."""

    def __init__(self, cache: CacheCounters) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        hits = CounterMetricFamily(f"{PREFIX}_cache_hits", "Segments served from the cache")
        hits.add_metric([], self._cache.hits)
        misses = CounterMetricFamily(f"{PREFIX}_cache_misses", "Segments not in the cache")
        misses.add_metric([], self._cache.misses)
        yield hits
        yield misses


class TruncationCounter(Protocol):
    """What the collector reads from the engine."""

    @property
    def truncated(self) -> int:
        """Count the translations that filled the output limit so far."""
        ...


class _TruncationCollector(Collector):
    """Publish how many translations filled the model's output limit, read at scrape time."""

    def __init__(self, engine: TruncationCounter) -> None:
        self._engine = engine

    def collect(self) -> Iterator[Metric]:
        truncated = CounterMetricFamily(
            f"{PREFIX}_truncated_translations",
            "Translations that filled the model's output limit (even after the retry)",
        )
        truncated.add_metric([], self._engine.truncated)
        yield truncated


class Metrics:
    """The backend's metrics; also the BatchScheduler's observer."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.request_duration = Histogram(
            f"{PREFIX}_request_duration_seconds",
            "HTTP request latency, until the last byte of the response",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        )
        self.segments = Counter(
            f"{PREFIX}_segments",
            "Segments translated for clients (cache hits included); rate() = segments per second",
            ["route"],
            registry=registry,
        )
        self.batch_size = Histogram(
            f"{PREFIX}_batch_size",
            "Segments per engine batch",
            buckets=BATCH_SIZE_BUCKETS,
            registry=registry,
        )
        self.batch_duration = Histogram(
            f"{PREFIX}_batch_duration_seconds",
            "Engine time per batch",
            buckets=BATCH_DURATION_BUCKETS_S,
            registry=registry,
        )
        self.batch_tokens = Counter(
            f"{PREFIX}_batch_padded_tokens",
            "Padded source tokens sent to the engine",
            registry=registry,
        )
        self.queue_depth = Gauge(
            f"{PREFIX}_queue_depth", "Segments waiting for the engine", registry=registry
        )
        self.ready = Gauge(f"{PREFIX}_ready", "1 once the model is loaded", registry=registry)
        self.model = Info(f"{PREFIX}_model", "The loaded model and engine", registry=registry)

    def on_batch(self, size: int, padded_tokens: int, duration_s: float) -> None:
        """Record one engine batch."""
        self.batch_size.observe(size)
        self.batch_duration.observe(duration_s)
        self.batch_tokens.inc(padded_tokens)

    def on_queue_depth(self, depth: int) -> None:
        """Record how many segments wait for the engine."""
        self.queue_depth.set(depth)

    def watch_cache(self, cache: CacheCounters) -> None:
        """Publish the cache's hit and miss counters from now on."""
        self.registry.register(_CacheCollector(cache))

    def watch_engine(self, engine: TruncationCounter) -> None:
        """Publish the engine's count of truncated translations from now on."""
        self.registry.register(_TruncationCollector(engine))

    def model_loaded(self, **labels: str) -> None:
        """Record that the model is loaded, with its name, engine, device and compute type."""
        self.model.info(labels)
        self.ready.set(1)

    def observe_request(self, method: str, route: str, status: int, duration_s: float) -> None:
        """Record one finished HTTP request."""
        self.request_duration.labels(method, route, str(status)).observe(duration_s)
