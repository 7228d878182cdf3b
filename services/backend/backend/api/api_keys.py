"""Optional LibreTranslate API keys: a file of keys, checked on the translation endpoints.

As LibreTranslate 1.9.6: a key that is sent but unknown is 403 "Invalid API key"; a missing key,
where keys are required, is 400 "Please contact the server operator to get an API key" (its
answer when a key is needed, e.g. under --require-api-key-origin). Without API_KEYS_FILE the
``api_key`` parameter is ignored, as LibreTranslate ignores it without --api-keys.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from backend.api.errors import LibreTranslateError
from backend.api.lt_params import Params


@dataclass(frozen=True)
class ApiKeys:
    """The accepted keys (None: keys are off) and whether a request must carry one."""

    keys: frozenset[str] | None
    required: bool

    @classmethod
    def from_file(cls, path: Path | None, *, required: bool) -> ApiKeys:
        """Read one key per line; blank lines and lines starting with # are skipped."""
        if path is None:
            return cls(None, required=False)
        lines = path.read_text(encoding="utf-8").splitlines()
        keys = frozenset(k.strip() for k in lines if k.strip() and not k.lstrip().startswith("#"))
        return cls(keys, required=required)

    @property
    def enabled(self) -> bool:
        """Tell whether API keys are in use at all."""
        return self.keys is not None

    def check(self, params: Params) -> None:
        """Raise LibreTranslate's error unless the request's api_key is acceptable."""
        if self.keys is None:
            return
        key = params.get("api_key")
        if key:
            if not isinstance(key, str) or key not in self.keys:
                raise LibreTranslateError(403, "Invalid API key")
        elif self.required:
            raise LibreTranslateError(400, "Please contact the server operator to get an API key")
