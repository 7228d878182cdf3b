"""The users file: bcrypt and apr1 entries verified, anything else refused at start-up."""

from __future__ import annotations

import shutil
import subprocess

import bcrypt
import pytest
from frontend.adminauth import AdminUsers, UsersFileError, parse_users_file
from frontend.apr1 import apr1_verify
from hypothesis import given, settings
from hypothesis import strategies as st

# The reference implementation (secrets/create.sh uses it); missing, the test fails.
OPENSSL = shutil.which("openssl")


def openssl_apr1(password: str) -> str:
    """Hash `password` as secrets/create.sh does (openssl passwd -apr1, password on stdin)."""
    done = subprocess.run(
        [OPENSSL or "openssl", "passwd", "-apr1", "-stdin"],
        input=password + "\n", capture_output=True, text=True, check=True, timeout=10,
    )  # fmt: skip
    return done.stdout.strip()


@settings(max_examples=40, deadline=None)
@given(password=st.text(st.characters(codec="utf-8", exclude_characters="\n\r\0"), max_size=40))
def test_apr1_matches_openssl_and_nothing_else(password: str) -> None:
    hashed = openssl_apr1(password)
    assert apr1_verify(password, hashed)
    assert not apr1_verify(password + "x", hashed)


async def test_an_apr1_account_from_create_sh_signs_in() -> None:
    users = AdminUsers(parse_users_file(f"admin:{openssl_apr1('s3cret-pass')}\n"))
    assert await users.verify("admin", "s3cret-pass")
    assert not await users.verify("admin", "wrong")
    assert not await users.verify("nobody", "s3cret-pass")


async def test_a_bcrypt_account_in_apaches_spelling_signs_in() -> None:
    hashed = bcrypt.hashpw(b"pw-123456", bcrypt.gensalt(rounds=4)).decode()
    users = AdminUsers(parse_users_file(f"# comment\nop:$2y${hashed[4:]}\n"))
    assert await users.verify("op", "pw-123456")
    assert not await users.verify("op", "pw-1234567")


@pytest.mark.parametrize(
    "text", ["", "# only a comment\n", "admin:plaintext\n", "admin:{SHA}abc=\n", "nocolon\n"]
)
def test_a_users_file_without_a_usable_hash_is_refused(text: str) -> None:
    with pytest.raises(UsersFileError):
        parse_users_file(text)
