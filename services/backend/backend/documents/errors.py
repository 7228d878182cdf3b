"""Why a document is refused; each error is a ServiceError, so the HTTP edge maps it to a 4xx."""

from __future__ import annotations

from backend.errors import ServiceError


class DocumentError(ServiceError):
    """A document the service cannot translate, with a message safe to show its owner."""

    status_code = 422


class FileTooLarge(DocumentError):
    """The upload, or what it unpacks to, exceeds the configured limit."""

    status_code = 413


class UnsupportedFormat(DocumentError):
    """Not a format we translate, or its content does not match its file name."""

    status_code = 415


class CorruptDocument(DocumentError):
    """The file claims a known format but cannot be read as it (truncated, damaged)."""


class ProtectedDocument(DocumentError):
    """The file is encrypted with a password."""


class UnsafeDocument(DocumentError):
    """The file carries macros, XML entity declarations or other active content we refuse."""
