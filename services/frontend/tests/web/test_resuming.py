"""A broken backend stream over httpx.MockTransport: retried, resumed, every segment once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from frontend.backend_client import (
    BackendAbsent,
    BackendBroken,
    BackendClient,
    BackendFailed,
    BackendRejected,
    BackendStalled,
    BackendUnavailable,
)
from frontend.resuming import ResumingStream
from hypothesis import given, settings
from hypothesis import strategies as st

TEXTS = ["Eins. ", "Zwei. ", "Drei. ", "Vier. ", "Fünf."]
#: The tests' pause between two requests while no replica takes one (production: 0.5 s).
ABSENT_INTERVAL_S = 0.01
DONE = {"done": True, "segments": len(TEXTS), "duration_ms": 4.0, "model": "m", "engine": "e"}


def line(item: dict) -> bytes:
    return json.dumps(item, ensure_ascii=False).encode() + b"\n"


def segment_lines() -> list[bytes]:
    total = len(TEXTS)
    return [line({"index": i, "total": total, "text": t}) for i, t in enumerate(TEXTS)]


def cut_after(count: int, *, mid_line: bool = False) -> AsyncIterator[bytes]:
    """A body that sends `count` segments, then breaks like an incomplete chunked read."""

    async def body() -> AsyncIterator[bytes]:
        for chunk in segment_lines()[:count]:
            yield chunk
        if mid_line:
            yield b'{"index": %d, "tot' % count
        raise httpx.RemoteProtocolError("incomplete chunked read")

    return body()


def complete() -> bytes:
    return b"".join(segment_lines()) + line(DONE)


Handler = Callable[[httpx.Request], httpx.Response]


def counting(responses: list[Callable[[httpx.Request], httpx.Response]]) -> tuple[Handler, list]:
    """Answer the n-th request with responses[n] (the last one repeats); record each request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return responses[min(len(seen), len(responses)) - 1](request)

    return handler, seen


async def translate(
    handler: Handler, *, attempts: int = 3, absent_wait_s: float = 0.0
) -> tuple[list[str], ResumingStream]:
    http = httpx.AsyncClient(base_url="http://backend", transport=httpx.MockTransport(handler))
    backend = BackendClient(http, source_lang="de", target_lang="en")
    async with http:
        stream = await ResumingStream.open(
            backend,
            "Eins. Zwei.",
            request_id="req-12345678",
            attempts=attempts,
            backoff_s=0,
            absent_wait_s=absent_wait_s,
            absent_retry_interval_s=ABSENT_INTERVAL_S,
        )
        texts = [segment.text async for segment in stream]
    return texts, stream


@pytest.mark.parametrize("mid_line", [False, True])
async def test_a_stream_cut_after_some_segments_is_resumed_without_duplicates(
    *, mid_line: bool
) -> None:
    handler, seen = counting(
        [
            lambda _: httpx.Response(200, content=cut_after(2, mid_line=mid_line)),
            lambda _: httpx.Response(200, content=complete()),
        ]
    )
    texts, stream = await translate(handler)
    assert texts == TEXTS
    assert stream.done is not None
    assert stream.done.segments == len(TEXTS)
    assert len(seen) == 2


async def test_the_retry_sends_the_same_request_again() -> None:
    handler, seen = counting(
        [
            lambda _: httpx.Response(200, content=cut_after(1)),
            lambda _: httpx.Response(200, content=complete()),
        ]
    )
    await translate(handler)
    first, second = seen
    assert json.loads(first.content) == json.loads(second.content)
    assert first.headers["X-Request-ID"] == second.headers["X-Request-ID"] == "req-12345678"


async def test_a_stream_ending_without_its_done_line_is_resumed() -> None:
    early = b"".join(segment_lines()[:3])
    handler, seen = counting(
        [
            lambda _: httpx.Response(200, content=early),
            lambda _: httpx.Response(200, content=complete()),
        ]
    )
    texts, _ = await translate(handler)
    assert texts == TEXTS
    assert len(seen) == 2


