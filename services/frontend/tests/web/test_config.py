"""Settings from the environment: defaults, *_FILE secrets, refusing placeholders in production."""

from __future__ import annotations

import pytest
from frontend.config import ConfigError, Secret, Settings
from hypothesis import given
from hypothesis import strategies as st

STRONG_KEY = "k" * 40

# Letters: never digits, so never something pydantic could read as an integer ("1.0" it can).
LETTERS = st.text(alphabet=st.characters(categories=["L"]), min_size=1)


def test_defaults_run_without_any_environment() -> None:
    settings = Settings.from_env({})
    assert settings.backend_url == "http://127.0.0.1:8001"
    assert settings.database_url == "sqlite+aiosqlite:///./data/translations.db"
    assert settings.query_max_rows == 1000
    assert settings.is_development


def test_development_generates_a_random_secret_key_per_process() -> None:
    first, second = Settings.from_env({}), Settings.from_env({})
    assert len(first.secret_key.get()) >= 32
    assert first.secret_key != second.secret_key


def test_secret_is_read_from_file_with_trailing_newline_stripped(tmp_path) -> None:
    path = tmp_path / "secret_key"
    path.write_text(STRONG_KEY + "\n")
    env = {"ENVIRONMENT": "production", "SECRET_KEY_FILE": str(path), "ADMIN_USERS_FILE": "u"}
    settings = Settings.from_env(env)
    assert settings.secret_key.get() == STRONG_KEY


def test_production_requires_the_operators_users_file() -> None:
    with pytest.raises(ConfigError, match="ADMIN_USERS_FILE"):
        Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY": STRONG_KEY})


def test_secret_never_shows_in_repr() -> None:
    settings = Settings.from_env({"SECRET_KEY": STRONG_KEY, "DATABASE_PASSWORD": "hunter2-long"})
    assert STRONG_KEY not in repr(settings)
    assert "hunter2-long" not in repr(settings)
    assert "hunter2-long" not in str(Secret("hunter2-long"))


@pytest.mark.parametrize("key", ["", "changeme", "secret", "short-but-random"])
def test_production_refuses_placeholder_or_short_secret_key(key: str) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY": key})


def test_production_refuses_placeholder_database_password() -> None:
    env = {"ENVIRONMENT": "production", "SECRET_KEY": STRONG_KEY, "DATABASE_PASSWORD": "changeme"}
    with pytest.raises(ConfigError, match="DATABASE_PASSWORD"):
        Settings.from_env(env)


def test_unreadable_secret_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE cannot be read"):
        Settings.from_env({"SECRET_KEY_FILE": str(tmp_path / "missing")})


def test_bad_number_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="QUERY_MAX_ROWS"):
        Settings.from_env({"QUERY_MAX_ROWS": "many"})


def test_backend_stream_attempts_come_from_the_environment_and_must_be_positive() -> None:
    assert Settings().backend_stream_attempts == 3
    assert Settings.from_env({"BACKEND_STREAM_ATTEMPTS": "5"}).backend_stream_attempts == 5
    with pytest.raises(ConfigError, match="BACKEND_STREAM_ATTEMPTS"):
        Settings.from_env({"BACKEND_STREAM_ATTEMPTS": "0"})


def test_database_password_is_filled_into_the_url(tmp_path) -> None:
    path = tmp_path / "db_password"
    path.write_text("s3cr3t-pw\n")
    settings = Settings.from_env(
        {
            "DATABASE_URL": "mysql+asyncmy://app@db:3306/translations",
            "DATABASE_PASSWORD_FILE": str(path),
            "DATABASE_READONLY_URL": "mysql+asyncmy://reader@db:3306/translations",
        }
    )
    assert settings.database_dsn() == "mysql+asyncmy://app:s3cr3t-pw@db:3306/translations"
    assert settings.readonly_database_dsn() == "mysql+asyncmy://reader@db:3306/translations"


def test_sqlite_console_uses_the_same_file() -> None:
    assert Settings.from_env({}).readonly_database_dsn() == Settings.from_env({}).database_url


