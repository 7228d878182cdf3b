"""The running service: load the engine in the background, then wire scheduler, cache, translator.

Framework-free: main.py's lifespan calls ``start`` and ``aclose``; the routes read the state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from backend.batching import BatchScheduler
from backend.cache import TranslationCache
from backend.config import Settings
from backend.engines.base import BatchEngine, Engine
from backend.engines.loader import batch_limits
from backend.engines.tuning import BatchLimits
from backend.errors import LanguagePair, NotReady
from backend.metrics import Metrics
from backend.model_store import ModelNotFound
from backend.translator import Translator

logger = logging.getLogger(__name__)

EngineFactory = Callable[[Settings], Engine]
#: Translated once before /readyz turns 200, so the first user does not pay for lazy init.
WARM_UP_TEXT = "Guten Morgen."


async def start_scheduler(
    engine: BatchEngine, settings: Settings, **options: Any
) -> tuple[BatchScheduler, BatchLimits]:
    """Start a batch scheduler for a loaded engine, its batch limits picked for its device."""
    device = str(getattr(engine, "device", "cpu"))
    limits = await asyncio.to_thread(batch_limits, settings, device)
    scheduler = BatchScheduler(
        engine.translate_batch,
        workers=engine.workers,
        max_batch_tokens=limits.max_batch_tokens,
        max_batch_size=limits.max_batch_size,
        max_wait_s=settings.max_wait_s,
        first_batch_size=settings.first_batch_size,
        **options,
    )
    await scheduler.start()
    return scheduler, limits


@dataclass
class BackendState:
    """What the routes need, filled in once the model is loaded."""

    settings: Settings
    metrics: Metrics
    engine_factory: EngineFactory
    #: Called when loading fails for good (``python -m backend`` stops the server).
    on_fatal: Callable[[], None] | None = None
    engine: Engine | None = None
    translator: Translator | None = None
    load_error: str | None = None
    #: Set on SIGTERM (python -m backend): /readyz says 503 while requests are still served.
    draining: bool = False
    _scheduler: BatchScheduler | None = None
    _loader: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def supported_pairs(self) -> list[LanguagePair]:
        """Return the language pairs this model translates."""
        return [LanguagePair(self.settings.source_language, self.settings.target_language)]

    def ready_translator(self) -> Translator:
        """Return the translator, or raise NotReady while loading or after a failed load."""
        if self.translator is None:
            raise NotReady(self.load_error or "the model is still loading; retry shortly")
        return self.translator

    def start(self) -> None:
        """Start loading the model in the background; /healthz answers meanwhile."""
        self._loader = asyncio.create_task(self._load(), name="load-model")

    async def loaded(self) -> None:
        """Wait until loading has ended, loaded or failed (at once when it never started)."""
        if self._loader is not None:
            await asyncio.gather(asyncio.shield(self._loader), return_exceptions=True)

    async def aclose(self) -> None:
        """Stop loading, stop the scheduler and drop the engine."""
        if self._loader is not None:
            self._loader.cancel()
            await asyncio.gather(self._loader, return_exceptions=True)
        if self._scheduler is not None:
            await self._scheduler.aclose()
        self.translator = self.engine = self._scheduler = None

    async def _load(self) -> None:
        settings = self.settings
        try:
            engine = await asyncio.to_thread(self.engine_factory, settings)
            await asyncio.to_thread(engine.translate_batch, engine.tokenize([WARM_UP_TEXT]))
        except ModelNotFound as error:
            self._fail(str(error))
            return
        except Exception:
            logger.exception("loading model %s failed", settings.model)
            self._fail(f"loading model {settings.model!r} failed; see the server log")
            return
        device = str(getattr(engine, "device", "cpu"))
        scheduler, limits = await start_scheduler(
            engine,
            settings,
            observer=self.metrics,
            # One batch per output budget: batching never changes a translation.
            bucket_of=lambda tokens: engine.budget(len(tokens)),
        )
        cache = TranslationCache(settings.cache_size)
        self.metrics.watch_cache(cache)
        self.metrics.watch_engine(engine)
        self.engine, self._scheduler = engine, scheduler
        self.translator = Translator(engine, scheduler, cache)
        self.metrics.model_loaded(
            model=engine.model,
            engine=engine.name,
            device=device,
            compute_type=str(getattr(engine, "compute_type", "unknown")),
            workers=str(engine.workers),
            max_batch_size=str(limits.max_batch_size),
            max_batch_tokens=str(limits.max_batch_tokens),
        )
        logger.info(
            "ready: model %s on engine %s (%s), %d workers, batches of up to %d segments and "
            "%d padded tokens each (%s)",
            engine.model,
            engine.name,
            device,
            engine.workers,
            limits.max_batch_size,
            limits.max_batch_tokens,
            limits.basis,
        )

    def _fail(self, message: str) -> None:
        logger.critical("%s", message)
        self.load_error = message
        if self.on_fatal is not None:
            self.on_fatal()
