"""Passwords checked recently, so that a device that signs every request in (Basic or
``auth=`` on each push, as the guide's examples do) does not cost a scrypt each time.

An entry is the HMAC-SHA256 of the user id and password under a key drawn when the
process starts (the password itself is never kept), with the stored hash it was checked
against and when it expires. It counts only while the stored hash is still the same: a
new password, or a removed and re-added user, misses. Only right passwords are kept; a
wrong one always costs the full check. The cache is bounded (the oldest entries go
first) and entries live ``ttl`` seconds. A hit is faster than a check, but only for the
right password, which the caller then knows already.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable

#: how long a checked password counts, seconds
TTL_SECONDS = 300.0
#: how many (user, password) pairs are kept at most
MAX_ENTRIES = 1024


class VerifiedPasswords:
    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        max_entries: int = MAX_ENTRIES,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl, self.max_entries, self._monotonic = ttl, max_entries, monotonic
        self._key = secrets.token_bytes(32)
        self._entries: OrderedDict[bytes, tuple[str, float]] = OrderedDict()

    def _digest(self, uid: str, password: str) -> bytes:
        data = uid.encode("utf-8") + b"\0" + password.encode("utf-8")
        return hmac.new(self._key, data, hashlib.sha256).digest()

    def known(self, uid: str, password: str, stored_hash: str) -> bool:
        """``password`` of ``uid`` was found right against ``stored_hash`` lately."""
        key = self._digest(uid, password)
        entry = self._entries.get(key)
        if entry is None:
            return False
        checked_hash, expires = entry
        if expires <= self._monotonic() or not hmac.compare_digest(checked_hash, stored_hash):
            del self._entries[key]
            return False
        return True

    def remember(self, uid: str, password: str, stored_hash: str) -> None:
        """``password`` of ``uid`` was just found right against ``stored_hash``."""
        key = self._digest(uid, password)
        self._entries[key] = (stored_hash, self._monotonic() + self.ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
