"""Recording storage paths: which one to write to, and keeping room on them.

Usage modes of the guide: -1 not used, 0 read-only (never written),
1 write-once (recording stops going there once it is full), 2 overwrite
(the oldest segments are deleted to keep room, so recording never stops).
A path is *full* when its free space is below ``min_free_mb`` or, with a
``quota_mb``, when indexed recordings on it reach the quota.

Deleting a segment: its row is marked first, then the file is removed (and
the directory fsynced), then the row is deleted — a crash in between leaves
a marked row that the consistency check finishes deleting.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from nvrd.config import StorageSettings
from nvrd.core.clock import Clock
from nvrd.media.recording.segments import fsync_dir
from nvrd.store.recordings import RecordingIndex, Segment

log = logging.getLogger("nvrd.storage")

WRITE_ONCE = 1
OVERWRITE = 2


class Usage(NamedTuple):
    total: int
    used: int
    free: int


DiskUsage = Callable[[str], Usage]


def _disk_usage(path: str) -> Usage:
    u = shutil.disk_usage(path)
    return Usage(u.total, u.used, u.free)


class RetentionPool:
    def __init__(
        self,
        paths: list[StorageSettings],
        index: RecordingIndex,
        min_free_bytes: int,
        on_full: Callable[[str], None],
        disk_usage: DiskUsage = _disk_usage,
    ):
        self.paths = paths
        self.index = index
        self.min_free_bytes = min_free_bytes
        self.on_full = on_full
        self.disk_usage = disk_usage
        self.full: set[str] = set()
        self.deleted_segments = 0

    def writable_root(self) -> Path | None:
        for s in self.paths:
            if s.usage in (WRITE_ONCE, OVERWRITE) and str(s.path) not in self.full:
                return s.path
        return None

    async def short_by(self, s: StorageSettings) -> int:
        """Bytes that must be freed on ``s`` (0 when it has room)."""
        need = 0
        try:
            free = (await asyncio.to_thread(self.disk_usage, str(s.path))).free
            need = max(0, self.min_free_bytes - free)
        except OSError:
            return 0
        if s.quota_mb is not None:
            used = await self.index.used_bytes(str(s.path))
            need = max(need, used - int(s.quota_mb * 1024 * 1024))
        return need

    async def check(self) -> bool:
        """One retention pass; True when the writable root changed."""
        before = self.writable_root()
        for s in self.paths:
            key = str(s.path)
            if s.usage == OVERWRITE:
                await self._make_room(s)
            elif s.usage == WRITE_ONCE and key not in self.full and await self.short_by(s) > 0:
                self.full.add(key)
                log.warning("write-once storage full; recording moves on", extra={"path": key})
                self.on_full(key)
        return self.writable_root() != before

    async def _make_room(self, s: StorageSettings) -> None:
        root = str(s.path)
        need = await self.short_by(s)
        while need > 0:
            batch = await self.index.oldest(root, 8)
            # Never delete the newest segment: it may be what is being written next to.
            if len(batch) <= 1:
                log.error("storage full and nothing left to overwrite", extra={"path": root})
                return
            victims = []
            freed = 0
            for seg in batch[:-1]:
                victims.append(seg)
                freed += seg.size
                if freed >= need:
                    break
            await self.delete_segments(s.path, victims)
            self.deleted_segments += len(victims)
            log.info(
                "overwrote oldest recordings",
                extra={"path": root, "segments": len(victims), "bytes": freed},
            )
            need = await self.short_by(s)

    async def delete_segments(self, root: Path, segs: list[Segment]) -> None:
        ids = [seg.file_id for seg in segs]
        await self.index.mark_deleting(ids)

        def unlink_all() -> None:
            dirs = set()
            for seg in segs:
                p = root / seg.rel_path
                p.unlink(missing_ok=True)
                dirs.add(p.parent)
            for d in dirs:
                if d.exists():
                    fsync_dir(d)

        await asyncio.to_thread(unlink_all)
        await self.index.remove(ids)

    async def run(self, interval: float, on_root_change: Callable[[], None], clock: Clock) -> None:
        """A pass every ``interval`` seconds of ``clock``; a failed pass is logged and the next
        one tried (the loop itself runs under the service's supervisor)."""
        while True:
            try:
                if await self.check():
                    on_root_change()
            except Exception:
                log.exception("retention pass failed")
            await clock.sleep(interval)
