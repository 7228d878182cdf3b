"""One translation from start to saved: stream the backend's segments, then store the result."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from frontend.aligning import Lengths, segment_lengths
from frontend.backend_client import BackendClient, BackendFailed, Segment, StreamDone
from frontend.resuming import ResumingStream
from frontend.saving import SaveOutcome, Saver
from frontend.storage.errors import StorageError
from frontend.storage.models import NewTranslation

log = logging.getLogger(__name__)

#: Seconds before the first retry of a broken backend stream; the n-th retry waits n times this.
STREAM_RETRY_BACKOFF_S = 0.2


#: How sure /detect must be (0-100) before the page says the text is not German.
NOTICE_MIN_CONFIDENCE = 90.0
LANGUAGE_NAMES = {"de": "German", "en": "English"}


@dataclass(frozen=True)
class Finished:
    """A complete translation and what became of saving it."""

    translation: str
    segments: int
    duration_ms: float
    saved: SaveOutcome
    #: Per segment (source, translation) lengths; None when the backend sent no sources.
    segment_lengths: Lengths | None = None


@dataclass(frozen=True)
class ArticleSource:
    """The web page a translated article came from (stored in the history with it)."""

    url: str
    title: str


def count_words(text: str) -> int:
    """Count whitespace-separated words, the way the page's live counter does."""
    return len(text.split())


class Translating:
    """Start translations on the backend and save each finished one through the saver."""

    def __init__(
        self,
        backend: BackendClient,
        saver: Saver,
        *,
        source_lang: str,
        target_lang: str,
        stream_attempts: int = 3,
        stream_retry_backoff_s: float = STREAM_RETRY_BACKOFF_S,
        unavailable_wait_s: float = 0.0,
    ) -> None:
        self._backend = backend
        self._saver = saver
        self._source_lang = source_lang
        self._target_lang = target_lang
        self._stream_attempts = stream_attempts
        self._stream_retry_backoff_s = stream_retry_backoff_s
        self._unavailable_wait_s = unavailable_wait_s

    async def language_notice(self, text: str, *, request_id: str) -> str | None:
        """Return a friendly notice when text is already in the target language, else None."""
        detected = await self._backend.detect(text, request_id=request_id)
        if detected is None:
            return None
        language, confidence = detected
        if language != self._target_lang or confidence < NOTICE_MIN_CONFIDENCE:
            return None
        names = LANGUAGE_NAMES
        target = names.get(self._target_lang, self._target_lang)
        source = names.get(self._source_lang, self._source_lang)
        return (
            f"This text looks like {target} already: this service translates {source} into "
            f"{target}, so what comes back may be the text itself or make little sense."
        )

    async def start(
        self, text: str, *, request_id: str, source: ArticleSource | None = None
    ) -> TranslationRun:
        """Open the backend stream; raise BackendError before anything is sent to the browser.

        `source` names the web page an article was read from; it is saved with the translation.
        """
        stream = await ResumingStream.open(
            self._backend,
            text,
            request_id=request_id,
            attempts=self._stream_attempts,
            backoff_s=self._stream_retry_backoff_s,
            absent_wait_s=self._unavailable_wait_s,
        )
        return TranslationRun(self, text, stream, source)

    async def translate(self, text: str, *, request_id: str) -> Finished:
        """Translate the whole text (no streaming to the caller) and save it."""
        run = await self.start(text, request_id=request_id)
        async for _segment in run:
            pass
        return await run.finish()

    async def _save(
        self,
        text: str,
        translation: str,
        done: StreamDone,
        lengths: Lengths | None,
        source: ArticleSource | None,
    ) -> SaveOutcome:
        model, engine = done.model, done.engine
        if not (model and engine):
            model, engine = await self._backend.model_info()
        new = NewTranslation(
            source_text=text,
            translated_text=translation,
            source_lang=self._source_lang,
            target_lang=self._target_lang,
            model=model or "unknown",
            engine=engine or "unknown",
            segments=done.segments,
            characters=len(text),
            words=count_words(text),
            duration_ms=round(done.duration_ms),
            segment_lengths=lengths,
            source_url=source.url if source else None,
            title=source.title if source else None,
        )
        return await self._saver.save(new)


class TranslationRun:
    """A started translation: iterate it for segments, then call finish() to save it."""

    def __init__(
        self,
        owner: Translating,
        text: str,
        stream: ResumingStream,
        source: ArticleSource | None = None,
    ) -> None:
        self._owner = owner
        self._source = source
        self._text = text
        self._stream = stream
        self._parts: list[str] = []
        self._sources: list[str | None] = []
        self._started_s = time.monotonic()

    async def __aiter__(self) -> AsyncIterator[Segment]:
        """Yield the backend's segments in order, remembering them for the saved translation."""
        async for segment in self._stream:
            if segment.index != len(self._parts):
                raise BackendFailed("The translation service sent segments out of order.")
            self._parts.append(segment.text)
            self._sources.append(segment.source)
            yield segment

    async def finish(self) -> Finished:
        """Save the complete translation (or queue it while the database is down)."""
        done = self._stream.done
        if done is None:
            raise BackendFailed("The translation service ended the stream early.")
        translation = "".join(self._parts)
        lengths = self._lengths()
        try:
            saved = await self._owner._save(self._text, translation, done, lengths, self._source)
        except StorageError as error:
            # The user still gets the translation (to copy or download); only storing failed.
            log.error("translation could be neither saved nor kept: %s", type(error).__name__)
            saved = SaveOutcome(id=None, error=str(error))
        return Finished(
            translation=translation,
            segments=done.segments,
            duration_ms=done.duration_ms or (time.monotonic() - self._started_s) * 1000,
            saved=saved,
            segment_lengths=lengths,
        )

    def _lengths(self) -> Lengths | None:
        """Return the segment boundaries, if every segment came with a source that adds up."""
        if any(source is None for source in self._sources):
            return None
        sources = [source or "" for source in self._sources]
        if "".join(sources) != self._text:
            log.warning("the backend's segment sources do not add up to the text; not aligned")
            return None
        return segment_lengths(list(zip(sources, self._parts, strict=True)))

    async def aclose(self) -> None:
        """Abandon the translation: close the backend stream so it cancels the rest."""
        await self._stream.aclose()
