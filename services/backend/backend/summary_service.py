"""The summary model's life in the service: load it in the background, batch it, close it.

Framework-free like ``service.py``, beside it: main.py's lifespan starts and closes both, and
the summarise route reads this state. With SUMMARY_MODEL empty nothing is loaded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from backend.batching import BatchScheduler
from backend.config import Settings
from backend.errors import NotReady, ServiceError
from backend.model_store import ModelNotFound
from backend.service import start_scheduler
from backend.summarising import Summariser
from backend.summary_engine import SummaryEngine

logger = logging.getLogger(__name__)

SummaryEngineFactory = Callable[[Settings], SummaryEngine]
WARM_UP_TEXT = "The city council met on Monday."


class SummariesOff(ServiceError):
    """SUMMARY_MODEL is empty: this service makes no summaries (404)."""

    status_code = 404


@dataclass
class SummaryState:
    """The summariser once its model is loaded; None while loading or when switched off."""

    settings: Settings
    engine_factory: SummaryEngineFactory
    on_fatal: Callable[[], None] | None = None
    engine: SummaryEngine | None = None
    summariser: Summariser | None = None
    load_error: str | None = None
    _scheduler: BatchScheduler | None = None
    _loader: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def enabled(self) -> bool:
        """Tell whether SUMMARY_MODEL names a model."""
        return bool(self.settings.summary_model)

    def ready_summariser(self) -> Summariser:
        """Return the summariser; raise SummariesOff (404) or NotReady (503)."""
        if not self.enabled:
            raise SummariesOff("summaries are switched off on this service (SUMMARY_MODEL)")
        if self.summariser is None:
            raise NotReady(self.load_error or "the summary model is still loading; retry shortly")
        return self.summariser

    def start(self, after: Awaitable[None] | None = None) -> None:
        """Start loading the summary model in the background (once `after` is done), if set.

        main.py loads it after the translation model: converting two checkpoints at once in
        one process breaks transformers' loading (both threads share torch's default device),
        and one model at a time also keeps the start-up memory peak lower.
        """
        if self.enabled:
            self._loader = asyncio.create_task(self._load(after), name="load-summary-model")
        elif after is not None and asyncio.iscoroutine(after):
            after.close()

    async def aclose(self) -> None:
        """Stop loading, stop the scheduler and drop the engine."""
        if self._loader is not None:
            self._loader.cancel()
            await asyncio.gather(self._loader, return_exceptions=True)
        if self._scheduler is not None:
            await self._scheduler.aclose()
        self.summariser = self.engine = self._scheduler = None

    async def _load(self, after: Awaitable[None] | None) -> None:
        settings = self.settings
        if after is not None:
            await after
        try:
            engine = await asyncio.to_thread(self.engine_factory, settings)
            await asyncio.to_thread(engine.translate_batch, engine.tokenize([WARM_UP_TEXT]))
        except ModelNotFound as error:
            self._fail(str(error))
            return
        except Exception:
            logger.exception("loading summary model %s failed", settings.summary_model)
            self._fail(f"loading summary model {settings.summary_model!r} failed; see the log")
            return
        # The translation scheduler's design and limits (picked from the device where 0); a
        # scheduler of its own, because its engine is another model.
        scheduler, _limits = await start_scheduler(engine, settings)
        self.engine, self._scheduler = engine, scheduler
        self.summariser = Summariser(
            engine.tokenize,
            scheduler,
            chunk_tokens=min(settings.summary_chunk_tokens, engine.max_input_tokens),
            max_points=settings.summary_max_points,
        )
        logger.info("ready: summary model %s", engine.model)

    def _fail(self, message: str) -> None:
        logger.critical("%s", message)
        self.load_error = message
        if self.on_fatal is not None:
            self.on_fatal()
