"""The frontend's own login: every operator page needs it, whatever the path's spelling.

The app is reached here without Traefik (as through the frontend's own port): the login, the
throttle and the rate limits must hold on their own.
"""

from __future__ import annotations

import logging

import bcrypt
import pytest
from frontend import access
from frontend.app import create_app
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import request
from werkzeug.exceptions import ServiceUnavailable

from testkit.csrf import csrf_token_in

# The login every test app knows (tests/web/conftest.py).
OPERATOR = ("operator", "correct horse battery staple")
ADMIN_PATHS = ["/query", "/history", "/history/1", "/metrics"]
# Words only the operator's pages contain: an anonymous answer must never carry them.
ADMIN_MARKERS = ("translation_frontend_", 'id="history-list"', "Export CSV", 'id="sql"')


def variants(path: str) -> list[str]:
    """Spellings of `path` that proxies and servers have been known to read differently."""
    name = path.lstrip("/")
    first, rest = name[0], name[1:]
    return [
        f"/%2f{name}", f"/%2F{name}", f"//{name}", f"/./{name}", f"/x/../{name}",
        f"/%252f{name}", f"\\{name}", f"/%5c{name}", f"/%5C{name}", f"/{name.upper()}",
        f"/{name.capitalize()}", f"/%{ord(first):02x}{rest}", f"/{name}/", f"/{name}%2f",
        f"/{name};x=1", f"/{name}%3b", f"/{name}?x=/", f"/{name}#x", f"///{name}",
        f"/.%2f{name}", f"/%2e/{name}", f"/{name}%00",
    ]  # fmt: skip


async def body_of(response) -> str:
    return await response.get_data(as_text=True)


async def shows_admin_content(response) -> bool:
    body = await body_of(response)
    return any(marker in body for marker in ADMIN_MARKERS)


@pytest.mark.parametrize("path", ADMIN_PATHS)
async def test_an_operator_page_challenges_anonymous_clients(anonymous_client, path) -> None:
    response = await anonymous_client.get(path)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert response.headers["Cache-Control"] == "no-store"
    assert not await shows_admin_content(response)


@pytest.mark.parametrize("path", ADMIN_PATHS)
async def test_a_wrong_password_is_refused(anonymous_client, path) -> None:
    response = await anonymous_client.get(path, auth=(OPERATOR[0], "wrong"))
    assert response.status_code == 401


async def test_the_right_password_opens_the_page_and_it_is_not_cached(offline_client) -> None:
    response = await offline_client.get("/query")
    assert response.status_code == 200
    assert "SQL console" in await body_of(response)
    assert response.headers["Cache-Control"] == "no-store"


async def test_posting_a_statement_needs_the_login_before_anything_else(anonymous_client) -> None:
    """No CSRF token, no form: the login refusal comes first (the statement is never read)."""
    response = await anonymous_client.post("/query?format=csv", form={"sql": "SELECT 1"})
    assert response.status_code == 401
    assert "text/csv" not in response.headers.get("Content-Type", "")


def test_every_endpoint_is_behind_the_login_unless_declared_public(offline_app) -> None:
    """Default deny: the public list is short and every other endpoint is guarded."""
    endpoints = {rule.endpoint for rule in offline_app.url_map.iter_rules()}
    assert endpoints >= access.PUBLIC_ENDPOINTS
    assert {"query.console", "query.run", "history.index", "history.detail", "ops.metrics"} <= (
        endpoints - access.PUBLIC_ENDPOINTS
    )


async def test_every_guarded_endpoint_refuses_anonymous_clients(offline_app) -> None:
    client = offline_app.test_client()
    client.credentials = None
    for rule in offline_app.url_map.iter_rules():
        if rule.endpoint in access.PUBLIC_ENDPOINTS:
            continue
        path = rule.rule.replace("<int:translation_id>", "1")
        for method in sorted(rule.methods - {"OPTIONS"}):
            response = await client.open(path, method=method)
            assert response.status_code == 401, (method, path)


