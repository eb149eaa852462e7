"""Salted, slow password hashes with the standard library's scrypt (pure)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

# Interactive-login parameters: ~16 MiB and a few tens of ms per check.
_N, _R, _P = 2**14, 8, 1
_DKLEN = 32
_PREFIX = "scrypt"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = _N, r: int = _R, p: int = _P) -> str:
    """Return ``scrypt$n$r$p$salt$hash`` for storage."""
    salt = secrets.token_bytes(16)
    dk = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=_DKLEN)
    return f"{_PREFIX}${n}${r}${p}${_b64(salt)}${_b64(dk)}"


@dataclass(frozen=True)
class Scrypt:
    """A scrypt cost. Stored hashes carry their own parameters, so a hash made with
    one cost verifies with any ``Scrypt``; tests inject a cheap one."""

    n: int = _N
    r: int = _R
    p: int = _P

    def hash(self, password: str) -> str:
        return hash_password(password, n=self.n, r=self.r, p=self.p)

    @property
    def dummy(self) -> str:
        """A valid hash of no password, so that checking an unknown user costs as much
        as checking a known one."""
        zero = _b64(bytes(16)), _b64(bytes(_DKLEN))
        return f"{_PREFIX}${self.n}${self.r}${self.p}${zero[0]}${zero[1]}"


INTERACTIVE = Scrypt()


def verify_password(password: str, stored: str) -> bool:
    """Constant-time check of ``password`` against a stored hash."""
    try:
        prefix, n, r, p, salt_b64, dk_b64 = stored.split("$")
        if prefix != _PREFIX:
            return False
        salt = base64.b64decode(salt_b64)
        expected = base64.b64decode(dk_b64)
        dk = hashlib.scrypt(
            password.encode("utf-8"),
            salt=salt,
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
            maxmem=2**26,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(dk, expected)


def random_password(length: int = 16) -> str:
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
