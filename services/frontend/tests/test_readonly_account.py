"""readonly_account.sh: the console's MySQL account, as the stack's database init creates it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from frontend.storage import database
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

# The password the session's MariaDB harness (conftest.py) gives the account.
READONLY_PASSWORD = "readonly-secret-1"
SCRIPT = Path(__file__).resolve().parents[1] / "frontend" / "storage" / "readonly_account.sh"


def _run(tmp_path: Path, password: str | None, **env: str) -> subprocess.CompletedProcess[str]:
    password_file = tmp_path / "password"
    if password is not None:
        password_file.write_text(password)
    environment = {
        "PATH": os.environ["PATH"],
        "MYSQL_DATABASE": "ut_app",
        "DATABASE_READONLY_PASSWORD_FILE": str(password_file),
        **env,
    }
    # --socket to a path nothing listens on: a script that got past its checks fails to connect.
    return subprocess.run(
        ["bash", str(SCRIPT), f"--socket={tmp_path / 'nothing.sock'}"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(
    ("password", "env", "complaint"),
    [
        (None, {}, "cannot read the password file"),
        ("", {}, "must be non-empty"),
        ("it's", {}, "without '"),
        ("back\\slash", {}, "without '"),
        ("fine-password", {"MYSQL_DATABASE": "app`; DROP"}, "MYSQL_DATABASE"),
        ("fine-password", {"DATABASE_READONLY_USER": "x'@'%"}, "DATABASE_READONLY_USER"),
    ],
)
def test_unsafe_or_missing_inputs_are_refused_before_any_sql(tmp_path, password, env, complaint):
    done = _run(tmp_path, password, **env)
    assert done.returncode != 0
    assert complaint in done.stderr


@pytest.mark.mysql
def test_the_account_gets_select_on_the_app_database_only(mariadb):
    grants = mariadb.admin("SHOW GRANTS FOR 'ut_readonly'@'%'")
    lines = sorted(line for line in grants.splitlines() if line)
    assert len(lines) == 2
    assert lines[0].startswith("GRANT SELECT ON `ut_app`.* TO `ut_readonly`@`%`")
    assert lines[1].startswith("GRANT USAGE ON *.* TO `ut_readonly`@`%`")
    assert "MAX_USER_CONNECTIONS 10" in lines[1]


@pytest.mark.mysql
async def test_running_it_again_only_changes_the_password(mariadb, tmp_path):
    async def can_log_in(password: str) -> bool:
        engine = database.create_engine(mariadb.url("ut_readonly", password), connect_timeout_s=2)
        try:
            async with engine.connect() as conn:
                return await conn.scalar(text("SELECT 1")) == 1
        except DBAPIError:
            return False
        finally:
            await engine.dispose()

    def rerun(password: str) -> None:
        (tmp_path / "password").write_text(password + "\n")
        env = dict(os.environ, MYSQL_DATABASE="ut_app")
        env["DATABASE_READONLY_PASSWORD_FILE"] = str(tmp_path / "password")
        subprocess.run(
            ["bash", str(SCRIPT), f"--socket={mariadb.socket}"],
            env=env, check=True, capture_output=True, timeout=30,
        )  # fmt: skip

    try:
        rerun("rotated-secret-2")
        assert await can_log_in("rotated-secret-2")
        assert not await can_log_in(READONLY_PASSWORD)
    finally:
        rerun(READONLY_PASSWORD)
    assert await can_log_in(READONLY_PASSWORD)
