"""Event backup: clips of the recordings around an event, kept in their own storage.

``trigger`` answers at once: it reserves each clip's name
(``e/YYYYMMDD/HHmmss/chN-YYYYMMDD-HHmmss.mp4`` in server local time,
``(2)``, ``(3)``... when taken), stores the event and its clips, logs the
event, and starts one worker per clip. A worker waits until the recording
has passed ``postAlarm`` and the index holds it (at most
``[event_storage] index_wait_seconds`` more), then writes the clip from the
recordings (one MP4, a gap kept as a gap; nothing recorded: no file, a log
entry saying so). Writing is crash-safe: ``.part`` file, fsync, rename,
fsync of the folder, then the row; pending clips resume at the next start.

The event storage is its own folder tree with its own retention (age and
quota, oldest events first); recording retention and the recording
consistency check never look at it (the configuration refuses overlapping
paths).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo

from nvrd.config import EventStorageSettings
from nvrd.core.clock import Clock, utc_from_ms
from nvrd.core.limits import safe_rel_path
from nvrd.export.assemble import view_plan
from nvrd.export.plan import copy_to
from nvrd.export.service import ExportService
from nvrd.export.trigger import Trigger
from nvrd.store.eventvideos import (
    FAILED,
    NOT_RECORDED,
    SAVED,
    Clip,
    EventVideoStore,
    NewEvent,
)

log = logging.getLogger("nvrd.eventbackup")

URL_PREFIX = "/event-storage/"
POLL_SECONDS = 1.0
ATTEMPTS = 3


class PresetMover(Protocol):
    """Moves a camera to a PTZ preset (provided by device control when it exists)."""

    async def go(self, chid: int, preset: str) -> None: ...


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EventBackupService:
    def __init__(
        self,
        settings: EventStorageSettings,
        root: Path,
        store: EventVideoStore,
        export: ExportService,
        clock: Clock,
        tz: ZoneInfo,
        mover: PresetMover | None = None,
    ):
        self.settings = settings
        self.root = root
        self.store = store
        self.export = export
        self.clock = clock
        self.tz = tz
        self.mover = mover
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()

    # ----------------------------------------------------------- life cycle

    async def start(self) -> None:
        def prepare() -> None:
            self.root.mkdir(parents=True, exist_ok=True)
            for part in self.root.rglob("*.part"):
                part.unlink(missing_ok=True)

        await asyncio.to_thread(prepare)
        for clip in await self.store.pending():
            self._spawn(clip)
        self._keep(asyncio.create_task(self._retention(), name="event storage retention"))

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    def _keep(self, task: asyncio.Task[None]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @property
    def busy(self) -> int:
        """Clip workers and the retention loop running now."""
        return len(self._tasks)

    # ----------------------------------------------------------- trigger

    def url(self, rel: str) -> str:
        return URL_PREFIX + rel

    async def _names(self, event_ms: int, chids: Sequence[int]) -> list[str]:
        local = utc_from_ms(event_ms).astimezone(self.tz)
        day, hms = local.strftime("%Y%m%d"), local.strftime("%H%M%S")
        folder = f"e/{day}/{hms}"
        taken = await self.store.taken(folder + "/")
        on_disk = self.root / folder
        if await asyncio.to_thread(on_disk.is_dir):
            taken |= {f"{folder}/{p.name}" for p in on_disk.iterdir()}
        out: list[str] = []
        for chid in chids:
            base = f"ch{chid}-{day}-{hms}"
            rel, n = f"{folder}/{base}.mp4", 1
            while rel in taken:
                n += 1
                rel = f"{folder}/{base}({n}).mp4"
            taken.add(rel)
            out.append(rel)
        return out

    async def trigger(self, t: Trigger, uid: str) -> tuple[int, list[str]]:
        """Store and log the event, start its clips; returns ``eventId`` and the URLs."""
        chids = t.backup.chids if t.backup is not None else ()
        async with self._lock:
            names = await self._names(t.event_ms, chids)
            clips = []
            if t.backup is not None:
                begin, end = t.event_ms - t.backup.pre_ms, t.event_ms + t.backup.post_ms
                clips = [(c, rel, begin, end) for c, rel in zip(chids, names, strict=True)]
            event = NewEvent(self.clock.now_ms(), t.event_ms, t.chid, t.title, t.comment, uid)
            event_id, rows = await self.store.add(event, clips)
        urls = [self.url(rel) for rel in names]
        self.export.records.event_triggered(
            event_id, t.chid, t.event_ms, t.title, t.comment, urls, t.tasks, uid
        )
        for token in t.presets:
            self._keep(asyncio.create_task(self._preset(t.chid, token)))
        for clip in rows:
            self._spawn(clip)
        return event_id, urls

    async def _preset(self, chid: int, token: str) -> None:
        if self.mover is None:
            log.info("presetGo accepted; no device control to move the camera",
                     extra={"chid": chid, "preset": token})  # fmt: skip
            return
        try:
            await self.mover.go(chid, token)
        except Exception:
            log.exception("presetGo failed", extra={"chid": chid, "preset": token})

    # ----------------------------------------------------------- clips

    def _spawn(self, clip: Clip) -> None:
        self._keep(asyncio.create_task(self._clip(clip), name=f"event clip {clip.id}"))

    async def _clip(self, clip: Clip) -> None:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self._make(clip)
                return
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("event clip failed", extra={"clip": clip.rel_path, "try": attempt})
                if attempt < ATTEMPTS:
                    await self.clock.sleep(5 * attempt)
        await self.store.finish(clip.id, FAILED)
        self._record(clip, False)

    def _record(self, clip: Clip, saved: bool) -> None:
        span = (self.export.iso(clip.begin_ms), self.export.iso(clip.end_ms))
        self.export.records.event_video(
            clip.event_id, clip.chid, self.url(clip.rel_path), saved, span
        )

    async def _make(self, clip: Clip) -> None:
        wait = (clip.end_ms - self.clock.now_ms()) / 1000
        if wait > 0:
            await self.clock.sleep(wait)
        deadline = self.clock.monotonic() + self.settings.index_wait_seconds
        while True:
            sources = await self.export.sources(clip.chid, clip.begin_ms, clip.end_ms)
            if sources and max(s.end_ms for s in sources) >= clip.end_ms:
                break
            if self.clock.monotonic() >= deadline:
                break
            await self.clock.sleep(POLL_SECONDS)
        label = f"CH{clip.chid}"

        def title(start_ms: int) -> tuple[str, str]:
            start = self.export.iso(start_ms)
            return start, f"{label} {start}"

        plan = None
        if sources:
            plan = await asyncio.to_thread(
                view_plan, sources, clip.begin_ms, clip.end_ms, self.export.cache, title
            )
        if plan is None:
            log.warning("event clip: nothing recorded", extra={"clip": clip.rel_path})
            await self.store.finish(clip.id, NOT_RECORDED)
            self._record(clip, False)
            return
        target = self.root / clip.rel_path

        def write() -> int:
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(target.name + ".part")
            with part.open("wb") as f:
                copy_to(plan, f.fileno(), lambda n: True)
                os.fsync(f.fileno())
            os.replace(part, target)
            _fsync_dir(target.parent)
            return target.stat().st_size

        size = await asyncio.to_thread(write)
        await self.store.finish(clip.id, SAVED, size)
        self._record(clip, True)
        log.info("event clip saved", extra={"clip": clip.rel_path, "bytes": size})

    # ----------------------------------------------------------- storage

    def file(self, rel: str) -> Path | None:
        """A saved clip under the event storage (``None`` outside it or not an MP4)."""
        if not safe_rel_path(rel):
            return None
        root = self.root.resolve()
        target = (root / rel).resolve()
        if not target.is_relative_to(root) or target.suffix != ".mp4" or not target.is_file():
            return None
        return target

    async def _retention(self) -> None:
        while True:
            try:
                await self.retention_pass()
            except Exception:
                log.exception("event storage retention pass failed")
            await self.clock.sleep(self.settings.retention_interval_seconds)

    async def retention_pass(self) -> int:
        """Delete events past ``retention_days`` and, over ``quota_mb``, the oldest ones.
        Returns how many events were deleted."""
        deleted = 0
        s = self.settings
        if s.retention_days > 0:
            cutoff = self.clock.now_ms() - int(s.retention_days * 86_400_000)
            while True:
                old = [e for e in await self.store.oldest(64) if e[1] < cutoff]
                if not old:
                    break
                for event_id, _ in old:
                    await self._delete(event_id)
                    deleted += 1
        if s.quota_mb is not None:
            quota = int(s.quota_mb * 1024 * 1024)
            while await self.store.used_bytes() > quota:
                oldest = await self.store.oldest(1)
                if not oldest:
                    break
                await self._delete(oldest[0][0])
                deleted += 1
        return deleted

    async def _delete(self, event_id: int) -> None:
        clips = await self.store.clips(event_id)

        def unlink() -> None:
            for c in clips:
                path = self.root / c.rel_path
                path.unlink(missing_ok=True)
                with contextlib.suppress(OSError):
                    path.parent.rmdir()
                    path.parent.parent.rmdir()

        await asyncio.to_thread(unlink)
        await self.store.remove(event_id)
        log.info("event storage retention deleted an event", extra={"event": event_id})
