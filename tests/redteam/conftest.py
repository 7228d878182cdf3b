"""The red team's target: `make run` itself (real Traefik, backend and frontend), seeded.

One app for the whole suite, small limits so that attacks are cheap to send: MAX_TEXT_CHARS
5,000 (body limit 124 KiB), a 2 s console timeout, and a 3 s cap on the login lockout so the
brute-force test does not lock the other tests out for long.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from testkit.csrf import csrf_token_in
from tests.local_app import LocalApp, running
from tests.redteam.watch import Services, fingerprint, services_of

MAX_TEXT_CHARS = 5_000
BODY_LIMIT_BYTES = 12 * MAX_TEXT_CHARS + 65_536
QUERY_TIMEOUT_S = 2.0
LOGIN_MAX_LOCKOUT_S = 3.0
SEED = ["Der Hund bellt laut.", "Die Katze schläft.", "Preis;=cmd|' /C calc'!A0"]
ENVIRONMENT = {
    "MAX_TEXT_CHARS": str(MAX_TEXT_CHARS),
    "QUERY_TIMEOUT_S": str(QUERY_TIMEOUT_S),
    "LOGIN_MAX_LOCKOUT_S": str(LOGIN_MAX_LOCKOUT_S),
    # Many console statements in a row: the console's own rate limit has its own tests.
    "QUERY_BURST": "500",
    "QUERY_RATE_PER_S": "50",
    # Traefik's admin-ratelimit likewise (its own test is the brute-force one, at 5/s).
    "ADMIN_RATE_BURST": "1000",
}


@dataclass
class Target:
    """The running app, its processes, the admin login and the SQLite file behind it."""

    app: LocalApp
    services: Services
    database: Path

    @property
    def url(self) -> str:
        return self.app.url

    @property
    def admin(self) -> tuple[str, str]:
        return self.app.admin

    def fingerprint(self) -> tuple[int, str]:
        """Count and checksum the stored translations."""
        return fingerprint(self.database)


def csrf_token(client: httpx.Client, path: str = "/") -> str:
    """Load a form page with this client's cookies and return its CSRF token."""
    page = client.get(path)
    assert page.status_code == 200, page.status_code
    return csrf_token_in(page.text)


def run_sql(client: httpx.Client, sql: str, *, csv: bool = False) -> httpx.Response:
    """POST one statement to the console (the client carries the admin login)."""
    token = csrf_token(client, "/query")
    path = "/query?format=csv" if csv else "/query"
    return client.post(path, data={"sql": sql, "csrf_token": token})


@pytest.fixture(scope="session")
def target(tiny_model: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """Run `make run` for the suite and store three translations through the page."""
    work_dir = tmp_path_factory.mktemp("redteam")
    with running(work_dir, tiny_model, ENVIRONMENT) as app:
        with httpx.Client(base_url=app.url, timeout=60) as client:
            token = csrf_token(client)
            for text in SEED:
                saved = client.post("/", data={"text": text, "csrf_token": token})
                assert saved.status_code == 200, saved.text[-500:]
        yield Target(app, services_of(app), work_dir / "translations.db")


@pytest.fixture
def operator(target: Target) -> Iterator[httpx.Client]:
    """A client signed in as the operator, through Traefik."""
    with httpx.Client(base_url=target.url, auth=target.admin, timeout=60) as client:
        yield client


@pytest.fixture
def anonymous(target: Target) -> Iterator[httpx.Client]:
    """A client without credentials, through Traefik."""
    with httpx.Client(base_url=target.url, timeout=60) as client:
        yield client
