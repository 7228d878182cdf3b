"""The one error of the articles package: a URL refused or failed, with a message users can read."""

from __future__ import annotations


class ArticleError(Exception):
    """The article cannot be fetched, extracted or refused for safety; the message says why."""

    def __init__(self, message: str, *, reason: str, status_code: int = 400) -> None:
        super().__init__(message)
        #: A short fixed label (metrics, logs, tests): "scheme", "private_address", "too_large", ...
        self.reason = reason
        #: The HTTP status the frontend answers with.
        self.status_code = status_code

    @property
    def message(self) -> str:
        """Return the text shown to the user."""
        return str(self)
