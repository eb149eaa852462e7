"""Keeps the running channels equal to the channel table and tells the bus what changed.

The table changes through the API (add, delete) and through the CLI (rename,
swap), possibly while the server runs. ``apply()`` compares the table with
what it last saw and acts: a new channel is started (``channelAdded``), a
removed one stopped (``channelRemoved``), a new title is announced
(``channelRenamed``), a new source restarts the channel
(``channelSourceChanged``), and two channels that exchanged their settings
are restarted and announced as ``channelSwapped``. The API calls ``apply()``
right after its own change; a poll every ``interval`` seconds catches the
CLI's.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from nvrd.core.clock import Clock, SystemClock
from nvrd.core.supervisor import Supervisor
from nvrd.events.bus import EventBus
from nvrd.events.types import (
    ChannelAdded,
    ChannelRemoved,
    ChannelRenamed,
    ChannelSourceChanged,
    ChannelSwapped,
)
from nvrd.store.channels import Channel

log = logging.getLogger("nvrd.media")


class ChannelTable(Protocol):
    async def all(self) -> list[Channel]: ...


class Runner(Protocol):
    def add(self, ch: Channel) -> None: ...

    async def remove(self, chid: int) -> None: ...


class ChannelReconciler:
    def __init__(
        self,
        table: ChannelTable,
        runner: Runner,
        bus: EventBus,
        interval: float = 1.0,
        *,
        clock: Clock | None = None,
        supervisor: Supervisor | None = None,
    ):
        self.table = table
        self.runner = runner
        self.bus = bus
        self.interval = interval
        self.clock = clock or SystemClock()
        self.supervisor = supervisor or Supervisor(self.clock)
        self._known: dict[int, Channel] = {}
        self._lock = asyncio.Lock()

    def start(self, running: list[Channel]) -> None:
        """``running``: the channels the media service was started with. The poll runs
        under the supervisor (a failing poll is logged and retried)."""
        self._known = {c.chid: c for c in running}
        self.supervisor.spawn("channel-sync", self._poll)

    async def stop(self) -> None:
        await self.supervisor.cancel("channel-sync")

    async def _poll(self) -> None:
        while True:
            await self.clock.sleep(self.interval)
            try:
                await self.apply()
            except Exception:
                log.exception("channel sync failed")

    async def apply(self) -> None:
        async with self._lock:
            now = {c.chid: c for c in await self.table.all()}
            before = self._known
            self._known = now
            changed = sorted(c for c in now.keys() & before.keys() if now[c] != before[c])
            swapped = _swaps(changed, before, now)
            for a, b in swapped:
                for chid in (a, b):
                    await self._restart(now[chid])
                self.bus.publish(ChannelSwapped(at_ms=self.clock.now_ms(), chids=(a, b)))
            done = {c for pair in swapped for c in pair}
            for chid in changed:
                if chid in done:
                    continue
                old, new = before[chid], now[chid]
                if old.source != new.source:
                    await self._restart(new)
                    self.bus.publish(ChannelSourceChanged(at_ms=self.clock.now_ms(), chid=chid))
                if old.title != new.title:
                    self.bus.publish(
                        ChannelRenamed(at_ms=self.clock.now_ms(), chid=chid, name=new.title)
                    )
            for chid in sorted(before.keys() - now.keys()):
                await self.runner.remove(chid)
                self.bus.publish(ChannelRemoved(at_ms=self.clock.now_ms(), chid=chid))
            for chid in sorted(now.keys() - before.keys()):
                self.runner.add(now[chid])
                self.bus.publish(ChannelAdded(at_ms=self.clock.now_ms(), chid=chid))

    async def restart(self, chid: int, runner: Runner | None = None) -> None:
        """Restart one channel that runs (``runner``: only that part of it, e.g. its media
        when its camera told a new stream URL)."""
        async with self._lock:
            ch = self._known.get(chid)
            if ch is not None:
                target = runner or self.runner
                await target.remove(chid)
                target.add(ch)

    async def _restart(self, ch: Channel) -> None:
        await self.runner.remove(ch.chid)
        self.runner.add(ch)


def _same(a: Channel, b: Channel) -> bool:
    return a.title == b.title and a.source == b.source


def _swaps(
    changed: list[int], before: dict[int, Channel], now: dict[int, Channel]
) -> list[tuple[int, int]]:
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for i, a in enumerate(changed):
        for b in changed[i + 1 :]:
            if a in used or b in used:
                continue
            if _same(now[a], before[b]) and _same(now[b], before[a]):
                pairs.append((a, b))
                used.update((a, b))
    return pairs
