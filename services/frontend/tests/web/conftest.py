"""Fixtures of the web tests: settings → app (lifespan running) → test client, offline or live."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import bcrypt
import pytest
from frontend.app import create_app
from frontend.config import Secret, Settings
from frontend.resources import Resources
from frontend.state import EXTENSION_KEY
from quart import Quart
from quart.testing import QuartClient
from quart.typing import TestClientProtocol

from testkit.csrf import csrf_token_in
from testkit.servers import ServerProcess, free_port, python_module, sqlite_frontend_env

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'
#: The operator's login in every test app's users file (bcrypt at the cheapest cost, 4); the
#: same pair is spelled out in test_access.py.
OPERATOR = ("operator", "correct horse battery staple")


def write_users_file(path: Path, user: str = OPERATOR[0], password: str = OPERATOR[1]) -> Path:
    """Write an htpasswd file with one bcrypt account, as `htpasswd -B` would."""
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()
    path.write_text(f"{user}:$2y${hashed.removeprefix('$2b$')}\n", encoding="utf-8")
    return path


class OperatorClient(QuartClient):
    """A test client that signs in as the operator, unless its `credentials` are set to None.

    Its requests come from 127.0.0.1 (a trusted proxy by default, as Traefik is in `make run`),
    so that a test's X-Forwarded-For header stands for the client's address.
    """

    credentials: tuple[str, str] | None = OPERATOR

    def _defaults(self, kwargs: dict) -> dict:
        if "auth" not in kwargs and self.credentials is not None:
            kwargs["auth"] = self.credentials
        kwargs.setdefault("scope_base", {"client": ("127.0.0.1", 40000)})
        return kwargs

    async def open(self, path: str, *args: object, **kwargs: object):
        return await super().open(path, *args, **self._defaults(kwargs))

    def request(self, path: str, *args: object, **kwargs: object):
        return super().request(path, *args, **self._defaults(kwargs))


@pytest.fixture
def operator_login() -> tuple[str, str]:
    """Return the operator's name and password in every test app's users file."""
    return OPERATOR


@pytest.fixture(autouse=True)
def _operator_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every app's test client signs in as the operator (tests of the login opt out)."""
    monkeypatch.setattr(Quart, "test_client_class", OperatorClient)


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
            # The unreachable backend fails at once: the wait for a replica has its own tests.
            "backend_unavailable_wait_s": 0.0,
            "backend_read_timeout_s": 60.0,
            "admin_users_file": str(write_users_file(tmp_path / "admin_users")),
        }
        values.update(changes)
        return Settings(**values)

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
def anonymous_client(offline_app: Quart) -> TestClientProtocol:
    """Return a test client of the offline app that sends no credentials."""
    client = offline_app.test_client()
    client.credentials = None
    return client


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
    return csrf_token_in(await response.get_data(as_text=True))


@pytest.fixture
def csrf_token() -> Callable[[TestClientProtocol], Awaitable[str]]:
    """Return `await csrf_token(client)`: load a form page, return the session's CSRF token."""
    return _csrf_token


@pytest.fixture
def resources_of() -> Callable[[Quart], Resources]:
    """Return a getter of the resources an app opened before serving (repository, console...)."""
    return lambda app: app.extensions[EXTENSION_KEY].resources


@contextlib.contextmanager
def browser_frontend(backend_url: str, database: Path, log_path: Path) -> Iterator[ServerProcess]:
    """Run `python -m frontend` for the browser tests on `database` (SQLite) and a free port."""
    users = write_users_file(database.parent / "admin_users")
    extra = {
        "ADMIN_USERS_FILE": str(users),
        # The browser tests translate dozens of times from one address; the per-client limit
        # itself is tested in test_access.py and tests/redteam/.
        "TRANSLATE_RATE_PER_S": "1000",
        "TRANSLATE_BURST": "1000",
    }
    env = sqlite_frontend_env(backend_url, database, extra)
    with python_module(
        "frontend", port=free_port(), ready_path="/readyz", log_path=log_path, env=env
    ) as server:
        yield server


@pytest.fixture
def start_browser_frontend() -> Callable[[str, Path, Path], contextlib.AbstractContextManager]:
    """Return browser_frontend, for a test that needs a frontend of its own."""
    return browser_frontend


@pytest.fixture(scope="module")
def frontend_url(
    backend_url: str, test_output_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Run `python -m frontend` (real backend, fresh SQLite file) on a free port; yield its URL."""
    database = tmp_path_factory.mktemp("frontend-db") / "translations.db"
    log_path = test_output_dir / "logs" / "frontend-browser.log"
    with browser_frontend(backend_url, database, log_path) as server:
        yield server.base_url


AXE_SCRIPT = Path(__file__).parent / "node" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_script() -> str:
    """Return axe-core's script (npm, pinned in node/package-lock.json) for injecting into pages."""
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `make browser-deps` (npm ci of axe-core)")
    return AXE_SCRIPT.read_text(encoding="utf-8")
