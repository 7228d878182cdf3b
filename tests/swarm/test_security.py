"""The deployed stack under the attacks of issue 10: encoded paths, a console bomb, guessing."""

from __future__ import annotations

import http.client
import threading
import time
from urllib.parse import urlsplit

import httpx

from testkit.csrf import csrf_token_in
from tests.swarm.marks import SWARM_MARKS
from tests.swarm.stack import Stack

pytestmark = SWARM_MARKS

ADMIN_MARKERS = ("Export CSV", 'id="history-list"', "translation_frontend_", 'id="sql"')


def raw_status(base_url: str, method: str, target: str) -> tuple[int, str]:
    """Send `target` exactly as written (no client-side normalisation)."""
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        conn.putheader("Content-Length", "0")
        conn.endheaders()
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def test_encoded_paths_do_not_reach_the_operators_pages(deployed: Stack) -> None:
    """/%2fquery once slipped past the admin router: Traefik now refuses it with 400."""
    for target in ("/%2fquery", "/%2Fhistory", "/%2fhistory/1", "/%2fmetrics", "/%5cquery"):
        for method in ("GET", "POST"):
            status, body = raw_status(deployed.base_url, method, target)
            assert status == 400, (method, target, status)
            assert not any(marker in body for marker in ADMIN_MARKERS)
    for target in ("//query", "/./query", "/QUERY", "/history/../query"):
        status, body = raw_status(deployed.base_url, "GET", target)
        assert status in (301, 308, 401, 404), (target, status)
        assert not any(marker in body for marker in ADMIN_MARKERS)


def test_a_console_bomb_is_refused_or_bounded_and_the_site_stays_up(
    deployed: Stack, admin_credentials: tuple[str, str]
) -> None:
    slowest = [0.0]
    stop = threading.Event()

    def probe() -> None:
        with httpx.Client(timeout=5) as client:
            while not stop.is_set():
                started = time.monotonic()
                assert client.get(deployed.base_url + "/healthz").status_code == 200
                slowest[0] = max(slowest[0], time.monotonic() - started)
                stop.wait(0.1)

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    with httpx.Client(base_url=deployed.base_url, auth=admin_credentials, timeout=60) as client:
        for sql, said in [
            ("SELECT 1 AS $$, @@datadir AS $$", "Refused:"),
            ("SET SESSION max_execution_time=0", "Refused:"),
            ("SELECT GET_LOCK('ut_migrations', 0)", "Refused:"),
            ("SELECT REPEAT('x', 999999999) FROM translations", "row"),
            ("SELECT BENCHMARK(10000000000, SHA2('x', 512))", "limit"),
        ]:
            token = csrf_token_in(client.get("/query").text)
            started = time.monotonic()
            response = client.post("/query", data={"sql": sql, "csrf_token": token})
            assert time.monotonic() - started < 8.0, sql
            assert said in response.text, (sql, response.text[-1500:])
            assert len(response.content) < 3 * 1024 * 1024
    stop.set()
    prober.join(timeout=10)
    assert slowest[0] < 1.0, slowest[0]


def test_guessing_the_admin_password_is_throttled(
    deployed: Stack, admin_credentials: tuple[str, str]
) -> None:
    """Each frontend replica throttles wrong passwords; the 429 says when to retry."""
    wrong = (admin_credentials[0], "certainly-not-the-password")
    throttled: httpx.Response | None = None
    with httpx.Client(base_url=deployed.base_url, timeout=30) as client:
        for _ in range(40):
            response = client.get("/history", auth=wrong)
            assert response.status_code in (401, 429)
            if response.status_code == 429 and "wrong passwords" in response.text:
                throttled = response
                break
        assert throttled is not None, "no throttle after 40 wrong passwords"
        assert int(throttled.headers["retry-after"]) >= 1
        # The lock is short at first (doubling from 1 s): the operator gets back in, on
        # whichever replica (each has its own count, so allow a few waits).
        deadline = time.monotonic() + 60
        status = 429
        while status == 429 and time.monotonic() < deadline:
            time.sleep(int(throttled.headers["retry-after"]) + 1)
            status = client.get("/history", auth=admin_credentials).status_code
        assert status == 200
