"""A private MariaDB server for tests: `mariadb-install-db` into a temporary datadir, `mariadbd` on
a unix socket and a free 127.0.0.1 port, bootstrapped the way the stack does it: an application
account with every privilege on its database, and the console's read-only account made by the
frontend's readonly_account.sh. Used by the frontend's storage tests and the red-team suite.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from testkit.servers import REPO_ROOT, free_port

READONLY_ACCOUNT_SH = (
    REPO_ROOT / "services" / "frontend" / "frontend" / "storage" / "readonly_account.sh"
)
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
CLIENT = shutil.which("mariadb") or shutil.which("mysql") or "/usr/bin/mariadb"
# How long a stopping server may take before it is killed (its data is thrown away after).
SHUTDOWN_GRACE_S = 10
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


def binaries_missing() -> str | None:
    """Say what is missing to run MariaDB here, or None."""
    if Path(MARIADBD).exists() and Path(INSTALL_DB).exists():
        return None
    return "MariaDB server binaries missing: run `make system-deps`"


def required(markexpr: str, environ: Mapping[str, str]) -> bool:
    """Say whether a missing MariaDB must fail the run: in CI, or when the run asked for it.

    A run asks for it with REQUIRE_MARIADB=1 or by selecting the marker (`-m mysql`); only a
    developer's plain run on a machine without the server may skip the MySQL half.
    """
    if environ.get("CI") or environ.get("REQUIRE_MARIADB"):
        return True
    return "mysql" in markexpr.replace("not mysql", "")


@contextlib.contextmanager
def running_mariadb(base: Path) -> Iterator[MariaDB]:
    """Start a bootstrapped MariaDB under `base` for the block, then stop it."""
    process, server = _start_mariadb(base)
    try:
        _bootstrap(server, base)
        yield server
    finally:
        process.terminate()
        try:
            # Not longer: a session the server cannot interrupt (seen: a read-only console
            # session at the end of make test) holds its shutdown until it is killed.
            process.wait(timeout=SHUTDOWN_GRACE_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(base / "data", ignore_errors=True)
