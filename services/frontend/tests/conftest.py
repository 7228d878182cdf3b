"""Database fixtures: every storage and console test runs on SQLite and on a real MariaDB.

The MariaDB server is started once per session by testkit.mariadb (a temporary datadir, a unix
socket and a free 127.0.0.1 port) and stopped at the end. It is bootstrapped the way the stack
does it: an application account with every privilege on its database, and the console's
read-only account made by readonly_account.sh.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from frontend.sqlconsole import QueryConsole
from frontend.storage import database, migrations
from frontend.storage.models import NewTranslation
from frontend.storage.repository import TranslationRepository
from sqlalchemy.ext.asyncio import AsyncEngine

from testkit.mariadb import (
    APP_DATABASE,
    APP_PASSWORD,
    APP_USER,
    READONLY_PASSWORD,
    READONLY_USER,
    MariaDB,
    binaries_missing,
    required,
    running_mariadb,
)


@pytest.fixture(scope="session")
def mariadb(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[MariaDB]:
    """Start a private MariaDB server for the session and stop it at the end."""
    missing = binaries_missing()
    if missing:
        # A missing server may hide every MySQL-dialect test: fail where it was meant to run.
        if required(request.config.option.markexpr or "", os.environ):
            pytest.fail(missing)
        pytest.skip(missing)
    with running_mariadb(tmp_path_factory.mktemp("mariadb")) as server:
        yield server


@dataclass(frozen=True)
class DbTarget:
    """Where one test's database lives: kind ("sqlite" or "mariadb"), app and read-only URLs."""

    kind: str
    url: str
    readonly_url: str
    server: MariaDB | None = None


@pytest.fixture(params=["sqlite", pytest.param("mariadb", marks=pytest.mark.mysql)])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> DbTarget:
    """Give each test an empty database, once on SQLite and once on the real MariaDB."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'data' / 'translations.db'}"
        return DbTarget("sqlite", url, url)
    server: MariaDB = request.getfixturevalue("mariadb")
    server.admin(
        f"DROP TABLE IF EXISTS {APP_DATABASE}.translations, {APP_DATABASE}.schema_version, "
        f"{APP_DATABASE}.documents"
    )
    return DbTarget(
        "mariadb",
        server.url(APP_USER, APP_PASSWORD),
        server.url(READONLY_USER, READONLY_PASSWORD),
        server,
    )


@pytest.fixture
async def engine(db_target: DbTarget) -> AsyncIterator[AsyncEngine]:
    """Return the application's engine on an empty database (no tables yet)."""
    engine = database.create_engine(db_target.url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def migrated_engine(engine: AsyncEngine) -> AsyncEngine:
    """Return the application's engine with the schema migrated to the latest version."""
    await migrations.migrate(engine)
    return engine


@pytest.fixture
def repository(migrated_engine: AsyncEngine) -> TranslationRepository:
    """Return a repository on the migrated database."""
    return TranslationRepository(migrated_engine)


@pytest.fixture
async def readonly_engine(
    db_target: DbTarget, migrated_engine: AsyncEngine
) -> AsyncIterator[AsyncEngine]:
    """Return the console's read-only engine (opened after the migrations, as the app does)."""
    engine = database.create_readonly_engine(db_target.readonly_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def console(readonly_engine: AsyncEngine) -> QueryConsole:
    """Return a console with a 2 s statement timeout and the default row cap."""
    return QueryConsole(readonly_engine, timeout_s=2.0)


@pytest.fixture
def make_translation() -> Callable[..., NewTranslation]:
    """Return a factory of finished translations; keyword arguments override the fields."""

    def make(**overrides: object) -> NewTranslation:
        fields: dict[str, object] = {
            "source_text": "Das Haus ist groß.",
            "translated_text": "The house is big.",
            "source_lang": "de",
            "target_lang": "en",
            "model": "tiny-random",
            "engine": "ctranslate2",
            "segments": 1,
            "characters": 18,
            "words": 4,
            "duration_ms": 12,
        }
        fields.update(overrides)
        return NewTranslation(**fields)  # type: ignore[arg-type]

    return make
