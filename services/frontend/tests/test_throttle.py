"""The login throttle and the rate limiter, on a fake clock: no event loop, no sleeping."""

from __future__ import annotations

import pytest
from frontend.ratelimit import RateLimiter
from frontend.throttle import LoginThrottle
from hypothesis import given
from hypothesis import strategies as st


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def fail(throttle: LoginThrottle, client: str, times: int, *, account: str = "admin") -> None:
    for _ in range(times):
        throttle.failed(client, account, trusted_device=False)


def test_a_client_waits_after_its_free_failures_and_the_wait_doubles(clock: Clock) -> None:
    throttle = LoginThrottle(client_failures=3, account_failures=100, clock=clock)
    fail(throttle, "10.0.0.1", 2)
    assert throttle.retry_after_s("10.0.0.1", "admin", trusted_device=False) is None
    fail(throttle, "10.0.0.1", 1)
    assert throttle.retry_after_s("10.0.0.1", "admin", trusted_device=False) == 1
    fail(throttle, "10.0.0.1", 3)
    assert throttle.retry_after_s("10.0.0.1", "admin", trusted_device=False) == 8


def test_the_wait_is_capped(clock: Clock) -> None:
    throttle = LoginThrottle(client_failures=1, max_lockout_s=60, clock=clock)
    fail(throttle, "10.0.0.1", 40)
    assert throttle.retry_after_s("10.0.0.1", "x", trusted_device=True) == 60


def test_the_wait_ends(clock: Clock) -> None:
    throttle = LoginThrottle(client_failures=1, clock=clock)
    fail(throttle, "10.0.0.1", 3)
    clock.now += 4.01
    assert throttle.retry_after_s("10.0.0.1", "admin", trusted_device=True) is None


def test_a_success_clears_the_clients_failures(clock: Clock) -> None:
    throttle = LoginThrottle(client_failures=2, clock=clock)
    fail(throttle, "10.0.0.1", 1)
    throttle.succeeded("10.0.0.1")
    fail(throttle, "10.0.0.1", 1)
    assert throttle.retry_after_s("10.0.0.1", "admin", trusted_device=False) is None


def test_guessers_from_many_addresses_lock_the_account_for_strangers(clock: Clock) -> None:
    throttle = LoginThrottle(client_failures=5, account_failures=10, clock=clock)
    for n in range(10):
        fail(throttle, f"10.0.1.{n}", 1)
    assert throttle.retry_after_s("10.9.9.9", "admin", trusted_device=False) == 1
    assert throttle.retry_after_s("10.9.9.9", "other", trusted_device=False) is None


def test_the_account_lock_does_not_lock_out_a_device_that_logged_in_before(clock: Clock) -> None:
    """A guesser elsewhere cannot lock the operator out: the operator's browser is exempt."""
    throttle = LoginThrottle(client_failures=5, account_failures=10, clock=clock)
    for n in range(200):
        fail(throttle, f"10.0.{n // 250}.{n % 250}", 1)
    assert throttle.retry_after_s("192.0.2.1", "admin", trusted_device=False) == 900
    assert throttle.retry_after_s("192.0.2.1", "admin", trusted_device=True) is None


def test_tables_stay_bounded_under_a_flood_of_addresses(clock: Clock) -> None:
    throttle = LoginThrottle(clock=clock)
    for n in range(12_000):
        throttle.failed(f"c{n}", f"a{n}", trusted_device=False)
    assert len(throttle._clients) <= 10_000
    assert len(throttle._accounts) <= 10_000


def test_the_bucket_grants_a_burst_then_the_sustained_rate(clock: Clock) -> None:
    limiter = RateLimiter(rate_per_s=2.0, burst=3, clock=clock)
    assert [limiter.take("a") for _ in range(3)] == [None, None, None]
    assert limiter.take("a") == 1
    assert limiter.take("b") is None
    clock.now += 0.5
    assert limiter.take("a") is None
    assert limiter.take("a") == 1


def test_a_slow_bucket_says_how_long_to_wait(clock: Clock) -> None:
    limiter = RateLimiter(rate_per_s=0.1, burst=1, clock=clock)
    limiter.take("a")
    assert limiter.take("a") == 10


@given(st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=60))
def test_no_client_gets_more_than_burst_plus_rate_times_time(gaps: list[float]) -> None:
    clock = Clock()
    limiter = RateLimiter(rate_per_s=1.0, burst=4, clock=clock)
    granted = 0
    start = clock.now
    for gap in gaps:
        clock.now += gap
        granted += limiter.take("a") is None
    assert granted <= 4 + (clock.now - start) * 1.0 + 1e-9
