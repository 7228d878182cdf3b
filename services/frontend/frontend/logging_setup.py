"""JSON-lines logging with the current request id, configured once at start-up."""

from __future__ import annotations

import logging
import sys

from frontend.jsonlog import JsonFormatter, request_id_var

__all__ = ["JsonFormatter", "configure_logging", "request_id_var"]


def configure_logging(level: str = "INFO") -> None:
    """Send every log record to stderr as JSON lines (hypercorn's loggers included)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("hypercorn.error", "hypercorn.access", "quart.app", "quart.serving"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # httpx logs every backend call at INFO; our request line already covers it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # sqlglot warns with the operator's statement in the message: never log user text.
    logging.getLogger("sqlglot").setLevel(logging.CRITICAL)
