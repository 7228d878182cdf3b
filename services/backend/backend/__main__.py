"""Run the backend: python -m backend --host H --port P (settings from the environment)."""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import logging
import os
import sys
import time
from collections.abc import Callable
from types import FrameType

import uvicorn

from backend.api.limits import header_timeout_protocol
from backend.config import Settings
from backend.logs import configure_logging
from backend.main import create_app
from backend.settings_source import ConfigError

logger = logging.getLogger("backend")


#: Seconds an idle keep-alive connection stays open: longer than Traefik's idle timeout for
#: server connections (serversTransport idleConnTimeout, 90 s by default), so that the proxy
#: closes idle connections, never the server: with uvicorn's 5 s Traefik may send a request on a
#: connection uvicorn is closing at that moment, and Traefik does not replay such a request.
KEEP_ALIVE_S = 120
#: Seconds running requests get once the drain is over (stack.yml's stop_grace_period covers it).
GRACEFUL_SHUTDOWN_S = 10

#: glibc's mallopt parameter number for the arena limit (malloc.h: M_ARENA_MAX).
_M_ARENA_MAX = -8


def limit_malloc_arenas(arenas: int = 2) -> None:
    """Cap glibc's malloc arenas, as MALLOC_ARENA_MAX=2 would, unless the environment decides.

    With glibc's default (8 per core) the engine, tokenizer and event-loop threads grew the
    resident size in ~60 MiB jumps under concurrent load; with 2 it stays flat (make bench).
    Threads started after this call (all of the server's) use the capped arenas.
    """
    if "MALLOC_ARENA_MAX" in os.environ or not sys.platform.startswith("linux"):
        return
    name = ctypes.util.find_library("c")
    if name and "libc.so" in name:
        ctypes.CDLL(name).mallopt(_M_ARENA_MAX, arenas)


class DrainingServer(uvicorn.Server):
    """A uvicorn server whose first stop signal drains before the listener closes.

    Swarm signals a task while Traefik still routes to it until its next failed health check:
    /readyz turns 503 at once (on_drain), requests are served for drain_s more, then uvicorn's
    own graceful shutdown runs. A second signal stops at once.
    """

    def __init__(
        self, config: uvicorn.Config, *, drain_s: float, on_drain: Callable[[], None]
    ) -> None:
        super().__init__(config)
        self._drain_s = drain_s
        self._on_drain = on_drain
        self._exit_at_s: float | None = None

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Start the drain on the first signal; any later one (or no drain) stops now."""
        if self._exit_at_s is not None or self._drain_s <= 0 or self.should_exit:
            super().handle_exit(sig, frame)
            return
        self._exit_at_s = time.monotonic() + self._drain_s
        self._on_drain()
        logger.info("draining for %.1f s before closing the listener", self._drain_s)

    async def on_tick(self, counter: int) -> bool:
        """Stop once the drain is over (uvicorn calls this every 0.1 s)."""
        if self._exit_at_s is not None and time.monotonic() >= self._exit_at_s:
            self.should_exit = True
        return await super().on_tick(counter)


def main(argv: list[str] | None = None) -> int:
    """Serve with uvicorn until stopped; exit 2 on a bad setting, 1 if the model cannot load."""
    parser = argparse.ArgumentParser(prog="python -m backend", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8001, help="port to listen on")
    args = parser.parse_args(argv)
    limit_malloc_arenas()
    try:
        settings = Settings.from_env()
    except ConfigError as error:
        # A bad setting will not fix itself on restart: say which and exit as the frontend does.
        print(f"backend: configuration error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, json_lines=settings.log_json)
    server: DrainingServer | None = None

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
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        timeout_keep_alive=KEEP_ALIVE_S,
        # A connection gets HEADER_READ_TIMEOUT_S for its request line and headers (slowloris).
        http=header_timeout_protocol(),
    )
    server = DrainingServer(
        config,
        drain_s=settings.shutdown_drain_s,
        on_drain=lambda: setattr(app.state.backend, "draining", True),
    )
    server.run()
    if app.state.backend.load_error:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
