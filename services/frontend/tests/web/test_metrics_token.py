"""The scrape token: METRICS_TOKEN as a bearer token opens /metrics, and nothing else.

Prometheus scrapes each frontend task directly (no Traefik in between), so the frontend alone
decides: the token opens the metrics, never the console or the history, and a wrong token is
refused and throttled like a wrong password.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest
from frontend import access
from frontend.app import create_app
from frontend.config import ConfigError, Secret, Settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from quart import Quart
from quart.typing import TestClientProtocol as Client

TOKEN = "0123456789abcdef" * 4  # as secrets/create.sh writes it: 64 hex characters
STRONG_KEY = "k" * 40
PROMETHEUS = {"X-Forwarded-For": "10.0.1.5"}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def serving(settings_: Settings) -> AsyncIterator[Quart]:
    app = create_app(settings_)
    async with app.test_app():
        yield app


@pytest.fixture
async def token_app(make_settings: Callable[..., Settings]) -> AsyncIterator[Quart]:
    """Serve an app with a scrape token configured (and the usual operator login)."""
    async for app in serving(make_settings(metrics_token=Secret(TOKEN))):
        yield app


@pytest.fixture
def scraper(token_app: Quart) -> Client:
    """Return a client that sends no operator login (as Prometheus)."""
    client = token_app.test_client()
    client.credentials = None
    return client


async def test_the_token_opens_the_metrics(scraper) -> None:
    response = await scraper.get("/metrics", headers=bearer(TOKEN))
    assert response.status_code == 200
    assert "translation_frontend_" in await response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


async def test_the_operators_login_still_opens_the_metrics(token_app) -> None:
    response = await token_app.test_client().get("/metrics")
    assert response.status_code == 200
    assert "translation_frontend_" in await response.get_data(as_text=True)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        bearer(TOKEN[:-1]),
        bearer(TOKEN + "0"),
        bearer(TOKEN.upper()),
        bearer(""),
        {"Authorization": "Bearer"},
        bearer("x" * 10_000),
        {"Authorization": f"Token {TOKEN}"},
    ],
    ids=["none", "short", "long", "case", "empty", "bare", "huge", "other-scheme"],
)
async def test_a_missing_or_wrong_token_is_refused(scraper, headers) -> None:
    response = await scraper.get("/metrics", headers=headers)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")
    assert "translation_frontend_" not in await response.get_data(as_text=True)


async def test_the_token_opens_no_other_endpoint(token_app, scraper) -> None:
    """Every endpoint behind the login, every method: the token alone is a 401."""
    tried = 0
    for rule in token_app.url_map.iter_rules():
        if rule.endpoint in access.PUBLIC_ENDPOINTS | access.SCRAPE_ENDPOINTS:
            continue
        path = rule.rule.replace("<int:translation_id>", "1")
        for method in sorted(rule.methods - {"OPTIONS"}):
            response = await scraper.open(path, method=method, headers=bearer(TOKEN))
            assert response.status_code == 401, (method, path)
            tried += 1
    assert tried >= 5, "the app's operator endpoints were not found"
    assert {"ops.metrics"} == access.SCRAPE_ENDPOINTS, "the token must open the metrics only"


async def test_the_token_does_not_open_a_page_of_a_public_view_that_asks_for_the_operator(
    scraper,
) -> None:
    """A stored document's page without its key wants the operator (require_operator)."""
    response = await scraper.get("/documents/1", headers=bearer(TOKEN))
    assert response.status_code in {401, 404}
    assert response.status_code != 200


async def test_without_a_configured_token_no_bearer_token_opens_the_metrics(
    anonymous_client,
) -> None:
    for token in ("", TOKEN):
        response = await anonymous_client.get("/metrics", headers=bearer(token))
        assert response.status_code == 401, token


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(token=st.text(st.characters(min_codepoint=33, max_codepoint=126), min_size=1))
async def test_any_other_token_is_refused(make_settings, token) -> None:
    if token == TOKEN:
        return
    app = create_app(make_settings(metrics_token=Secret(TOKEN)))
    async with app.test_app():
        client = app.test_client()
        client.credentials = None
        response = await client.get("/metrics", headers=bearer(token))
    assert response.status_code == 401