@pytest.mark.parametrize("path", ADMIN_PATHS)
async def test_no_spelling_of_an_operator_path_gets_in_anonymously(anonymous_client, path) -> None:
    for variant in variants(path):
        for method in ("GET", "POST"):
            response = await anonymous_client.open(variant, method=method)
            assert response.status_code in {401, 403, 404, 405, 308}, (method, variant)
            assert not await shows_admin_content(response), variant


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    path=st.sampled_from(ADMIN_PATHS),
    data=st.data(),
)
async def test_random_case_and_percent_encoding_never_get_in(anonymous_client, path, data) -> None:
    """Each character kept, upper-cased or percent-encoded (once or twice) at random."""
    spelled = ""
    for char in path:
        how = data.draw(st.sampled_from(["keep", "upper", "encode", "double"]))
        hex_ = f"%{ord(char):02X}"
        spelled += {
            "keep": char,
            "upper": char.upper(),
            "encode": hex_,
            "double": "%25" + hex_[1:],
        }[how]
    response = await anonymous_client.get(spelled)
    assert response.status_code in {401, 404, 308}, spelled
    assert not await shows_admin_content(response), spelled


async def test_wrong_passwords_are_throttled_before_bcrypt_runs(
    anonymous_client, monkeypatch, caplog
) -> None:
    checks = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda *a: checks.append(1) or real(*a))
    caplog.set_level(logging.WARNING, logger="frontend.access")
    for _ in range(5):
        assert (await anonymous_client.get("/history", auth=(OPERATOR[0], "x"))).status_code == 401
    assert len(checks) == 5
    refused = await anonymous_client.get("/history", auth=OPERATOR)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Try again in" in await body_of(refused)
    assert len(checks) == 5, "a throttled attempt must not reach bcrypt"
    failures = [r for r in caplog.records if r.getMessage() == "login failed"]
    assert len(failures) == 5
    assert failures[0].client == "127.0.0.1"
    assert any(r.getMessage() == "login throttled" for r in caplog.records)


async def test_one_guessing_client_does_not_lock_out_another(anonymous_client) -> None:
    guesser = {"X-Forwarded-For": "203.0.113.7"}
    for _ in range(8):
        await anonymous_client.get("/history", auth=(OPERATOR[0], "x"), headers=guesser)
    operator = {"X-Forwarded-For": "198.51.100.1"}
    assert (
        await anonymous_client.get("/history", auth=OPERATOR, headers=operator)
    ).status_code == 200


async def test_a_distributed_guess_cannot_lock_out_the_operators_browser(make_settings) -> None:
    """After many failures from many addresses, strangers wait; the operator's device does not."""
    app = create_app(make_settings(login_account_failures=10))
    async with app.test_app() as test_app:
        operator = test_app.test_client()
        first = await operator.get("/history", headers={"X-Forwarded-For": "198.51.100.1"})
        assert first.status_code == 200
        assert access.DEVICE_COOKIE in first.headers.get("Set-Cookie", "")
        guessers = test_app.test_client()
        guessers.credentials = None
        for n in range(30):
            headers = {"X-Forwarded-For": f"203.0.113.{n}"}
            await guessers.get("/history", auth=(OPERATOR[0], "x"), headers=headers)
        stranger = await guessers.get(
            "/history", auth=OPERATOR, headers={"X-Forwarded-For": "192.0.2.50"}
        )
        assert stranger.status_code == 429
        again = await operator.get("/history", headers={"X-Forwarded-For": "192.0.2.51"})
        assert again.status_code == 200


async def test_forwarded_addresses_from_an_untrusted_peer_are_ignored(make_settings) -> None:
    """Only a trusted proxy's X-Forwarded-For counts: otherwise each guess could claim a new IP."""
    app = create_app(make_settings(trusted_proxies="192.0.2.0/24"))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        client.credentials = None
        for n in range(5):
            headers = {"X-Forwarded-For": f"203.0.113.{n}"}
            await client.get("/history", auth=(OPERATOR[0], "x"), headers=headers)
        response = await client.get(
            "/history", auth=OPERATOR, headers={"X-Forwarded-For": "1.2.3.4"}
        )
    assert response.status_code == 429


