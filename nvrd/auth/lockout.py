"""Failed sign-in throttling per client (pure; the monotonic clock is injected).

``max_failures`` wrong passwords within ``window`` seconds lock the client
out for ``lockout`` seconds. A success clears the client's record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

_MAX_CLIENTS = 10_000


@dataclass
class _Record:
    failures: list[float] = field(default_factory=list)
    locked_until: float = 0.0


class Lockout:
    def __init__(
        self,
        max_failures: int,
        window: float,
        lockout: float,
        monotonic: Callable[[], float],
    ):
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self._monotonic = monotonic
        self._clients: dict[str, _Record] = {}

    def locked_for(self, client: str) -> float:
        """Seconds the client still has to wait (0 when it may try)."""
        rec = self._clients.get(client)
        if rec is None:
            return 0.0
        return max(0.0, rec.locked_until - self._monotonic())

    def failure(self, client: str) -> bool:
        """Count a failure; True if the client is now locked out."""
        now = self._monotonic()
        if len(self._clients) >= _MAX_CLIENTS:
            self._prune(now)
        rec = self._clients.setdefault(client, _Record())
        rec.failures = [t for t in rec.failures if now - t < self.window]
        rec.failures.append(now)
        if len(rec.failures) >= self.max_failures:
            rec.locked_until = now + self.lockout
            rec.failures.clear()
            return True
        return False

    def success(self, client: str) -> None:
        self._clients.pop(client, None)

    def _prune(self, now: float) -> None:
        stale = [
            c
            for c, r in self._clients.items()
            if r.locked_until <= now and all(now - t >= self.window for t in r.failures)
        ]
        for c in stale:
            del self._clients[c]
        if len(self._clients) >= _MAX_CLIENTS:  # still full: forget the oldest half
            for c in list(self._clients)[: _MAX_CLIENTS // 2]:
                del self._clients[c]
