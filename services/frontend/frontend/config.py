"""The frontend's one settings object, from the environment (secrets also from *_FILE paths)."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from ipaddress import ip_network
from pathlib import Path

from sqlalchemy.engine import make_url

from frontend.articles.addresses import AllowedHost, parse_allow_hosts

DEVELOPMENT = "development"
# Values people paste from examples; refused as secrets outside development.
PLACEHOLDER_SECRETS = frozenset(
    {"", "changeme", "change-me", "change_me", "secret", "password", "dev", "development", "xxx"}
)
MIN_SECRET_KEY_CHARS = 32
# The repository serves at most 100 rows a page.
MAX_HISTORY_PER_PAGE = 100


class ConfigError(ValueError):
    """The environment does not describe a usable configuration."""


class Secret:
    """A string that never shows itself in repr, str or logs."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """Return the secret value (only where it is actually needed)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and secrets.compare_digest(self._value, other._value)

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Every setting of the frontend; `Settings.from_env()` builds it, tests build it directly."""

    #: "development" allows a generated SECRET_KEY and placeholder secrets; nothing else does.
    environment: str = DEVELOPMENT
    #: Base URL of the backend (its /v1/translate/stream is called).
    backend_url: str = "http://127.0.0.1:8001"
    #: Seconds to wait for a TCP connection to the backend.
    backend_connect_timeout_s: float = 5.0
    #: Seconds to wait for a backend answer that is not a stream (documents, /detect).
    backend_read_timeout_s: float = 300.0
    #: Seconds a translation stream may stay silent before it is resumed on another replica; the
    #: backend is asked for a heartbeat every third of it, so only a lost replica stays silent.
    backend_stream_idle_timeout_s: float = 15.0
    #: Requests per translation when the backend stream breaks (resumed after the last segment).
    backend_stream_attempts: int = 3
    #: Source and target language sent to the backend.
    source_lang: str = "de"
    target_lang: str = "en"
    #: Longest text accepted, in characters (stated on the page; the backend has its own limit).
    max_text_chars: int = 1_000_000
    #: SQLAlchemy async URL of the application database (password may come from database_password).
    database_url: str = "sqlite+aiosqlite:///./data/translations.db"
    #: Password for database_url, substituted into it when set (DATABASE_PASSWORD[_FILE]).
    database_password: Secret = field(default_factory=lambda: Secret(""))
    #: URL of the SQL console's read-only account; empty: derived from database_url for SQLite.
    database_readonly_url: str = ""
    #: Password for database_readonly_url (DATABASE_READONLY_PASSWORD[_FILE]).
    database_readonly_password: Secret = field(default_factory=lambda: Secret(""))
    #: Seconds before pooled connections are recycled (below MySQL's and proxies' idle timeouts).
    database_pool_recycle_s: int = 280
    #: Row cap of the SQL console (one more row is fetched to tell that results were cut).
    query_max_rows: int = 1000
    #: Statement timeout of the SQL console, in seconds.
    query_timeout_s: float = 5.0
    #: Longest value the console shows, in UTF-8 bytes (longer ones are cut and marked).
    query_max_cell_bytes: int = 65_536
    #: Largest console result, in bytes of text (rows beyond it are cut and the page says so).
    query_max_result_bytes: int = 2 * 1024 * 1024
    #: Console statements running at once in one frontend process; more get 429.
    query_max_concurrent: int = 2
    #: Translations per history page.
    history_per_page: int = 20
    #: Finished translations kept in memory while the database is down.
    pending_max_items: int = 1000
    #: Key signing the session cookie (CSRF token); SECRET_KEY[_FILE]. Generated in development.
    secret_key: Secret = field(default_factory=lambda: Secret(""))
    #: Send the session cookie only over HTTPS (set behind a TLS-terminating proxy).
    session_cookie_secure: bool = False
    #: htpasswd file of the operator's accounts (bcrypt; the one Traefik's basic auth reads):
    #: every page but translating and health needs one of them. ADMIN_USERS_FILE.
    admin_users_file: str = ""
    #: Comma-separated networks whose X-Forwarded-For is believed (the proxies in front).
    trusted_proxies: str = "127.0.0.1/32,::1/128"
    #: Wrong passwords one client may send before it waits (doubling each time).
    login_client_failures: int = 5
    #: Wrong passwords for one account, from clients it never saw log in, before those wait.
    login_account_failures: int = 20
    #: Longest wait a wrong password can earn, in seconds.
    login_max_lockout_s: float = 900.0
    #: Translations (form and stream) per second and client, sustained, and at once.
    translate_rate_per_s: float = 1.0
    translate_burst: int = 10
    #: Console statements per second and client, sustained, and at once.
    query_rate_per_s: float = 1.0
    query_burst: int = 10
    #: Log level name for the JSON logs.
    log_level: str = "INFO"
    #: Seconds between SIGTERM and closing the listener, /readyz saying 503 meanwhile: Traefik's
    #: health check (every 3 s, 2 s timeout) takes the task out of rotation first (README).
    shutdown_drain_s: float = 10.0
    # --- articles by URL (docs/articles.md) ---
    #: The fetcher service that reads articles (stack: http://fetcher:8003); empty: this process.
    fetcher_url: str = ""
    #: Hosts the article fetcher may reach although they are private ("host" or "host:port").
    fetch_allow_hosts: tuple[AllowedHost, ...] = ()
    #: Seconds to connect to a site, to wait for each read, and for the whole page.
    fetch_connect_timeout_s: float = 5.0
    fetch_read_timeout_s: float = 10.0
    fetch_total_timeout_s: float = 30.0
    #: Largest page body read, in bytes (after decompression).
    max_article_bytes: int = 5_000_000
    #: Articles one client may ask for per minute (each one makes this server fetch a page).
    articles_per_minute: int = 10

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build the settings from environment variables (and *_FILE secrets) and validate them."""
        env = os.environ if environ is None else environ
        text = _Reader(env)
        settings = cls(
            environment=text.str("ENVIRONMENT", cls.environment),
            backend_url=text.str("BACKEND_URL", cls.backend_url).rstrip("/"),
            backend_connect_timeout_s=text.float("BACKEND_CONNECT_TIMEOUT_S", 5.0),
            backend_read_timeout_s=text.float("BACKEND_READ_TIMEOUT_S", 300.0),
            backend_stream_idle_timeout_s=text.float("BACKEND_STREAM_IDLE_TIMEOUT_S", 15.0),
            backend_stream_attempts=text.int("BACKEND_STREAM_ATTEMPTS", 3),
            source_lang=text.str("SOURCE_LANG", cls.source_lang),
            target_lang=text.str("TARGET_LANG", cls.target_lang),
            max_text_chars=text.int("MAX_TEXT_CHARS", 1_000_000),
            database_url=text.str("DATABASE_URL", cls.database_url),
            database_password=text.secret("DATABASE_PASSWORD"),
            database_readonly_url=text.str("DATABASE_READONLY_URL", ""),
            database_readonly_password=text.secret("DATABASE_READONLY_PASSWORD"),
            database_pool_recycle_s=text.int("DATABASE_POOL_RECYCLE_S", 280),
            query_max_rows=text.int("QUERY_MAX_ROWS", 1000),
            query_timeout_s=text.float("QUERY_TIMEOUT_S", 5.0),
            query_max_cell_bytes=text.int("QUERY_MAX_CELL_BYTES", 65_536),
            query_max_result_bytes=text.int("QUERY_MAX_RESULT_BYTES", 2 * 1024 * 1024),
            query_max_concurrent=text.int("QUERY_MAX_CONCURRENT", 2),
            history_per_page=text.int("HISTORY_PER_PAGE", 20),
            pending_max_items=text.int("PENDING_MAX_ITEMS", 1000),
            secret_key=text.secret("SECRET_KEY"),
            session_cookie_secure=text.bool("SESSION_COOKIE_SECURE", False),
            admin_users_file=text.str("ADMIN_USERS_FILE", ""),
            trusted_proxies=text.str("TRUSTED_PROXIES", cls.trusted_proxies),
            login_client_failures=text.int("LOGIN_CLIENT_FAILURES", 5),
            login_account_failures=text.int("LOGIN_ACCOUNT_FAILURES", 20),
            login_max_lockout_s=text.float("LOGIN_MAX_LOCKOUT_S", 900.0),
            translate_rate_per_s=text.float("TRANSLATE_RATE_PER_S", 1.0),
            translate_burst=text.int("TRANSLATE_BURST", 10),
            query_rate_per_s=text.float("QUERY_RATE_PER_S", 1.0),
            query_burst=text.int("QUERY_BURST", 10),
            log_level=text.str("LOG_LEVEL", "INFO").upper(),
            shutdown_drain_s=text.float("SHUTDOWN_DRAIN_S", 10.0),
            fetcher_url=text.str("FETCHER_URL", "").rstrip("/"),
            fetch_allow_hosts=text.allow_hosts("FETCH_ALLOW_HOSTS"),
            fetch_connect_timeout_s=text.float("FETCH_CONNECT_TIMEOUT_S", 5.0),
            fetch_read_timeout_s=text.float("FETCH_READ_TIMEOUT_S", 10.0),
            fetch_total_timeout_s=text.float("FETCH_TOTAL_TIMEOUT_S", 30.0),
            max_article_bytes=text.int("MAX_ARTICLE_BYTES", 5_000_000),
            articles_per_minute=text.int("ARTICLES_PER_MINUTE", 10),
        )
        return settings.validated()

    @property
    def is_development(self) -> bool:
        """Tell whether development conveniences (generated secret key) are allowed."""
        return self.environment == DEVELOPMENT

    def validated(self) -> Settings:
        """Return these settings with a development key filled in; raise ConfigError if unusable."""
        for name in (
            "max_text_chars",
            "backend_stream_attempts",
            "query_max_rows",
            "query_max_cell_bytes",
            "query_max_result_bytes",
            "query_max_concurrent",
            "history_per_page",
            "pending_max_items",
            "max_article_bytes",
            "articles_per_minute",
            "login_client_failures",
            "login_account_failures",
            "translate_burst",
            "query_burst",
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name.upper()} must be at least 1")
        for name in (
            "translate_rate_per_s",
            "query_rate_per_s",
            "login_max_lockout_s",
            "backend_stream_idle_timeout_s",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.upper()} must be positive")
        for cidr in filter(None, (part.strip() for part in self.trusted_proxies.split(","))):
            try:
                ip_network(cidr)
            except ValueError:
                raise ConfigError(f"TRUSTED_PROXIES holds {cidr!r}, not a network") from None
        if self.shutdown_drain_s < 0:
            raise ConfigError("SHUTDOWN_DRAIN_S must not be negative")
        if self.history_per_page > MAX_HISTORY_PER_PAGE:
            raise ConfigError(f"HISTORY_PER_PAGE must be at most {MAX_HISTORY_PER_PAGE}")
        if self.is_development:
            if self.secret_key.get():
                return self
            return _replace(self, secret_key=Secret(secrets.token_urlsafe(48)))
        key = self.secret_key.get()
        if key.lower() in PLACEHOLDER_SECRETS or len(key) < MIN_SECRET_KEY_CHARS:
            raise ConfigError(
                f"SECRET_KEY (or SECRET_KEY_FILE) must be a random value of at least "
                f"{MIN_SECRET_KEY_CHARS} characters outside development"
            )
        for name in ("database_password", "database_readonly_password"):
            value = getattr(self, name).get()
            if value and value.lower() in PLACEHOLDER_SECRETS:
                raise ConfigError(f"{name.upper()} is a placeholder; set a real secret")
        if not self.admin_users_file:
            raise ConfigError(
                "ADMIN_USERS_FILE (the operator's htpasswd file) is required outside development"
            )
        return self

    @property
    def max_body_bytes(self) -> int:
        """Return the largest request body that can hold a valid text (Traefik's body-limit too).

        12 bytes per character: the longest encoding of one, a surrogate pair as two \\uXXXX
        JSON escapes or four %XX in a form; plus 64 KiB for the JSON or form around it.
        """
        return self.max_text_chars * 12 + 64 * 1024

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