async def test_a_stream_cut_every_time_fails_clearly_after_the_attempts() -> None:
    handler, seen = counting([lambda _: httpx.Response(200, content=cut_after(2))])
    with pytest.raises(BackendBroken, match="broke") as raised:
        await translate(handler, attempts=4)
    assert raised.value.status_code == 502
    assert len(seen) == 4


async def drain_into(received: list[str], stream: ResumingStream) -> None:
    async for segment in stream:
        received.append(segment.text)


async def test_segments_before_the_final_failure_are_each_yielded_once() -> None:
    handler, _ = counting([lambda _: httpx.Response(200, content=cut_after(2))])
    http = httpx.AsyncClient(base_url="http://backend", transport=httpx.MockTransport(handler))
    backend = BackendClient(http, source_lang="de", target_lang="en")
    received: list[str] = []
    async with http:
        stream = await ResumingStream.open(
            backend, "x", request_id="req-12345678", attempts=3, backoff_s=0
        )
        with pytest.raises(BackendBroken):
            await drain_into(received, stream)
    assert received == TEXTS[:2]


async def test_an_unreachable_backend_is_retried_then_unavailable() -> None:
    def refused(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    handler, seen = counting([refused])
    with pytest.raises(BackendUnavailable) as raised:
        await translate(handler, attempts=3)
    assert raised.value.status_code == 503
    assert len(seen) == 3


async def test_a_replica_lost_at_the_proxy_is_retried() -> None:
    handler, seen = counting(
        [
            lambda _: httpx.Response(502, text="Bad Gateway"),
            lambda _: httpx.Response(200, content=cut_after(4)),
            lambda _: httpx.Response(200, content=complete()),
        ]
    )
    texts, _ = await translate(handler)
    assert texts == TEXTS
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("status", "error"), [(413, BackendRejected), (400, BackendFailed), (422, BackendFailed)]
)
async def test_a_4xx_is_not_retried(status: int, error: type[Exception]) -> None:
    handler, seen = counting([lambda _: httpx.Response(status, json={"detail": "no"})])
    with pytest.raises(error):
        await translate(handler)
    assert len(seen) == 1


async def test_a_failed_translation_is_not_retried() -> None:
    failed = segment_lines()[0] + line({"done": False, "error": "engine failed"})
    handler, seen = counting([lambda _: httpx.Response(200, content=failed)])
    with pytest.raises(BackendFailed, match="failed while translating"):
        await translate(handler)
    assert len(seen) == 1


async def test_a_stall_of_the_idle_timeout_is_resumed_on_another_attempt() -> None:
    """A silent replica (its node lost power) is left: the next attempt finishes the text."""

    async def stalls() -> AsyncIterator[bytes]:
        yield segment_lines()[0]
        raise httpx.ReadTimeout("no line, no heartbeat for the idle timeout")

    handler, seen = counting(
        [
            lambda _: httpx.Response(200, content=stalls()),
            lambda _: httpx.Response(200, content=complete()),
        ]
    )
    texts, stream = await translate(handler)
    assert texts == TEXTS
    assert stream.done is not None
    assert len(seen) == 2


async def test_stalls_on_every_attempt_end_as_stalled() -> None:
    async def stalls() -> AsyncIterator[bytes]:
        yield segment_lines()[0]
        raise httpx.ReadTimeout("no line, no heartbeat for the idle timeout")

    handler, seen = counting([lambda _: httpx.Response(200, content=stalls())])
    with pytest.raises(BackendStalled):
        await translate(handler)
    assert len(seen) == 3


async def test_a_break_after_the_done_line_does_not_matter() -> None:
    async def body() -> AsyncIterator[bytes]:
        yield complete()
        raise httpx.RemoteProtocolError("peer closed after the last chunk")

    handler, seen = counting([lambda _: httpx.Response(200, content=body())])
    texts, stream = await translate(handler)
    assert texts == TEXTS
    assert stream.done is not None
    assert len(seen) == 1


