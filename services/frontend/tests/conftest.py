"""Database fixtures: every storage and console test runs on SQLite and on a real MariaDB.

The MariaDB server is started here from the local binary (`mariadb-install-db` into a temporary
datadir, `mariadbd` on a unix socket and a free 127.0.0.1 port), once per session, and stopped at
the end. It is bootstrapped the way the stack does it: an application account with every
privilege on its database, and the console's read-only account made by readonly_account.sh.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from frontend.sqlconsole import QueryConsole
from frontend.storage import database, migrations
from frontend.storage.models import NewTranslation
from frontend.storage.repository import TranslationRepository
from sqlalchemy.ext.asyncio import AsyncEngine

from testkit.servers import free_port

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
CLIENT = shutil.which("mariadb") or shutil.which("mysql") or "/usr/bin/mariadb"
READONLY_ACCOUNT_SH = (
    Path(__file__).resolve().parents[1] / "frontend" / "storage" / "readonly_account.sh"
)
# mariadbd runs as whoever runs the tests (root in CI; --user is only honoured for root).
SERVER_USER = pwd.getpwuid(os.getuid()).pw_name
APP_DATABASE = "ut_app"
APP_USER, APP_PASSWORD = "ut_app", "app-secret-1"
READONLY_USER, READONLY_PASSWORD = "ut_readonly", "readonly-secret-1"


@dataclass
class MariaDB:
    """A MariaDB server this session started: its socket, port and an admin (root) client."""

    socket: Path
    port: int

    def admin(self, sql: str) -> str:
        """Run SQL as root over the unix socket and return the client's tab-separated output."""
        done = subprocess.run(
            [CLIENT, "--no-defaults", f"--socket={self.socket}", "-uroot", "-N", "-B", "-e", sql],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"mariadb client failed: {done.stderr.strip()}")
        return done.stdout

    def url(self, user: str, password: str, *, port: int | None = None) -> str:
        """Return the asyncmy URL of the application database for this account."""
        return f"mysql+asyncmy://{user}:{password}@127.0.0.1:{port or self.port}/{APP_DATABASE}"


def _start_mariadb(base: Path) -> tuple[subprocess.Popen[bytes], MariaDB]:
    datadir, socket = base / "data", base / "mysqld.sock"
    subprocess.run(
        [INSTALL_DB, "--no-defaults", f"--user={SERVER_USER}", f"--datadir={datadir}",
         "--auth-root-authentication-method=normal", "--skip-test-db"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    port = free_port()
    log = (base / "mariadbd.log").open("wb")
    process = subprocess.Popen(
        [MARIADBD, "--no-defaults", f"--user={SERVER_USER}", f"--datadir={datadir}",
         f"--socket={socket}", f"--port={port}", "--bind-address=127.0.0.1",
         f"--pid-file={base / 'mysqld.pid'}",
         "--skip-log-bin", "--skip-name-resolve", "--innodb-buffer-pool-size=32M",
         "--max-connections=200"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    log.close()
    server = MariaDB(socket=socket, port=port)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"mariadbd exited: {(base / 'mariadbd.log').read_text()[-2000:]}")
        try:
            server.admin("SELECT 1")
            return process, server
        except RuntimeError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.2)


def _bootstrap(server: MariaDB, base: Path) -> None:
    """Create the app database and account, then the read-only account as the stack does."""
    server.admin(
        f"CREATE DATABASE {APP_DATABASE} CHARACTER SET utf8mb4;"
        f"CREATE USER '{APP_USER}'@'%' IDENTIFIED BY '{APP_PASSWORD}';"
        f"GRANT ALL PRIVILEGES ON {APP_DATABASE}.* TO '{APP_USER}'@'%';"
    )
    password_file = base / "readonly_password"
    password_file.write_text(READONLY_PASSWORD + "\n")
    env = dict(os.environ, MYSQL_DATABASE=APP_DATABASE)
    env["DATABASE_READONLY_PASSWORD_FILE"] = str(password_file)
    env["DATABASE_READONLY_USER"] = READONLY_USER
    subprocess.run(
        ["bash", str(READONLY_ACCOUNT_SH), f"--socket={server.socket}"],
        env=env, check=True, capture_output=True, timeout=60,
    )  # fmt: skip


@pytest.fixture(scope="session")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDB]:
    """Start a private MariaDB server for the session and stop it at the end."""
    if not (Path(MARIADBD).exists() and Path(INSTALL_DB).exists()):
        message = "MariaDB server binaries missing: run `make system-deps`"
        # In CI the MySQL dialect must be tested: a missing server is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = tmp_path_factory.mktemp("mariadb")
    process, server = _start_mariadb(base)
    try:
        _bootstrap(server, base)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(base / "data", ignore_errors=True)


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
    server.admin(f"DROP TABLE IF EXISTS {APP_DATABASE}.translations, {APP_DATABASE}.schema_version")
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
