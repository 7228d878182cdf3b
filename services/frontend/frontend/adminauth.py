"""The operator's accounts: the htpasswd file Traefik's basic auth reads, checked here too.

The frontend does not trust that a proxy checked the password (a misrouted or encoded path, or
the frontend's own port, would skip it): it verifies the same credentials itself. bcrypt is slow
by design, so a successful check is remembered for a few minutes under an HMAC of the
credentials (never the password itself), and checks run in a worker thread, a few at a time.
Hashes are bcrypt (`htpasswd -B`, `make run`) or Apache's apr1 (secrets/create.sh, openssl).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from pathlib import Path

import bcrypt

from frontend.apr1 import MAGIC as APR1_MAGIC
from frontend.apr1 import apr1_hash, apr1_verify

__all__ = ["AdminUsers", "UsersFileError", "parse_users_file"]

# htpasswd spells bcrypt $2y$ (Apache) or $2b$/$2a$ (OpenBSD, Python's bcrypt).
_BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
# Successful checks remembered, and for how long: the browser sends the password on every page.
_CACHE_ENTRIES = 256
_CACHE_TTL_S = 300.0
# bcrypt checks running at once; more wait, so guessers cannot take every core.
_CONCURRENT_CHECKS = 2


class UsersFileError(ValueError):
    """The users file is missing, unreadable or holds an entry that is not user:bcrypt-hash."""


def parse_users_file(text: str) -> dict[str, bytes]:
    """Return {user: hash} from htpasswd lines (bcrypt or apr1); refuse any other scheme."""
    users: dict[str, bytes] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, hashed = line.partition(":")
        if hashed.startswith(APR1_MAGIC.decode()) and sep and name:
            users[name] = hashed.encode("ascii")
            continue
        if not sep or not name or not hashed.startswith(_BCRYPT_PREFIXES):
            raise UsersFileError(f"line {number} is not user:hash (htpasswd -B or -m)")
        # Python's bcrypt reads $2b$; $2y$ is the same algorithm under Apache's name.
        users[name] = ("$2b$" + hashed[4:]).encode("ascii")
    if not users:
        raise UsersFileError("the users file holds no account")
    return users


class AdminUsers:
    """Check an operator's name and password against the users file's bcrypt hashes."""

    def __init__(self, users: dict[str, bytes]) -> None:
        self._users = users
        self._cache_key = secrets.token_bytes(32)
        self._verified: OrderedDict[bytes, float] = OrderedDict()
        self._checks = asyncio.Semaphore(_CONCURRENT_CHECKS)
        # Checked for unknown names at the accounts' own cost: a wrong name takes as long as a
        # wrong password, so timing does not tell which names exist.
        first = next(iter(users.values()))
        if first.startswith(APR1_MAGIC):
            self._dummy_hash = apr1_hash(
                secrets.token_hex(8).encode(), secrets.token_hex(4).encode()
            )
        else:
            rounds = int(first[4:6])
            self._dummy_hash = bcrypt.hashpw(secrets.token_bytes(16), bcrypt.gensalt(rounds=rounds))

    @classmethod
    def from_file(cls, path: str | Path) -> AdminUsers:
        """Load the users file (the basic_auth_users secret), or raise UsersFileError."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsersFileError(f"cannot read the users file: {error}") from None
        return cls(parse_users_file(text))

    def exists(self, user: str) -> bool:
        """Tell whether `user` is an account (throttling counts real accounts apart)."""
        return user in self._users

    async def verify(self, user: str, password: str) -> bool:
        """Tell whether `password` is `user`'s; bcrypt runs off the event loop."""
        key = hmac.new(self._cache_key, f"{user}\0{password}".encode(), hashlib.sha256).digest()
        expires = self._verified.get(key)
        if expires is not None and expires > time.monotonic():
            return True
        hashed = self._users.get(user, self._dummy_hash)
        async with self._checks:
            ok = await asyncio.to_thread(_check, password, hashed)
        if ok and user in self._users:
            self._verified[key] = time.monotonic() + _CACHE_TTL_S
            self._verified.move_to_end(key)
            while len(self._verified) > _CACHE_ENTRIES:
                self._verified.popitem(last=False)
            return True
        return False


def _check(password: str, hashed: bytes) -> bool:
    if hashed.startswith(APR1_MAGIC):
        return apr1_verify(password, hashed.decode("ascii"))
    return bcrypt.checkpw(password.encode(), hashed)
