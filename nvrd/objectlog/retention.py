"""Object-log retention: entries and crop images older than ``[objects] keep_days``, or
than the channel's oldest recording when that is younger, are deleted.

A supervised periodic task on the injected clock. Each pass, per channel of
the log: the cutoff is ``now - keep_days``, raised to the start of the
channel's oldest indexed recording when the channel has recordings (an
object is kept with its video, not longer). Entries are deleted in batches
with their tags, then their crop files; then the day folders of the objects
folder that lie wholly before their channel's cutoff are removed (crops
without an entry: a detection stopped before it published). Only crop
paths of the detection's form inside the objects folder are ever touched;
symbolic links are not followed.
"""

from __future__ import annotations

import asyncio
import logging
import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nvrd.core.clock import Clock, ms_from_datetime
from nvrd.core.objects import crop_path
from nvrd.store.objects import ObjectLogStore

log = logging.getLogger("nvrd.objects")

DAY_MS = 86_400_000
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ObjectRetention:
    def __init__(
        self,
        store: ObjectLogStore,
        objects_dir: Path,
        keep_days: float,
        clock: Clock,
        *,
        interval_seconds: float = 600.0,
        batch: int = 1000,
    ):
        self.store = store
        self.root = objects_dir
        self.keep_ms = int(keep_days * DAY_MS)
        self.clock = clock
        self.interval = interval_seconds
        self.batch = batch

    async def run(self) -> None:
        while True:
            await self.once()
            await self.clock.sleep(self.interval)

    async def cutoffs(self) -> dict[int, int]:
        """The cutoff of every channel that has entries or crop folders."""
        base = self.clock.now_ms() - self.keep_ms
        oldest = await self.store.oldest_recordings()
        chids = set(await self.store.channels()) | set(await asyncio.to_thread(self._folders))
        return {c: max(base, oldest.get(c, base)) for c in sorted(chids)}

    async def once(self) -> int:
        """One pass; the number of entries deleted."""
        deleted = 0
        cutoffs = await self.cutoffs()
        for chid, cutoff in cutoffs.items():
            while True:
                n, images = await self.store.delete_before(chid, cutoff, self.batch)
                await asyncio.to_thread(self._remove_files, images)
                deleted += n
                if n < self.batch:
                    break
        await asyncio.to_thread(self._sweep, cutoffs)
        if deleted:
            log.info("old objects deleted", extra={"objects": deleted})
        return deleted

    def _folders(self) -> list[int]:
        if not self.root.is_dir():
            return []
        return [
            int(p.name)
            for p in self.root.iterdir()
            if p.name.isdigit() and len(p.name) < 10 and p.is_dir() and not p.is_symlink()
        ]

    def _remove_files(self, images: list[str]) -> None:
        for image in images:
            rel = crop_path(image)
            if rel is None:
                continue
            target = self.root / rel
            if target.is_symlink() or target.is_file():
                target.unlink(missing_ok=True)

    def _sweep(self, cutoffs: dict[int, int]) -> None:
        for chid, cutoff in cutoffs.items():
            folder = self.root / str(chid)
            if folder.is_symlink() or not folder.is_dir():
                continue
            for day in folder.iterdir():
                if day.is_symlink() or not day.is_dir() or not DAY.match(day.name):
                    continue
                try:
                    start = datetime.strptime(day.name, "%Y-%m-%d").replace(tzinfo=UTC)
                except ValueError:
                    continue
                if ms_from_datetime(start + timedelta(days=1)) <= cutoff:
                    shutil.rmtree(day, ignore_errors=True)