def test_a_server_database_without_a_readonly_url_is_refused_when_read() -> None:
    """Refused with the settings, not when the console first opens its engine."""
    with pytest.raises(ConfigError, match="DATABASE_READONLY_URL is required"):
        Settings.from_env({"DATABASE_URL": "mysql+asyncmy://app:pw-long@db/translations"})


def test_a_database_url_that_is_no_url_is_refused() -> None:
    with pytest.raises(ConfigError, match="DATABASE_URL is not a database URL"):
        Settings.from_env({"DATABASE_URL": "translations.db"})


def test_trusted_proxies_must_be_networks() -> None:
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        Settings.from_env({"TRUSTED_PROXIES": "127.0.0.1/32,traefik"})


def test_a_secret_file_wins_over_the_variable(tmp_path) -> None:
    path = tmp_path / "secret_key"
    path.write_text(STRONG_KEY)
    settings = Settings.from_env({"SECRET_KEY": "x" * 40, "SECRET_KEY_FILE": str(path)})
    assert settings.secret_key.get() == STRONG_KEY


def test_refusing_a_weak_key_never_shows_it() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_env({"ENVIRONMENT": "production", "SECRET_KEY": "short-but-random"})
    assert "short-but-random" not in str(refused.value)


def test_building_directly_never_reads_the_process_environment(monkeypatch) -> None:
    monkeypatch.setenv("QUERY_MAX_ROWS", "7")
    assert Settings().query_max_rows == 1000
    assert Settings.from_env().query_max_rows == 7


def test_each_default_is_the_one_from_env_uses() -> None:
    """One default per setting: reading an empty environment gives the fields' defaults."""
    built, read = Settings().model_dump(), Settings.from_env({}).model_dump()
    assert {name: read[name] for name in read if name != "secret_key"} == {
        name: built[name] for name in built if name != "secret_key"
    }


def test_bad_bool_and_number_say_what_they_want() -> None:
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE must be true or false"):
        Settings.from_env({"SESSION_COOKIE_SECURE": "maybe"})
    with pytest.raises(ConfigError, match="QUERY_TIMEOUT_S must be a number, got 'soon'"):
        Settings.from_env({"QUERY_TIMEOUT_S": "soon"})
    with pytest.raises(ConfigError, match="HISTORY_PER_PAGE must be at most 100"):
        Settings.from_env({"HISTORY_PER_PAGE": "101"})


COUNTS = [
    name
    for name, field in Settings.model_fields.items()
    if field.annotation is int and any(getattr(rule, "ge", None) == 1 for rule in field.metadata)
]


@given(name=st.sampled_from(COUNTS), value=st.integers(min_value=1, max_value=100))
def test_every_count_is_read_from_its_variable(name: str, value: int) -> None:
    assert getattr(Settings.from_env({name.upper(): str(value)}), name) == value


@given(name=st.sampled_from(COUNTS), value=st.integers(max_value=0))
def test_every_count_below_one_is_refused_by_name(name: str, value: int) -> None:
    with pytest.raises(ConfigError, match=f"^{name.upper()} must be at least 1$"):
        Settings.from_env({name.upper(): str(value)})


@given(name=st.sampled_from(COUNTS), text=LETTERS)
def test_every_count_that_is_no_integer_is_refused_by_name(name: str, text: str) -> None:
    with pytest.raises(ConfigError, match=f"^{name.upper()} must be an integer"):
        Settings.from_env({name.upper(): text})


def test_history_per_page_is_capped_at_one_hundred() -> None:
    """HISTORY_PER_PAGE=100 is the largest page; 101 (or 0) is refused, naming the variable."""
    assert Settings.from_env({"HISTORY_PER_PAGE": "100"}).history_per_page == 100
    for too_many_or_none in ("101", "0"):
        with pytest.raises(ConfigError, match="HISTORY_PER_PAGE"):
            Settings.from_env({"HISTORY_PER_PAGE": too_many_or_none})