async def test_the_gate_never_shows_the_token(token_app) -> None:
    gate = token_app.extensions["frontend"].gate
    assert gate.metrics_token == TOKEN.encode()
    assert TOKEN not in repr(gate)


async def test_the_token_is_compared_in_constant_time(scraper, monkeypatch) -> None:
    compared = []
    real = access.hmac.compare_digest
    monkeypatch.setattr(
        access.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b)
    )
    assert (await scraper.get("/metrics", headers=bearer(TOKEN))).status_code == 200
    assert (await scraper.get("/metrics", headers=bearer("f" * 64))).status_code == 401
    assert len(compared) == 2


async def test_wrong_tokens_are_throttled_like_wrong_passwords(scraper) -> None:
    guesser = {"X-Forwarded-For": "203.0.113.9"}
    for _ in range(5):
        wrong = await scraper.get("/metrics", headers={**bearer("f" * 64), **guesser})
        assert wrong.status_code == 401
    refused = await scraper.get("/metrics", headers={**bearer(TOKEN), **guesser})
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Try again in" in await refused.get_data(as_text=True)


async def test_guessing_tokens_from_many_addresses_never_locks_prometheus_out(
    make_settings,
) -> None:
    """Failures count per client only: no account lock for the token."""
    async for app in serving(make_settings(metrics_token=Secret(TOKEN), login_account_failures=3)):
        client = app.test_client()
        client.credentials = None
        for n in range(20):
            headers = {**bearer("f" * 64), "X-Forwarded-For": f"203.0.113.{n}"}
            assert (await client.get("/metrics", headers=headers)).status_code == 401
        response = await client.get("/metrics", headers={**bearer(TOKEN), **PROMETHEUS})
        assert response.status_code == 200


async def test_wrong_tokens_and_wrong_passwords_share_the_clients_allowance(scraper) -> None:
    """A guesser cannot get five free guesses of each kind."""
    guesser = {"X-Forwarded-For": "203.0.113.10"}
    for _ in range(3):
        await scraper.get("/history", auth=("operator", "x"), headers=guesser)
    for _ in range(2):
        await scraper.get("/metrics", headers={**bearer("f" * 64), **guesser})
    refused = await scraper.get("/metrics", headers={**bearer(TOKEN), **guesser})
    assert refused.status_code == 429


def test_the_token_is_read_from_its_file(tmp_path) -> None:
    path = tmp_path / "metrics_token"
    path.write_text(TOKEN + "\n")
    env = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": STRONG_KEY,
        "ADMIN_USERS_FILE": "u",
        "METRICS_TOKEN_FILE": str(path),
    }
    settings_ = Settings.from_env(env)
    assert settings_.metrics_token.get() == TOKEN
    assert TOKEN not in repr(settings_)


def test_outside_development_an_empty_token_means_operator_login_only() -> None:
    env = {"ENVIRONMENT": "production", "SECRET_KEY": STRONG_KEY, "ADMIN_USERS_FILE": "u"}
    assert Settings.from_env(env).metrics_token.get() == ""


@pytest.mark.parametrize("token", ["changeme", "secret", "0123456789abcdef"])
def test_outside_development_a_short_token_is_refused_without_showing_it(token) -> None:
    env = {
        "ENVIRONMENT": "production",
        "SECRET_KEY": STRONG_KEY,
        "ADMIN_USERS_FILE": "u",
        "METRICS_TOKEN": token,
    }
    with pytest.raises(ConfigError, match="METRICS_TOKEN") as refused:
        Settings.from_env(env)
    assert token not in str(refused.value)