async def test_an_overlong_password_is_refused_without_bcrypt(
    anonymous_client, monkeypatch
) -> None:
    monkeypatch.setattr(bcrypt, "checkpw", lambda *a: pytest.fail("bcrypt ran"))
    response = await anonymous_client.get("/history", auth=(OPERATOR[0], "x" * 10_000))
    assert response.status_code == 401


async def test_without_a_users_file_the_operator_pages_are_off(make_settings) -> None:
    app = create_app(make_settings(environment="development", admin_users_file=""))
    async with app.test_app() as test_app:
        response = await test_app.test_client().get("/query")
        assert response.status_code == 503
        assert "ADMIN_USERS_FILE" in await body_of(response)
        assert (await test_app.test_client().get("/")).status_code == 200


async def test_translations_are_rate_limited_per_client_with_a_json_429(make_settings) -> None:
    app = create_app(make_settings(translate_burst=2, translate_rate_per_s=0.01))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        page = await body_of(await client.get("/"))
        token = csrf_token_in(page)
        headers = {"X-CSRF-Token": token}
        statuses = []
        for _ in range(3):
            response = await client.post(
                "/api/translate/stream", json={"text": "Hallo."}, headers=headers
            )
            statuses.append(response.status_code)
        form = await client.post("/", form={"text": "Hallo.", "csrf_token": token})
        elsewhere = await client.post(
            "/api/translate/stream", json={"text": "Hallo."},
            headers={**headers, "X-Forwarded-For": "198.51.100.3"},
        )  # fmt: skip
    # The backend is unreachable here: the first two get through to it (502/503), the third not.
    assert statuses[2] == 429
    assert 429 not in statuses[:2]
    assert response.headers["Retry-After"].isdigit()
    assert "Too many translations" in (await response.get_json())["error"]
    assert form.status_code == 429
    assert "Too many translations" in await body_of(form)
    assert elsewhere.status_code != 429


async def test_before_serving_the_operators_pages_fail_closed(make_settings) -> None:
    """Without the gate (the lifespan has not run), guarded endpoints answer 503, never 200."""
    app = create_app(make_settings())
    async with app.test_request_context("/query"):
        app.extensions["frontend"].gate = None
        request.url_rule = next(
            r for r in app.url_map.iter_rules() if r.endpoint == "query.console"
        )
        with pytest.raises(ServiceUnavailable):
            await access.guard()


def _cookie_attributes(response, name: str) -> set[str]:
    """Return the lower-cased attributes of the Set-Cookie header that sets cookie `name`."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(f"{name}="):
            return {part.strip().lower() for part in header.split(";")[1:]}
    raise AssertionError(f"no {name} cookie set: {response.headers.getlist('Set-Cookie')}")


@pytest.mark.parametrize("secure", [False, True])
async def test_cookies_are_http_only_same_site_and_secure_as_configured(
    make_settings, secure
) -> None:
    """The session and device cookies: HttpOnly, SameSite; Secure iff SESSION_COOKIE_SECURE."""
    app = create_app(make_settings(session_cookie_secure=secure))
    async with app.test_app() as test_app:
        client = test_app.test_client()
        page = await client.get("/")  # the session carries the page's CSRF token
        signed_in = await client.get("/history")  # the operator's login gives a device cookie
    session = _cookie_attributes(page, app.config["SESSION_COOKIE_NAME"])
    device = _cookie_attributes(signed_in, access.DEVICE_COOKIE)
    assert {"httponly", "samesite=lax"} <= session
    assert {"httponly", "samesite=strict"} <= device
    assert ("secure" in session) is secure
    assert ("secure" in device) is secure
