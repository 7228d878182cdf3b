"""Every Prometheus metric of the frontend, prefixed translation_frontend_, one registry per app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

PREFIX = "translation_frontend_"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The frontend's metrics, registered on a registry of their own (tests build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            f"{PREFIX}http_requests_total",
            "HTTP requests answered, by route and status code.",
            ["endpoint", "status"],
            registry=self.registry,
        )
        self.request_seconds = Histogram(
            f"{PREFIX}http_request_duration_seconds",
            "Time to the response headers, by route.",
            ["endpoint"],
            registry=self.registry,
        )
        self.translations = Counter(
            f"{PREFIX}translations_total",
            "Translations requested, by outcome (saved, pending, backend_error, cancelled).",
            ["outcome"],
            registry=self.registry,
        )
        self.segments = Counter(
            f"{PREFIX}segments_streamed_total",
            "Translated segments passed on to browsers.",
            registry=self.registry,
        )
        self.characters = Counter(
            f"{PREFIX}source_characters_total",
            "Characters of source text translated.",
            registry=self.registry,
        )
        self.queries = Counter(
            f"{PREFIX}console_queries_total",
            "SQL console statements, by outcome (ok, truncated, refused, failed).",
            ["outcome"],
            registry=self.registry,
        )
        self.articles = Counter(
            f"{PREFIX}articles_total",
            "Articles by URL, by outcome: read, or the refusal's reason (docs/articles.md).",
            ["outcome"],
            registry=self.registry,
        )
        self.pending_saves = Gauge(
            f"{PREFIX}pending_saves",
            "Finished translations waiting in memory for the database to come back.",
            registry=self.registry,
        )

    def render(self) -> bytes:
        """Return the exposition text of every metric."""
        return generate_latest(self.registry)
