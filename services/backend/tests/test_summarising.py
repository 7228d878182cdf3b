"""Summaries: chunking, combining, key points (fake engine), and the random T5 end to end."""

from __future__ import annotations

import httpx
import pytest
from backend.batching import BatchScheduler
from backend.config import Settings
from backend.main import create_app
from backend.summarising import Summariser, chunk, sentences
from hypothesis import given, settings
from hypothesis import strategies as st

from testkit.waiting import until_ready

from .conftest import FakeEngine


class FakeSummaryEngine(FakeEngine):
    """Summarise a chunk as two sentences naming its first word and its size."""

    model = "fake-summary"

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        super().translate_batch(batch)
        return [
            f"About {tokens[0]} in {len(tokens)} words. More detail follows." for tokens in batch
        ]


def _paragraph(n: int, words: int) -> str:
    return " ".join(f"p{n}w{i}" for i in range(words))


async def _summarise(text: str, *, chunk_tokens: int = 100, max_points: int = 5):
    engine = FakeSummaryEngine()
    async with BatchScheduler(engine.translate_batch, max_batch_size=8) as scheduler:
        summariser = Summariser(
            engine.tokenize, scheduler, chunk_tokens=chunk_tokens, max_points=max_points
        )
        return await summariser.summarise(text, request_id="r"), engine


def _first_level_inputs(engine: FakeEngine, chunks: int) -> list[list[str]]:
    return [tokens for batch in engine.batches for tokens in batch][:chunks]


async def test_a_long_text_is_summarised_in_chunks_that_cover_it_in_order():
    text = "\n\n".join(_paragraph(n, 40) for n in range(20))  # 800 words
    result, engine = await _summarise(text, chunk_tokens=100)
    inputs = _first_level_inputs(engine, result.chunks)
    assert result.chunks == 10
    assert all(len(tokens) <= 100 for tokens in inputs)
    assert [word for tokens in inputs for word in tokens] == text.split()


async def test_the_chunk_summaries_are_combined_into_one_summary():
    text = "\n\n".join(_paragraph(n, 40) for n in range(20))
    result, engine = await _summarise(text, chunk_tokens=100)
    all_inputs = [tokens for batch in engine.batches for tokens in batch]
    combined = all_inputs[result.chunks :]
    assert combined, "a second level summarises the chunk summaries"
    assert combined[0][:2] == ["About", "p0w0"]
    assert result.summary.startswith("About About")
    assert len(sentences(result.summary)) <= 4


async def test_key_points_are_one_per_chunk_evenly_picked():
    text = "\n\n".join(_paragraph(n, 40) for n in range(20))
    result, _engine = await _summarise(text, chunk_tokens=100, max_points=5)
    assert len(result.key_points) == 5
    assert result.key_points[0] == "About p0w0 in 80 words."
    assert all(point.startswith("About p") for point in result.key_points)


async def test_a_short_text_still_gets_several_key_points():
    text = "\n\n".join(_paragraph(n, 30) for n in range(6))  # 180 words, under one chunk
    result, _engine = await _summarise(text, chunk_tokens=480, max_points=3)
    assert result.chunks == 3
    assert len(result.key_points) == 3


async def test_an_over_long_paragraph_is_cut_to_the_model_window():
    text = ". ".join(_paragraph(n, 30) for n in range(10)) + "."  # one 300-word paragraph
    result, engine = await _summarise(text, chunk_tokens=64)
    assert all(len(tokens) <= 64 for tokens in _first_level_inputs(engine, result.chunks))


async def test_a_blank_text_has_an_empty_summary():
    result, engine = await _summarise("  \n\n ")
    assert (result.summary, result.key_points, result.chunks) == ("", (), 0)
    assert engine.batches == []


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(1, 150), min_size=1, max_size=30), st.integers(32, 200))
def test_chunks_keep_every_piece_in_order_within_the_budget(sizes, budget):
    pieces = [(f"piece{i}", min(size, budget)) for i, size in enumerate(sizes)]
    chunks = chunk(pieces, budget)
    assert "\n\n".join(chunks).split("\n\n") == [text for text, _ in pieces]
    tokens = dict(pieces)
    assert all(sum(tokens[p] for p in c.split("\n\n")) <= budget for c in chunks)


# --- the HTTP route ---------------------------------------------------------------------


def _app(fake_engine: FakeEngine, summary_model: str) -> object:
    settings = Settings(model="fake", summary_model=summary_model, summary_chunk_tokens=64)
    return create_app(
        settings,
        engine_factory=lambda _settings: fake_engine,
        summary_engine_factory=lambda _settings: FakeSummaryEngine(),
    )


