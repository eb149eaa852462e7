"""Shedding optional work when the box is saturated, recording last (never, in fact).

Every :data:`INTERVAL` seconds the shedder reads how busy the host's CPUs
were (and how late its own wake-up was: a starved event loop). After
:data:`HOLD` busy samples in a row (at least ``high``) it sheds the next
level of optional work; after :data:`CALM` quiet samples in a row (below
``low``) it restores the last level shed. The levels, in order:

1. ``motion`` — the optional frame subscriptions (motion detection) pause,
   so their decoders stop;
2. ``hls`` — live HLS parts are no longer assembled for channels nobody has
   asked HLS of in the last minute (the low-latency stream is untouched: it
   costs nothing without viewers).

Recording is never shed. Each change is logged and reported (``report``:
the service turns it into a system event), and :attr:`LoadShedder.shed`
lists what is shed now (``/api/system?health=recording`` shows it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from nvrd.core.clock import Clock

log = logging.getLogger("nvrd.media")

INTERVAL = 2.0
HOLD = 3
CALM = 15
LEVELS = ("motion", "hls")


class LoadShedder:
    def __init__(
        self,
        clock: Clock,
        busy: Callable[[], float],
        apply: Callable[[tuple[str, ...]], None],
        report: Callable[[tuple[str, ...]], None],
        high: float = 0.95,
        low: float = 0.80,
    ):
        self.clock = clock
        self.busy = busy
        self.apply = apply
        self.report = report
        self.high = high
        self.low = low
        self.level = 0
        self._hot = 0
        self._cool = 0

    @property
    def shed(self) -> tuple[str, ...]:
        return LEVELS[: self.level]

    def sample(self, busy: float) -> None:
        """One reading (0..1); changes the level when the readings say so."""
        if busy >= self.high:
            self._hot, self._cool = self._hot + 1, 0
        elif busy < self.low:
            self._hot, self._cool = 0, self._cool + 1
        else:
            self._hot = self._cool = 0
        if self._hot >= HOLD and self.level < len(LEVELS):
            self._set(self.level + 1, busy)
        elif self._cool >= CALM and self.level > 0:
            self._set(self.level - 1, busy)

    def _set(self, level: int, busy: float) -> None:
        self.level = level
        self._hot = self._cool = 0
        log.warning(
            "load shedding changed",
            extra={"shed": list(self.shed), "busy": round(busy, 3)},
        )
        self.apply(self.shed)
        self.report(self.shed)

    async def run(self) -> None:
        while True:
            before = self.clock.monotonic()
            await self.clock.sleep(INTERVAL)
            late = self.clock.monotonic() - before - INTERVAL
            # a wake-up half an interval late means the event loop itself is starved
            self.sample(1.0 if late > INTERVAL / 2 else self.busy())
