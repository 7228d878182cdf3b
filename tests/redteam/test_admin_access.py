"""The operator's pages under attack: path tricks, the frontend's own port, password guessing."""

from __future__ import annotations

import base64
import http.client
import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import httpx
import pytest

from tests.redteam.conftest import LOGIN_MAX_LOCKOUT_S, Target, run_sql
from tests.redteam.watch import watching

ADMIN_PATHS = ["/query", "/history", "/history/1", "/metrics"]
# Only the operator's pages contain these; an anonymous answer must carry none of them.
ADMIN_MARKERS = ("Export CSV", 'id="history-list"', "translation_frontend_", 'id="sql"')


def spellings(path: str) -> list[str]:
    """The path as proxies and servers have been known to read differently (issue 10)."""
    name = path.lstrip("/")
    first, rest = name[0], name[1:]
    return [
        f"/%2f{name}", f"/%2F{name}", f"//{name}", f"///{name}", f"/./{name}", f"/x/../{name}",
        f"/%252f{name}", f"/%25%32%66{name}", f"/%5c{name}", f"/%5C{name}", f"/\\{name}",
        f"/{name.upper()}", f"/{name.capitalize()}", f"/%{ord(first):02x}{rest}",
        f"/%{ord(first):02X}{rest}", f"/{name}/", f"/{name}%2f", f"/{name};x", f"/{name}%3b",
        f"/{name}%00", f"/.%2f{name}", f"/%2e/{name}", f"/%2e%2e/{name}", f"/api/..%2f{name}",
        f"/api/%2e%2e/{name}", f"/static/..%2f{name}", f"/static/../{name}",
        f"/{name}?x=%2f", f"/{name}%23", f"/{name}%3f",
    ]  # fmt: skip


def raw(url: str, method: str, target: str, headers: dict[str, str] | None = None):
    """Send `target` exactly as written (no client-side normalisation); return status and body."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        conn.putheader("Content-Length", "0")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize("path", ADMIN_PATHS)
@pytest.mark.parametrize("entry", ["traefik", "frontend port"])
def test_no_spelling_of_an_operator_path_gets_in_anonymously(
    target: Target, path: str, entry: str
) -> None:
    url = target.url if entry == "traefik" else target.services.frontend_url
    # 429: Traefik's admin-ratelimit, which answers a burst of tries before anything else.
    allowed = {400, 401, 403, 404, 405, 308, 301, 429}
    for spelled in [path, *spellings(path)]:
        for method in ("GET", "POST"):
            status, body = raw(url, method, spelled)
            assert status in allowed, (entry, method, spelled, status)
            assert not any(marker in body for marker in ADMIN_MARKERS), (entry, method, spelled)


@pytest.mark.parametrize(
    "spelled", ["/%2fquery", "/%2Fhistory", "/%5cquery", "/query%00", "/%252fquery", "/%3bquery"]
)
def test_traefik_refuses_ambiguous_encodings_outright(target: Target, spelled: str) -> None:
    """400 at the entrypoint, whatever the method and even with the right password."""
    for method in ("GET", "POST"):
        status, _ = raw(target.url, method, spelled, basic(*target.admin))
        assert status == 400, (method, spelled, status)


def test_the_operator_gets_in_and_pages_are_not_cached(operator: httpx.Client) -> None:
    for path in ("/query", "/history", "/metrics"):
        response = operator.get(path)
        assert response.status_code == 200, path
        assert response.headers["cache-control"] == "no-store", path


def test_the_frontend_checks_the_password_itself(target: Target) -> None:
    """Straight to the frontend's port: no proxy in front, and still no way in without it."""
    with httpx.Client(base_url=target.services.frontend_url, timeout=30) as direct:
        assert direct.get("/query").status_code == 401
        assert direct.get("/query", auth=(target.admin[0], "wrong")).status_code == 401
        assert direct.get("/query", auth=target.admin).status_code == 200
        token_page = direct.get("/query", auth=target.admin)
        assert "Export CSV" in token_page.text


@pytest.mark.slow
def test_password_guessing_is_throttled_cheaply_and_logged(target: Target) -> None:
    """16 parallel guessers: 429s come quickly, the site stays fast, the frontend logs them."""
    wrong = (target.admin[0], "not-the-password")
    statuses: list[int] = []
    retry_after: list[str] = []
    started = time.monotonic()

    def guess(_: int) -> None:
        with httpx.Client(base_url=target.url, timeout=30) as guesser:
            for _ in range(8):
                response = guesser.get("/history", auth=wrong)
                statuses.append(response.status_code)
                if response.status_code == 429:
                    retry_after.append(response.headers.get("retry-after", ""))

    with watching(target.app, target.services), ThreadPoolExecutor(16) as pool:
        list(pool.map(guess, range(16)))
    assert set(statuses) <= {401, 429}
    assert statuses.count(429) >= len(statuses) // 2, statuses
    assert all(value.isdigit() for value in retry_after)
    assert time.monotonic() - started < 30
    # The right password from the throttled client waits too (refused before bcrypt).
    with httpx.Client(base_url=target.url, timeout=30) as operator:
        assert operator.get("/history", auth=target.admin).status_code == 429
        time.sleep(LOGIN_MAX_LOCKOUT_S + 1.5)
        assert operator.get("/history", auth=target.admin).status_code == 200
    log = (target.app.run_dir / "logs" / "frontend.log").read_text(errors="replace")
    failures = [json.loads(line) for line in log.splitlines() if '"login failed"' in line]
    assert failures, "wrong passwords are logged"
    assert failures[-1]["client"] == "127.0.0.1"
    assert "not-the-password" not in log


def test_the_console_still_works_for_the_operator(operator: httpx.Client) -> None:
    response = run_sql(operator, "SELECT COUNT(*) AS n FROM translations")
    assert response.status_code == 200
    assert "<td>3</td>" in response.text
