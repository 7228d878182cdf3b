"""secrets/create.sh: each secret the stack names, random, no trailing newline, kept once made."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from testkit.servers import REPO_ROOT

CREATE = REPO_ROOT / "secrets" / "create.sh"
PASSWORD_LINE = re.compile(r"^\s+password:\s+(\S+)$", re.M)


def run_create(secrets_dir: Path, **env: str) -> str:
    """Run create.sh writing into secrets_dir; return what it printed."""
    environment = {"PATH": os.environ["PATH"], "SECRETS_DIR": str(secrets_dir), **env}
    result = subprocess.run(
        ["bash", str(CREATE)], env=environment, capture_output=True, text=True, check=True
    )
    return result.stdout


def stack_secret_files() -> set[str]:
    secrets = yaml.safe_load((REPO_ROOT / "stack.yml").read_text())["secrets"]
    return {Path(entry["file"]).name for entry in secrets.values()}


def apr1_matches(password: str, line: str) -> bool:
    """Tell whether an htpasswd `user:$apr1$salt$hash` line holds password."""
    hashed = line.split(":", 1)[1]
    salt = hashed.split("$")[2]
    again = subprocess.run(
        ["openssl", "passwd", "-apr1", "-salt", salt, "-stdin"],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return again.stdout.strip() == hashed


def test_it_writes_every_secret_the_stack_names(tmp_path: Path) -> None:
    run_create(tmp_path)
    assert {path.name for path in tmp_path.iterdir()} == stack_secret_files()


def test_values_are_private_random_and_without_trailing_newline(tmp_path: Path) -> None:
    run_create(tmp_path / "a")
    run_create(tmp_path / "b")
    for name in stack_secret_files() - {"basic_auth_users"}:
        first = (tmp_path / "a" / name).read_text()
        assert re.fullmatch(r"[0-9a-f]{64,}", first), name
        assert first != (tmp_path / "b" / name).read_text(), name
    for path in (tmp_path / "a").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert not path.read_bytes().endswith(b"\n"), path.name


def test_the_generated_admin_password_is_printed_once_and_matches_the_hash(tmp_path: Path) -> None:
    output = run_create(tmp_path)
    password = PASSWORD_LINE.search(output)[1]
    line = (tmp_path / "basic_auth_users").read_text()
    assert line.startswith("admin:$apr1$")
    assert apr1_matches(password, line)
    assert password not in line
    assert not PASSWORD_LINE.search(run_create(tmp_path))


def test_a_chosen_admin_password_is_used_and_not_printed(tmp_path: Path) -> None:
    output = run_create(tmp_path, ADMIN_USER="ops", ADMIN_PASSWORD="a chosen passphrase")
    assert "a chosen passphrase" not in output
    line = (tmp_path / "basic_auth_users").read_text()
    assert line.startswith("ops:")
    assert apr1_matches("a chosen passphrase", line)


def test_a_second_run_keeps_every_existing_value(tmp_path: Path) -> None:
    run_create(tmp_path)
    (tmp_path / "secret_key").unlink()
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    output = run_create(tmp_path)
    after = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert {name: after[name] for name in before} == before
    assert "created" in output
    assert (tmp_path / "secret_key").exists()


def test_an_unusable_admin_user_is_refused(tmp_path: Path) -> None:
    with pytest.raises(subprocess.CalledProcessError):
        run_create(tmp_path, ADMIN_USER="bad:user")
    assert not (tmp_path / "basic_auth_users").exists()
