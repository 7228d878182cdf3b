"""The frontend's one settings object, from the environment (secrets also from *_FILE paths)."""

from __future__ import annotations

import secrets
from ipaddress import ip_network
from typing import Any

from pydantic import Field, field_validator, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from frontend.articles.fetch_settings import FetchSettings
from frontend.settings_source import ConfigError, Secret

__all__ = ["DEVELOPMENT", "MAX_HISTORY_PER_PAGE", "ConfigError", "Secret", "Settings"]

DEVELOPMENT = "development"
# Values people paste from examples; refused as secrets outside development.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "password", "dev", "development", "xxx"}
)
MIN_SECRET_KEY_CHARS = 32
# The repository serves at most 100 rows a page.
MAX_HISTORY_PER_PAGE = 100


def _no_secret() -> Secret:
    return Secret("")


class Settings(FetchSettings):
    """Every setting of the frontend: `Settings.from_env()` reads them, tests build it directly.

    Each field is the environment variable of its name in capitals (services/frontend/README.md,
    "Settings"); the FETCH_* ones, MAX_ARTICLE_BYTES and LOG_LEVEL come from FetchSettings.
    """

    environment: str = Field(
        DEVELOPMENT, description='"development" allows a generated SECRET_KEY and placeholders'
    )
    backend_url: str = Field(
        "http://127.0.0.1:8001", description="Base URL of the backend (its /v1/translate/stream)"
    )
    backend_connect_timeout_s: float = Field(
        5.0, description="Seconds to wait for a TCP connection to the backend"
    )
    backend_read_timeout_s: float = Field(
        300.0, description="Seconds to wait for a backend answer that is not a stream (documents)"
    )
    backend_stream_idle_timeout_s: float = Field(
        15.0,
        gt=0,
        description="Seconds a translation stream may stay silent before it is resumed elsewhere",
    )
    backend_stream_attempts: int = Field(
        3, ge=1, description="Requests per translation when the stream breaks (resumed after it)"
    )
    backend_unavailable_wait_s: float = Field(
        30.0,
        ge=0,
        description="Seconds a translation waits for a backend replica while none takes it",
    )
    source_lang: str = Field("de", description="Source language sent to the backend")
    target_lang: str = Field("en", description="Target language sent to the backend")
    max_text_chars: int = Field(
        1_000_000, ge=1, description="Longest text accepted, in characters (stated on the page)"
    )
    max_file_bytes: int = Field(
        26_214_400, ge=1, description="Largest document accepted, in bytes (as the backend's)"
    )
    database_url: str = Field(
        "sqlite+aiosqlite:///./data/translations.db",
        description="SQLAlchemy async URL of the application database",
    )
    database_password: Secret = Field(
        default_factory=_no_secret, description="Filled into DATABASE_URL when set"
    )
    database_readonly_url: str = Field(
        "", description="The SQL console's read-only account; empty: the same SQLite file"
    )
    database_readonly_password: Secret = Field(
        default_factory=_no_secret, description="Filled into DATABASE_READONLY_URL when set"
    )
    database_pool_recycle_s: int = Field(
        280, description="Seconds before pooled connections are recycled (below MySQL's idle cut)"
    )
    query_max_rows: int = Field(
        1000, ge=1, description="Row cap of the SQL console (one more is fetched to tell a cut)"
    )
    query_timeout_s: float = Field(5.0, description="Statement timeout of the SQL console")
    query_max_cell_bytes: int = Field(
        65_536, ge=1, description="Longest value the console shows, in UTF-8 bytes"
    )
    query_max_result_bytes: int = Field(
        2 * 1024 * 1024, ge=1, description="Largest console result, in bytes of text"
    )
    query_max_concurrent: int = Field(
        2, ge=1, description="Console statements running at once in one process; more get 429"
    )
    history_per_page: int = Field(
        20, ge=1, le=MAX_HISTORY_PER_PAGE, description="Translations per history page"
    )
    pending_max_items: int = Field(
        1000, ge=1, description="Finished translations kept in memory while the database is down"
    )
    secret_key: Secret = Field(
        default_factory=_no_secret,
        description="Signs the session cookie (CSRF token); generated in development",
    )
    session_cookie_secure: bool = Field(
        False, description="Send the session cookie only over HTTPS (behind TLS)"
    )
    admin_users_file: str = Field(
        "", description="htpasswd file of the operator's accounts (bcrypt, as Traefik's)"
    )
    metrics_token: Secret = Field(
        default_factory=_no_secret,
        description="Bearer token that opens /metrics (nothing else) to Prometheus; empty: none",
    )
    trusted_proxies: str = Field(
        "127.0.0.1/32,::1/128", description="Networks whose X-Forwarded-For is believed"
    )
    login_client_failures: int = Field(
        5, ge=1, description="Wrong passwords one client may send before it waits"
    )
    login_account_failures: int = Field(
        20, ge=1, description="Wrong passwords for one account from unknown clients before waits"
    )
    login_max_lockout_s: float = Field(
        900.0, gt=0, description="Longest wait a wrong password can earn, in seconds"
    )
    translate_rate_per_s: float = Field(
        1.0, gt=0, description="Translations per second and client, sustained"
    )
    translate_burst: int = Field(10, ge=1, description="Translations per client at once")
    query_rate_per_s: float = Field(
        1.0, gt=0, description="Console statements per second and client, sustained"
    )
    query_burst: int = Field(10, ge=1, description="Console statements per client at once")
    # 10 s: Traefik's health check (every 3 s, 2 s timeout) takes the task out of rotation
    # first (README: graceful shutdown).
    shutdown_drain_s: float = Field(
        10.0, ge=0, description="After SIGTERM: seconds of /readyz 503 before the listener closes"
    )
    header_read_timeout_s: float = Field(
        10.0, gt=0, description="Seconds for a request head (idle keep-alive not counted)"
    )
    fetcher_url: str = Field(
        "", description="The fetcher service (stack: http://fetcher:8003); empty: this process"
    )
    articles_per_minute: int = Field(
        10, ge=1, description="Articles one client may ask for per minute"
    )

    @field_validator("backend_url", "fetcher_url")
    @classmethod
    def _without_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("database_url", "database_readonly_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value:
            try:
                make_url(value)
            except ArgumentError:
                raise ValueError("is not a database URL (dialect+driver://...)") from None
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for cidr in filter(None, (part.strip() for part in value.split(","))):
            try:
                ip_network(cidr)
            except ValueError:
                raise ValueError(f"holds {cidr!r}, not a network") from None
        return value

    @model_validator(mode="before")
    @classmethod
    def _development_key(cls, values: Any) -> Any:
        """Fill in a random SECRET_KEY per process in development, when none is given."""
        if not isinstance(values, dict) or values.get("environment", DEVELOPMENT) != DEVELOPMENT:
            return values
        key = values.get("secret_key")
        if not (key.get() if isinstance(key, Secret) else key):
            return {**values, "secret_key": Secret(secrets.token_urlsafe(48))}
        return values

    @model_validator(mode="after")
    def _usable(self) -> Settings:
        """Refuse what cannot serve: a server database without its read-only account, and
        outside development a weak SECRET_KEY, placeholder passwords or no operator accounts."""
        self.readonly_database_dsn()
        if self.is_development:
            return self
        key = self.secret_key.get()
        if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_KEY_CHARS:
            raise ValueError(
                f"SECRET_KEY (or SECRET_KEY_FILE) must be a random value of at least "
                f"{MIN_SECRET_KEY_CHARS} characters outside development"
            )
        for name in ("database_password", "database_readonly_password"):
            value = getattr(self, name).get()
            if value and value.lower() in PLACEHOLDER_SECRETS:
                raise ValueError(f"{name.upper()} is a placeholder; set a real secret")
        token = self.metrics_token.get()
        # Empty: operator login only. A short token would be guessable over the network.
        if token and len(token) < MIN_SECRET_KEY_CHARS:
            raise ValueError(
                f"METRICS_TOKEN (or METRICS_TOKEN_FILE) must be a random value of at least "
                f"{MIN_SECRET_KEY_CHARS} characters outside development, or empty"
            )
        if not self.admin_users_file:
            raise ValueError(
                "ADMIN_USERS_FILE (the operator's htpasswd file) is required outside development"
            )
        return self

    @property
    def is_development(self) -> bool:
        """Tell whether development conveniences (generated secret key) are allowed."""
        return self.environment == DEVELOPMENT

    @property
    def max_body_bytes(self) -> int:
        """Return the largest request body that can hold a valid text (Traefik's body-limit too).

        12 bytes per character: the longest encoding of one, a surrogate pair as two \\uXXXX
        JSON escapes or four %XX in a form; plus 64 KiB for the JSON or form around it.
        """
        return self.max_text_chars * 12 + 64 * 1024

    @property
    def max_upload_bytes(self) -> int:
        """Return the largest document upload body: the file plus 64 KiB for the form around it.

        The same allowance as the backend's (api/uploads.py) and Traefik's file-limit.
        """
        return self.max_file_bytes + 64 * 1024

    @property
    def max_stored_value_bytes(self) -> int:
        """Return the longest text value the database can hold (4 UTF-8 bytes a character)."""
        return self.max_text_chars * 4 + 64 * 1024

    def database_dsn(self) -> str:
        """Return the application database URL with its password filled in."""
        return _with_password(self.database_url, self.database_password)

    def readonly_database_dsn(self) -> str:
        """Return the SQL console's URL: the read-only account, or the same SQLite file."""
        if self.database_readonly_url:
            return _with_password(self.database_readonly_url, self.database_readonly_password)
        if make_url(self.database_url).get_backend_name() == "sqlite":
            return self.database_url
        raise ConfigError("DATABASE_READONLY_URL is required for a server database")


def _with_password(url: str, password: Secret) -> str:
    if not password.get():
        return url
    return make_url(url).set(password=password.get()).render_as_string(hide_password=False)