async def test_the_body_is_read_to_its_end_after_the_done_line() -> None:
    """Closing mid-body aborts the connection; reading to the end lets it finish cleanly."""
    read: list[str] = []

    async def body() -> AsyncIterator[bytes]:
        yield complete()
        yield b"\n"
        read.append("end")

    handler, _ = counting([lambda _: httpx.Response(200, content=body())])
    await translate(handler)
    assert read == ["end"]


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("refused", request=request)


#: Every way a request finds no replica before its stream starts (BackendAbsent).
NO_REPLICA = {
    "404 no route": lambda _: httpx.Response(404, text="404 page not found"),
    "502": lambda _: httpx.Response(502, text="Bad Gateway"),
    "503": lambda _: httpx.Response(503, json={"detail": "model loading"}),
    "504": lambda _: httpx.Response(504, text="Gateway Timeout"),
    "refused": refused,
}


@pytest.mark.parametrize("answer", NO_REPLICA.values(), ids=NO_REPLICA.keys())
async def test_while_no_replica_takes_it_the_translation_waits_for_one(answer: Handler) -> None:
    """Every replica restarting (Swarm after a leader change): asked again until one is back,
    and those requests do not use up the attempts a broken stream gets."""
    ok = lambda _: httpx.Response(200, content=complete())  # noqa: E731
    handler, seen = counting([answer] * 6 + [ok])
    texts, stream = await translate(handler, attempts=1, absent_wait_s=10)
    assert texts == TEXTS
    assert stream.done is not None
    assert len(seen) == 7


async def test_the_wait_for_a_replica_is_bounded_and_then_says_so() -> None:
    handler, seen = counting([NO_REPLICA["404 no route"]])
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(BackendAbsent, match="No translation service is available") as raised:
        await translate(handler, attempts=2, absent_wait_s=0.2)
    waited_s = loop.time() - started
    assert raised.value.status_code == 503
    assert 0.2 <= waited_s < 2.0
    # Asked every interval during the wait, then the attempts a retryable error gets.
    assert len(seen) >= 0.2 / ABSENT_INTERVAL_S / 2
    assert len(seen) <= 0.2 / ABSENT_INTERVAL_S + 3


async def test_a_stream_cut_then_no_replica_resumes_once_one_is_back() -> None:
    """The reopen after a cut waits for a replica too; every segment still comes once."""
    handler, seen = counting(
        [
            lambda _: httpx.Response(200, content=cut_after(2)),
            NO_REPLICA["404 no route"],
            NO_REPLICA["refused"],
            NO_REPLICA["503"],
            lambda _: httpx.Response(200, content=complete()),
        ]
    )
    texts, _ = await translate(handler, attempts=2, absent_wait_s=10)
    assert texts == TEXTS
    assert len(seen) == 5


@settings(max_examples=40, deadline=None)
@given(
    outages=st.lists(st.sampled_from(sorted(NO_REPLICA)), max_size=8),
    attempts=st.integers(min_value=1, max_value=3),
)
def test_any_outage_within_the_wait_ends_in_the_whole_translation(
    outages: list[str], attempts: int
) -> None:
    """Whatever mix of no-replica answers comes first, the text arrives whole, once, after
    exactly one request per answer."""
    ok = lambda _: httpx.Response(200, content=complete())  # noqa: E731
    handler, seen = counting([NO_REPLICA[name] for name in outages] + [ok])
    texts, _ = asyncio.run(translate(handler, attempts=attempts, absent_wait_s=10))
    assert texts == TEXTS
    assert len(seen) == len(outages) + 1


async def test_without_a_wait_no_replica_is_retried_within_the_attempts() -> None:
    """BACKEND_UNAVAILABLE_WAIT_S=0: the old behaviour, a few quick attempts, then 503."""
    handler, seen = counting([NO_REPLICA["404 no route"]])
    with pytest.raises(BackendAbsent):
        await translate(handler, attempts=3, absent_wait_s=0)
    assert len(seen) == 3
