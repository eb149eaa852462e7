"""A token bucket shared by many tasks: at most ``rate`` starts a second, ``burst`` at once.

All the channels' ingests take a token before they start an ffmpeg process,
so that when many cameras fail together (the network went down, the box is
saturated) their restarts are spread out instead of arriving as one storm
that saturates the box again. Waits are on the injected clock.
"""

from __future__ import annotations

import asyncio

from nvrd.core.clock import Clock


class StartLimiter:
    def __init__(self, clock: Clock, rate: float, burst: int):
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be > 0 and burst >= 1")
        self.clock = clock
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at = clock.monotonic()
        self._lock = asyncio.Lock()
        self.waited = 0  # starts that had to wait for a token

    def _refill(self) -> None:
        now = self.clock.monotonic()
        self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.rate)
        self._at = now

    async def acquire(self) -> None:
        """Take one token, waiting (first come, first served) until one is there."""
        async with self._lock:
            self._refill()
            if self._tokens < 1:
                self.waited += 1
                await self.clock.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1
