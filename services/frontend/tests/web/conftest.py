"""Fixtures of the web tests: settings → app (lifespan running) → test client, offline or live."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from frontend.app import create_app
from frontend.config import Secret, Settings
from frontend.resources import Resources
from frontend.state import EXTENSION_KEY
from quart import Quart
from quart.typing import TestClientProtocol

from testkit.servers import free_port, python_server

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """Return a builder of test settings: a fresh SQLite file, a fixed strong key, no backend."""

    def make(**changes: object) -> Settings:
        values: dict[str, object] = {
            "environment": "test",
            "database_url": f"sqlite+aiosqlite:///{tmp_path / 'translations.db'}",
            "secret_key": Secret("test-secret-key-" + "x" * 32),
            # Nothing listens on a fresh free port: the backend is unreachable unless overridden.
            "backend_url": f"http://127.0.0.1:{free_port()}",
            "backend_connect_timeout_s": 2.0,
            "backend_read_timeout_s": 60.0,
        }
        values.update(changes)
        return Settings(**values).validated()  # type: ignore[arg-type]

    return make


async def _serving(settings: Settings) -> AsyncIterator[Quart]:
    app = create_app(settings)
    async with app.test_app():
        yield app


@pytest.fixture
async def offline_app(make_settings: Callable[..., Settings]) -> AsyncIterator[Quart]:
    """Serve an app whose backend is unreachable (pages, history, console, faults)."""
    async for app in _serving(make_settings()):
        yield app


@pytest.fixture
def offline_client(offline_app: Quart) -> TestClientProtocol:
    """Return a test client (with a cookie jar) of the offline app."""
    return offline_app.test_client()


@pytest.fixture
async def live_app(
    make_settings: Callable[..., Settings], backend_url: str
) -> AsyncIterator[Quart]:
    """Serve an app talking to the real backend (tiny random model)."""
    async for app in _serving(make_settings(backend_url=backend_url)):
        yield app


@pytest.fixture
def live_client(live_app: Quart) -> TestClientProtocol:
    """Return a test client of the live app."""
    return live_app.test_client()


async def _csrf_token(client: TestClientProtocol) -> str:
    response = await client.get("/")
    match = TOKEN.search(await response.get_data(as_text=True))
    assert match, "the translate page carries a CSRF token"
    return match.group(1)


@pytest.fixture
def csrf_token() -> Callable[[TestClientProtocol], Awaitable[str]]:
    """Return `await csrf_token(client)`: load a form page, return the session's CSRF token."""
    return _csrf_token


@pytest.fixture
def resources_of() -> Callable[[Quart], Resources]:
    """Return a getter of the resources an app opened before serving (repository, console...)."""
    return lambda app: app.extensions[EXTENSION_KEY].resources


@pytest.fixture(scope="module")
def frontend_url(
    backend_url: str, test_output_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run `python -m frontend` (real backend, fresh SQLite file) on a free port; yield its URL."""
    database = tmp_path_factory.mktemp("frontend-db") / "translations.db"
    env = {
        "BACKEND_URL": backend_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "ENVIRONMENT": "development",
    }
    with python_server(
        "frontend",
        port=free_port(),
        ready_path="/readyz",
        log_path=test_output_dir / "logs" / "frontend-browser.log",
        env=env,
    ) as url:
        yield url


AXE_SCRIPT = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_script() -> str:
    """Return axe-core's script (npm, pinned in node/package-lock.json) for injecting into pages."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `make browser-deps` (npm ci of axe-core)")
    return AXE_SCRIPT.read_text(encoding="utf-8")
