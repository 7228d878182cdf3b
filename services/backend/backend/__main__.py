"""Run the backend: python -m backend --host H --port P (settings from the environment)."""

from __future__ import annotations

import argparse
import logging
import sys

import uvicorn

from backend.config import Settings
from backend.logs import configure_logging
from backend.main import create_app

logger = logging.getLogger("backend")


def main(argv: list[str] | None = None) -> int:
    """Serve the app with uvicorn until stopped; exit 1 when the model cannot be loaded."""
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on")
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level, json_lines=settings.log_json)
    server: uvicorn.Server | None = None

    def stop() -> None:
        # A model that cannot load will not load on retry: stop, so the orchestrator sees it.
        if server is not None:
            server.should_exit = True

    app = create_app(settings, on_fatal=stop)
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_config=None,  # keep configure_logging's JSON handler
        access_log=False,  # RequestLogMiddleware writes one line per request
        # Only Traefik reaches the backend (internal overlay network), so its X-Forwarded-*
        # headers are trusted for the client address in logs.
        proxy_headers=True,
        forwarded_allow_ips="*",
        timeout_graceful_shutdown=10,
    )
    server = uvicorn.Server(config)
    server.run()
    if app.state.backend.load_error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
