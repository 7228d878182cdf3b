"""`python -m frontend` refuses a bad setting at once: status 2 and one line naming it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from testkit.servers import free_port, python_env

#: Far below what starting to serve takes: the refusal must come before any socket or database.
REFUSAL_S = 60


def run_frontend(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "frontend", "--host", "127.0.0.1", "--port", str(free_port())]
    base = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'translations.db'}"}
    return subprocess.run(
        argv,
        env=python_env({**base, **env}),
        capture_output=True,
        text=True,
        timeout=REFUSAL_S,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        # Before, this one escaped until the console's engine was opened while serving.
        (
            {"DATABASE_URL": "mysql+asyncmy://app@127.0.0.1:9/translations"},
            "DATABASE_READONLY_URL is required for a server database",
        ),
        ({"ENVIRONMENT": "production"}, "SECRET_KEY (or SECRET_KEY_FILE) must be a random value"),
        ({"QUERY_MAX_ROWS": "many"}, "QUERY_MAX_ROWS must be an integer, got 'many'"),
        ({"SECRET_KEY_FILE": "/nonexistent/secret_key"}, "SECRET_KEY_FILE cannot be read"),
    ],
)
def test_a_bad_setting_exits_with_status_2_and_names_it(
    env: dict[str, str], named: str, tmp_path: Path
) -> None:
    result = run_frontend(env, tmp_path)
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()
    assert line.startswith("frontend: configuration error: ")
    assert named in line
