"""Saving finished translations: the seam between the web flow and storage's PendingSaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from frontend.storage.models import NewTranslation

SAVED = "saved"
NOT_SAVED_YET = "not saved yet"
NOT_SAVED = "not saved"


@dataclass(frozen=True)
class SaveOutcome:
    """Where a finished translation went: stored under `id`, or kept in memory for a retry."""

    id: int | None
    #: Names a pending save, to ask later whether it has been stored.
    ticket: str | None = None
    #: Why the translation could be neither stored nor kept (the pending queue is full).
    error: str | None = None

    @property
    def pending(self) -> bool:
        """Tell whether the translation waits in memory for the database to come back."""
        return self.id is None and self.error is None

    @property
    def status(self) -> str:
        """Say in words what the page shows: saved, not saved yet, or not saved."""
        if self.id is not None:
            return SAVED
        return NOT_SAVED_YET if self.error is None else NOT_SAVED


class Saver(Protocol):
    """Anything that stores a finished translation now or keeps it for a later retry."""

    async def save(self, new: NewTranslation) -> SaveOutcome:
        """Store `new`, or queue it; raise StorageError when it can be neither stored nor kept."""
        ...
