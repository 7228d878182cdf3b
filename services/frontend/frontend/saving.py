"""Saving finished translations: the seam between the web flow and storage's PendingSaves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from frontend.storage.models import NewTranslation


@dataclass(frozen=True)
class SaveOutcome:
    """Where a finished translation went: stored under `id`, or kept in memory for a retry."""

    id: int | None
    #: Names a pending save, to ask later whether it has been stored.
    ticket: str | None = None

    @property
    def pending(self) -> bool:
        """Tell whether the translation is not saved yet (the database was unavailable)."""
        return self.id is None


class Saver(Protocol):
    """Anything that stores a finished translation now or keeps it for a later retry."""

    async def save(self, new: NewTranslation) -> SaveOutcome:
        """Store `new`, or queue it; raise only when it can be neither stored nor kept."""
        ...
