"""The resources one running app owns, opened before serving and closed after."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from quart import current_app

from frontend.config import Settings
from frontend.metrics import Metrics

EXTENSION_KEY = "frontend"


@dataclass
class AppState:
    """Settings, metrics and the resources opened by the lifespan (None until serving starts)."""

    settings: Settings
    metrics: Metrics
    resources: Any = field(default=None)
    #: The login check and rate limits (frontend.access.Gate), built before serving.
    gate: Any = field(default=None)
    #: Set on SIGTERM: /readyz says 503 so the load balancer stops sending new requests here.
    draining: bool = False


def app_state() -> AppState:
    """Return the current app's state (inside a request or app context)."""
    return current_app.extensions[EXTENSION_KEY]
