"""Passwords checked recently: what counts as known, and for how long."""

from __future__ import annotations

from nvrd.core.verified import VerifiedPasswords


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_right_password_is_known_until_it_expires_or_the_hash_changes() -> None:
    clock = Clock()
    v = VerifiedPasswords(ttl=60, monotonic=clock)
    assert not v.known("alice", "pw", "hash1")
    v.remember("alice", "pw", "hash1")
    assert v.known("alice", "pw", "hash1")
    assert not v.known("alice", "pw2", "hash1")  # another password
    assert not v.known("bob", "pw", "hash1")  # another user
    assert not v.known("alice", "pw", "hash2")  # the password was changed
    assert not v.known("alice", "pw", "hash1")  # and the entry is gone
    v.remember("alice", "pw", "hash1")
    clock.now += 59.9
    assert v.known("alice", "pw", "hash1")
    clock.now += 0.2
    assert not v.known("alice", "pw", "hash1") and len(v) == 0


def test_no_password_is_kept_and_the_cache_is_bounded() -> None:
    v = VerifiedPasswords(max_entries=3)
    for n in range(5):
        v.remember(f"user{n}", "secret-password", "h")
    assert len(v) == 3
    assert not v.known("user0", "secret-password", "h")  # the oldest went first
    assert v.known("user4", "secret-password", "h")
    kept = repr(v._entries)
    assert "secret-password" not in kept and "user4" not in kept
    # another process (another key) knows nothing of these
    assert not VerifiedPasswords().known("user4", "secret-password", "h")
