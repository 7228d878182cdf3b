"""The fetcher service: read articles for the frontend from a process that reaches nothing else.

``python -m frontend.articles.fetcher_service --host 0.0.0.0 --port 8003`` (the frontend's image)
serves ``POST /v1/read {"url"}`` → the extracted article, or the refusal with its status. In
the Swarm stack it is the only process that opens connections to user-given URLs, and it is on
the ``fetch`` network only: no database, no Traefik, no secrets (docs/articles.md). It reads its
own few settings; the frontend's need a SECRET_KEY it has no use for.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys

from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart, request

from frontend.articles.errors import ArticleError
from frontend.articles.fetch_settings import FetchSettings
from frontend.articles.fetching import Fetcher, open_http_client
from frontend.articles.reading import ArticleReader
from frontend.articles.robots import RobotsRules
from frontend.articles.wire import article_to_json, error_to_json
from frontend.logging_setup import configure_logging
from frontend.settings_source import ConfigError

log = logging.getLogger(__name__)
READ_PATH = "/v1/read"
#: A read takes at most twice FETCH_TOTAL_TIMEOUT_S (robots.txt, then the page); stack.yml's
#: stop_grace_period (70 s) covers this.
GRACEFUL_TIMEOUT_S = 60.0


def create_fetcher_app(settings: FetchSettings) -> Quart:
    """Build the fetcher app; its HTTP client is opened before serving and closed after."""
    app = Quart(__name__)
    app.config.update(MAX_CONTENT_LENGTH=16 * 1024)  # a URL, not a document
    readers: list[ArticleReader] = []
    clients = []

    @app.before_serving
    async def _open() -> None:
        http = open_http_client(settings.fetch_policy)
        fetcher = Fetcher(http, settings.fetch_policy)
        clients.append(http)
        readers.append(ArticleReader(fetcher, RobotsRules(fetcher)))

    @app.after_serving
    async def _close() -> None:
        for http in clients:
            await http.aclose()

    @app.get("/healthz")
    async def healthz() -> dict:
        """Answer while the process serves."""
        return {"status": "ok"}

    @app.post(READ_PATH)
    async def read() -> tuple[dict, int]:
        """Fetch and extract the article at {"url"}, or say why not."""
        body = await request.get_json(silent=True)
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str):
            return {"error": 'Send JSON {"url": "..."}.', "reason": "request"}, 400
        try:
            fetched = await readers[0].read(url)
        except ArticleError as error:
            log.info("article refused: %s", error.reason)
            return error_to_json(error), error.status_code
        return article_to_json(fetched), 200

    return app


def main(argv: list[str] | None = None) -> int:
    """Serve the fetcher until SIGTERM or SIGINT."""
    parser = argparse.ArgumentParser(prog="python -m frontend.articles.fetcher_service")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8003)
    args = parser.parse_args(argv)
    try:
        settings = FetchSettings.from_env()
    except ConfigError as error:
        print(f"fetcher: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    asyncio.run(_serve(create_fetcher_app(settings), args.host, args.port))
    return 0


async def _serve(app: Quart, host: str, port: int) -> None:
    """Serve until SIGTERM or SIGINT, then let running reads finish (GRACEFUL_TIMEOUT_S)."""
    config = Config()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")
    config.graceful_timeout = GRACEFUL_TIMEOUT_S
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await serve(app, config, shutdown_trigger=stopping.wait)


if __name__ == "__main__":
    sys.exit(main())
