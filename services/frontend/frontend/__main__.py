"""Run the frontend under hypercorn: `python -m frontend --host 127.0.0.1 --port 8002`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from hypercorn.asyncio import serve

from frontend import http11
from frontend.app import create_app
from frontend.config import ConfigError, Settings
from frontend.logging_setup import configure_logging
from frontend.shutdown import GracefulShutdown
from frontend.state import EXTENSION_KEY

log = logging.getLogger("frontend")

#: Seconds an idle keep-alive connection stays open: longer than Traefik's idle timeout for
#: server connections (serversTransport idleConnTimeout, 90 s by default), so that the proxy
#: closes idle connections, never the server; with hypercorn's 5 s a POST could be sent on a
#: connection being closed, and Traefik never replays the frontend's POSTs.
KEEP_ALIVE_S = 120
#: Requests one connection may carry: unbounded in practice. Hypercorn ends a connection after
#: 1,000 (`Connection: close`), and Traefik's fast proxy ignores that header: it puts the
#: connection back in its pool, and the next request sent on it fails with a 502 (measured: 3
#: to 10 of 3,000 POSTs through Traefik 3.7.15 against a server that ends every second answer
#: so). By its code (pkg/proxy/fast/connpool.go), when the close is seen while that request is
#: being written, the request waits forever instead; not caught in 27,000 requests here.
KEEP_ALIVE_MAX_REQUESTS = 2**62


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(prog="python -m frontend", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8002, help="port to listen on")
    parser.add_argument(
        "--graceful-timeout-s",
        type=float,
        default=20.0,
        help="seconds running requests get to finish once the drain is over",
    )
    return parser.parse_args(argv)


async def _serve(settings: Settings, args: argparse.Namespace) -> None:
    config = http11.ServerConfig()
    config.bind = [f"{args.host}:{args.port}"]
    config.graceful_timeout = args.graceful_timeout_s
    config.keep_alive_timeout = KEEP_ALIVE_S
    config.keep_alive_max_requests = KEEP_ALIVE_MAX_REQUESTS
    # Slowloris: the request head has its own deadline, apart from the idle keep-alive above.
    config.header_read_timeout_s = settings.header_read_timeout_s
    config.accesslog = None  # the app logs one JSON line per request itself
    # A Logger (not "-") makes hypercorn use our JSON handler instead of adding its own.
    config.errorlog = logging.getLogger("hypercorn.error")
    app = create_app(settings)
    http11.install()
    # Swarm sends SIGTERM on update/scale-down: drain (readiness fails, requests still served),
    # then stop accepting and give running requests graceful_timeout to finish.
    shutdown = GracefulShutdown(app.extensions[EXTENSION_KEY], drain_s=settings.shutdown_drain_s)
    shutdown.install(asyncio.get_running_loop())
    await serve(app, config, shutdown_trigger=shutdown.wait)


def main(argv: list[str] | None = None) -> int:
    """Configure logging, read settings and serve until SIGTERM or SIGINT."""
    args = parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        print(f"frontend: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    log.info("starting on %s:%d", args.host, args.port)
    asyncio.run(_serve(settings, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
