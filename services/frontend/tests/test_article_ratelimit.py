"""The per-client article rate limit and how a client is recognised behind Traefik."""

from __future__ import annotations

from frontend.articles.ratelimit import RateLimiter, client_key
from hypothesis import given
from hypothesis import strategies as st


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@given(st.integers(1, 20), st.integers(0, 40))
def test_at_most_the_limit_passes_within_a_minute(limit, attempts):
    limiter = RateLimiter(limit, clock=Clock())
    passed = sum(limiter.try_acquire("client") == 0 for _ in range(attempts))
    assert passed == min(limit, attempts)


def test_the_refusal_says_when_to_come_back_and_the_window_slides():
    clock = Clock()
    limiter = RateLimiter(2, clock=clock)
    assert limiter.try_acquire("a") == 0
    clock.now += 20
    assert limiter.try_acquire("a") == 0
    clock.now += 10
    assert limiter.try_acquire("a") == 30  # the first event leaves the window in 30 s
    assert limiter.try_acquire("b") == 0  # another client is not affected
    clock.now += 30
    assert limiter.try_acquire("a") == 0


def test_forgotten_clients_start_afresh():
    limiter = RateLimiter(1, max_clients=2, clock=Clock())
    for client in ("a", "b", "c"):
        assert limiter.try_acquire(client) == 0
    assert limiter.try_acquire("a") == 0  # "a" was the least recently seen and was dropped
    assert limiter.try_acquire("c") > 0


def test_behind_a_private_proxy_the_last_forwarded_address_is_the_client():
    assert client_key("10.0.1.5", "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    assert client_key("127.0.0.1", None) == "127.0.0.1"


def test_a_public_peer_cannot_choose_its_key_with_a_header():
    assert client_key("93.184.216.34", "1.2.3.4") == "93.184.216.34"
