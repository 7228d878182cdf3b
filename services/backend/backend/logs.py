"""Log configuration: one JSON object per line on stderr, set up once by ``python -m backend``.

Records carry only what the code puts in them: sizes, counts, timings and ids, never the text a
user sent (the routes never pass it to a logger).
"""

from __future__ import annotations

import logging
import sys

from backend.jsonlog import JsonFormatter

__all__ = ["JsonFormatter", "configure_logging"]


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    """Send every log record (uvicorn's included) to stderr as JSON lines or plain text."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # Our middleware writes one line per request; uvicorn's access log would be a second one.
    logging.getLogger("uvicorn.access").disabled = True
