"""Verify Apache's "$apr1$" (MD5-crypt) htpasswd hashes, as secrets/create.sh writes them.

The stack's users file comes from `openssl passwd -apr1` (no bcrypt tool is assumed on the
operator's machine) and Traefik reads it; the frontend checks the same file, so it needs the
same algorithm: Poul-Henning Kamp's MD5-crypt with Apache's magic string, 1,000 rounds.
The tests compare it with openssl's own output. New hashes should be bcrypt (`htpasswd -B`).
"""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["MAGIC", "apr1_hash", "apr1_verify"]

MAGIC = b"$apr1$"
_ITOA64 = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Which digest bytes make up each group of four output characters (the crypt(3) layout).
_GROUPS = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


def apr1_verify(password: str, hashed: str) -> bool:
    """Tell whether `password` matches the "$apr1$salt$digest" hash, in constant time."""
    if not hashed.startswith(MAGIC.decode()):
        return False
    salt = hashed[len(MAGIC) :].split("$", 1)[0]
    expected = apr1_hash(password.encode(), salt.encode())
    return hmac.compare_digest(expected, hashed.encode())


def apr1_hash(password: bytes, salt: bytes) -> bytes:
    """Return the "$apr1$" hash of `password` with `salt` (at most 8 characters are used)."""
    salt = salt[:8]
    alternate = hashlib.md5(password + salt + password).digest()  # noqa: S324 (the format's own)
    context = password + MAGIC + salt
    for start in range(0, len(password), 16):
        context += alternate[: min(16, len(password) - start)]
    length = len(password)
    while length:
        context += b"\0" if length & 1 else password[:1]
        length >>= 1
    digest = hashlib.md5(context).digest()  # noqa: S324
    for round_ in range(1000):
        block = password if round_ & 1 else digest
        if round_ % 3:
            block += salt
        if round_ % 7:
            block += password
        block += digest if round_ & 1 else password
        digest = hashlib.md5(block).digest()  # noqa: S324
    encoded = b"".join(
        _to64((digest[a] << 16) | (digest[b] << 8) | digest[c], 4) for a, b, c in _GROUPS
    )
    encoded += _to64(digest[11], 2)
    return MAGIC + salt + b"$" + encoded


def _to64(value: int, count: int) -> bytes:
    out = bytearray()
    for _ in range(count):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return bytes(out)
