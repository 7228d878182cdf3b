"""The frontend's in-memory tables stay within their bounds, however many clients come by.

(make bench's soak reports these bounds; a flood of addresses must not grow memory.)
"""

from __future__ import annotations

import pytest
from frontend import ratelimit, throttle
from frontend.ratelimit import RateLimiter
from frontend.storage.errors import StorageUnavailable
from frontend.storage.models import NewTranslation
from frontend.storage.pending import PendingSaves
from frontend.throttle import LoginThrottle
from hypothesis import given, settings
from hypothesis import strategies as st

#: A small bound instead of the real 10,000, so that examples stay fast.
BOUND = 50


@settings(deadline=None)
@given(clients=st.integers(0, 4 * BOUND))
def test_the_rate_limiter_tracks_at_most_its_bound(clients: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ratelimit, "_MAX_TRACKED", BOUND)
        limiter = RateLimiter(rate_per_s=1.0, burst=1, clock=lambda: 0.0)
        for number in range(clients):
            limiter.take(f"203.0.113.{number}")
        assert len(limiter._buckets) == min(clients, BOUND)


def test_the_rate_limiter_forgets_the_least_recently_seen_client_first() -> None:
    """A forgotten client starts again with a full bucket: the bound costs at most one burst."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ratelimit, "_MAX_TRACKED", BOUND)
        limiter = RateLimiter(rate_per_s=0.001, burst=1, clock=lambda: 0.0)
        assert limiter.take("first") is None
        assert limiter.take("first") is not None  # its one token is spent
        for number in range(BOUND):
            limiter.take(f"other-{number}")
        assert limiter.take("first") is None


@settings(deadline=None)
@given(clients=st.integers(0, 4 * BOUND))
def test_the_login_throttle_tracks_at_most_its_bound(clients: int) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(throttle, "_MAX_TRACKED", BOUND)
        login = LoginThrottle(clock=lambda: 0.0)
        for number in range(clients):
            login.failed(f"198.51.100.{number}", f"user{number}", trusted_device=False)
        assert len(login._clients) == min(clients, BOUND)
        assert len(login._accounts) == min(clients, BOUND)


class _Repository:
    """Stands in for the database: refuses while `down`, else hands out ids."""

    def __init__(self) -> None:
        self.down = True
        self.saved = 0

    async def save(self, new: NewTranslation) -> int:
        if self.down:
            raise StorageUnavailable("database is locked")
        self.saved += 1
        return self.saved


def _translation(number: int) -> NewTranslation:
    text = f"Satz {number}."
    return NewTranslation(text, text, "de", "en", "m", "e", 1, len(text), 2, 1)


@settings(deadline=None)
@given(translations=st.integers(1, 4 * BOUND))
async def test_pending_saves_remember_at_most_their_bound_of_outcomes(translations: int) -> None:
    """Every waiting translation is remembered; once saved, only the newest `bound` outcomes."""
    repository = _Repository()
    pending = PendingSaves(repository, max_items=4 * BOUND, remembered_outcomes=BOUND)
    tickets = [(await pending.save(_translation(n))).ticket for n in range(translations)]
    assert all(pending.status(ticket).state == "pending" for ticket in tickets)
    repository.down = False
    assert await pending.retry_now()
    assert len(pending._outcomes) == min(translations, BOUND)
    assert pending.status(tickets[-1]).state == "saved"