def _replace(settings: Settings, **changes: object) -> Settings:
    values = {name: getattr(settings, name) for name in settings.__dataclass_fields__}
    values.update(changes)
    return Settings(**values)  # type: ignore[arg-type]


class _Reader:
    """Typed reads of environment variables with clear errors."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def str(self, name: str, default: str) -> str:
        return self._env.get(name, default)

    def int(self, name: str, default: int) -> int:
        raw = self._env.get(name)
        try:
            return default if raw is None else int(raw.replace("_", ""))
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None

    def float(self, name: str, default: float) -> float:
        raw = self._env.get(name)
        try:
            return default if raw is None else float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None

    def bool(self, name: str, default: bool) -> bool:
        raw = self._env.get(name)
        if raw is None:
            return default
        if raw.lower() in {"1", "true", "yes", "on"}:
            return True
        if raw.lower() in {"0", "false", "no", "off", ""}:
            return False
        raise ConfigError(f"{name} must be true or false, got {raw!r}")

    def allow_hosts(self, name: str) -> tuple[AllowedHost, ...]:
        try:
            return parse_allow_hosts(self._env.get(name, ""))
        except ValueError as error:
            raise ConfigError(str(error)) from None

    def secret(self, name: str) -> Secret:
        """Read NAME, or the file named by NAME_FILE with one trailing newline stripped."""
        path = self._env.get(f"{name}_FILE")
        if path:
            try:
                value = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                raise ConfigError(f"{name}_FILE cannot be read: {exc.strerror}") from None
            return Secret(value.removesuffix("\n").removesuffix("\r"))
        return Secret(self._env.get(name, ""))