async def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://backend")


async def test_the_route_summarises_and_reports_its_model(fake_engine):
    app = _app(fake_engine, "fake-summary")
    async with app.router.lifespan_context(app), await _client(app) as client:
        await until_ready(client)
        assert (await client.get("/v1/summarise")).json() == {
            "enabled": True,
            "ready": True,
            "model": "fake-summary",
        }
        text = "\n\n".join(_paragraph(n, 40) for n in range(4))
        response = await client.post("/v1/summarise", json={"text": text})
    body = response.json()
    assert response.status_code == 200
    assert body["chunks"] == 4
    assert body["key_points"][0] == "About p0w0 in 40 words."
    assert body["model"] == "fake-summary"


async def test_without_summary_model_the_route_says_summaries_are_off(fake_engine):
    app = _app(fake_engine, "")
    async with app.router.lifespan_context(app), await _client(app) as client:
        await until_ready(client)
        status = (await client.get("/v1/summarise")).json()
        response = await client.post("/v1/summarise", json={"text": "Some text."})
    assert status["enabled"] is False
    assert response.status_code == 404
    assert "SUMMARY_MODEL" in response.json()["detail"]


async def test_a_text_over_the_limit_is_refused(fake_engine):
    app = create_app(
        Settings(model="fake", summary_model="fake-summary", max_text_chars=10),
        engine_factory=lambda _settings: fake_engine,
        summary_engine_factory=lambda _settings: FakeSummaryEngine(),
    )
    async with app.router.lifespan_context(app), await _client(app) as client:
        await until_ready(client)
        response = await client.post("/v1/summarise", json={"text": "x" * 11})
    assert response.status_code == 413


# --- the random T5 through CTranslate2 --------------------------------------------------


@pytest.fixture(scope="module")
def summary_engine(summary_model, tmp_path_factory):
    from backend.summary_engine import load_summary_engine

    settings = Settings(
        summary_model=str(summary_model),
        device="cpu",
        model_cache_dir=tmp_path_factory.mktemp("summary-cache"),
        summary_max_tokens=24,
    )
    return load_summary_engine(settings)


def test_the_random_t5_is_converted_and_summarises_within_its_budget(summary_engine):
    tokens = summary_engine.tokenize(["The council met on Monday to talk about the bridge."])
    (summary,) = summary_engine.translate_batch(tokens)
    assert summary
    assert len(summary_engine.tokenize([summary])[0]) <= 24 + 2
    assert summary_engine.max_input_tokens == 511 - len(summary_engine.tokenize(["summarize:"])[0])


async def test_the_random_t5_summarises_a_long_text_in_chunks(summary_engine):
    text = "\n\n".join(
        f"The city council met for the {n}th time this year. It talked about the new bridge "
        "and the schools, and it agreed to meet again next week."
        for n in range(30)
    )
    async with BatchScheduler(summary_engine.translate_batch, max_batch_size=8) as scheduler:
        summariser = Summariser(summary_engine.tokenize, scheduler, chunk_tokens=120)
        result = await summariser.summarise(text, request_id="r")
    assert result.chunks > 1
    assert result.summary
    assert 1 <= len(result.key_points) <= 5


def test_an_image_build_prepares_a_summary_model_that_loads_offline(summary_model, tmp_path):
    """What the Dockerfile runs with SUMMARY_MODEL set: prepare_model --summary, then load it."""
    from backend.summary_engine import load_summary_engine
    from backend.tools.prepare_model import main

    out = tmp_path / "summary-model"
    assert main(["--summary", "--model", str(summary_model), "--out", str(out)]) == 0
    engine = load_summary_engine(Settings(summary_model=str(out), device="cpu"))
    (summary,) = engine.translate_batch(engine.tokenize(["The council met on Monday."]))
    assert summary
    assert main(["--summary", "--model", str(summary_model), "--out", str(out)]) == 1  # exists


def test_a_checkpoint_without_sentencepiece_is_refused_with_the_reason(tiny_model, tmp_path):
    """A checkpoint without spiece.model (here: Marian; BART alike) cannot be a summary model."""
    from backend.model_store import ModelNotFound
    from backend.summary_engine import load_summary_engine

    with pytest.raises(ModelNotFound, match=r"spiece\.model"):
        load_summary_engine(Settings(summary_model=str(tiny_model), model_cache_dir=tmp_path))
