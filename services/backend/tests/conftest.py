"""Fixtures shared by the backend service tests."""

from __future__ import annotations

import threading

import pytest

from testkit.waiting import until_ready

# --- fake engine for the domain tests (segmentation, batching, cache, translator) ---


class FakeEngine:
    """Translate by upper-casing words; one token per word; record every batch it receives.

    `gate` (a threading.Event, set by default) holds each batch until the test opens it;
    `started` is set whenever a batch reaches the engine (`wait_for_batches` waits for several);
    `fail` makes every batch raise.
    """

    name = "fake"
    model = "fake-model"
    workers = 1

    def __init__(self, max_input_tokens: int = 512) -> None:
        self.max_input_tokens = max_input_tokens
        self.batches: list[list[list[str]]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self._arrived = threading.Condition()
        self.fail = False
        self.truncated = 0

    def budget(self, input_tokens: int) -> int:
        return input_tokens + 2

    def wait_for_batches(self, count: int, timeout_s: float = 10) -> bool:
        """Block until count batches have reached the engine; False if that took too long."""
        with self._arrived:
            return self._arrived.wait_for(lambda: len(self.batches) >= count, timeout_s)

    def tokenize(self, texts: list[str]) -> list[list[str]]:
        return [text.split() for text in texts]

    def translate_batch(self, batch: list[list[str]]) -> list[str]:
        with self._arrived:
            self.batches.append(batch)
            self._arrived.notify_all()
        self.started.set()
        if not self.gate.wait(timeout=30):
            raise TimeoutError("the test never opened the fake engine gate")
        if self.fail:
            raise RuntimeError("fake engine failure")
        return [" ".join(tokens).upper() for tokens in batch]


@pytest.fixture
def fake_engine() -> FakeEngine:
    """Return a fake engine whose translation of a sentence is the sentence upper-cased."""
    return FakeEngine()


# --- real engines on the tiny random model, for the engine and API tests ---

ENGINE_NAMES = ("ctranslate2", "transformers")


@pytest.fixture(scope="session")
def tiny_engines(tiny_model, tmp_path_factory):
    """Load both real engines on the tiny model once a session: {name: engine}."""
    from backend.config import Settings
    from backend.engines.loader import load_engine

    cache_dir = tmp_path_factory.mktemp("ct2-cache")
    return {
        name: load_engine(
            Settings(
                model=str(tiny_model),
                engine=name,
                device="cpu",
                model_cache_dir=cache_dir,
                retry_truncated=False,  # random weights seldom end a sentence: no 511-token retry
            )
        )
        for name in ENGINE_NAMES
    }


@pytest.fixture(params=ENGINE_NAMES)
def tiny_engine(request, tiny_engines):
    """Each real engine on the tiny model in turn."""
    return tiny_engines[request.param]


# --- documents: the real backend in-process on the tiny model (CTranslate2) ---


@pytest.fixture(scope="module")
def ct2_engine(tiny_model, tmp_path_factory):
    """Load the CTranslate2 engine on the tiny model once per module."""
    from backend.config import Settings
    from backend.engines.loader import load_engine

    cache_dir = tmp_path_factory.mktemp("ct2-cache")
    settings = Settings(model=str(tiny_model), engine="ctranslate2", model_cache_dir=cache_dir)
    return load_engine(settings)


@pytest.fixture
async def documents_client(ct2_engine, tiny_model, tmp_path):
    """A ready in-process backend on the tiny model (lifespan run), for the documents tests."""

    import httpx
    from backend.config import Settings
    from backend.main import create_app

    settings = Settings(model=str(tiny_model), model_cache_dir=tmp_path, replica_name="docs")
    app = create_app(settings, engine_factory=lambda _: ct2_engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://backend.test") as client:
            await until_ready(client)
            yield client


@pytest.fixture
def translate_doc(documents_client):
    """Return ``async (name, data) -> bytes``: the file translated by POST /v1/documents."""

    async def translate(name: str, data: bytes) -> bytes:
        response = await documents_client.post(
            "/v1/documents", files={"file": (name, data)}, data={"source": "de", "target": "en"}
        )
        assert response.status_code == 200, response.text
        return response.content

    return translate


# --- in-process apps for the LibreTranslate API tests ---


@pytest.fixture
def lt_settings(tiny_model, tmp_path):
    """Settings for the LibreTranslate API tests: tiny model, 5,000 characters at most."""
    from backend.config import Settings

    return Settings(model=str(tiny_model), model_cache_dir=tmp_path, max_text_chars=5_000)


async def lt_client_for(settings, engine):
    """Run an app's lifespan around engine; yield a client once the model is ready."""
    import httpx
    from backend.main import create_app

    app = create_app(settings, engine_factory=lambda _: engine)
    async with app.router.lifespan_context(app):
        # raise_app_exceptions=False: a 500 must reach the test as a response, as a client sees.
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://lt.test") as client:
            await until_ready(client)
            yield client


@pytest.fixture
async def lt_client(lt_settings, tiny_engines: dict):
    """An in-process app on the real CTranslate2 engine (tiny model), ready."""
    async for client in lt_client_for(lt_settings, tiny_engines["ctranslate2"]):
        yield client


@pytest.fixture
def lt_client_factory():
    """Return lt_client_for: an async generator of a ready client for (settings, engine)."""
    return lt_client_for
