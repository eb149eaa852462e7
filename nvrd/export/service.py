"""The export service: what is recorded where, the slots for running exports, the files
offered for download, and the one-MP4 plans of ``/api/view.mp4``.

Export files live in ``<export dir>/<task id>/`` (mode 0700) only while their
task runs; the folder is emptied at every start, so a crash leaves nothing
behind for long.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from nvrd.config import Settings
from nvrd.core.clock import utc_from_ms
from nvrd.core.errors import bad_request
from nvrd.core.timefmt import format_iso
from nvrd.export.assemble import Source, view_plan
from nvrd.export.plan import Plan
from nvrd.export.records import Records
from nvrd.export.segment import SegmentCache
from nvrd.store.channels import ChannelStore
from nvrd.store.recsearch import RecordingSearch

log = logging.getLogger("nvrd.export")

#: Segments one channel may have in a range (a week of 60 s segments is 10,080).
MAX_SEGMENTS = 200_000


@dataclass
class ChannelWork:
    chid: int
    title: str
    sources: list[Source]
    recorded_ms: int  # recorded time inside the range

    @property
    def label(self) -> str:
        return f"CH{self.chid} {self.title}".strip()


@dataclass
class TaskFiles:
    """The files of a running task that a client may download now."""

    owner: str
    folder: Path
    offered: set[str] = field(default_factory=set)


class Busy(Exception):
    """Too many exports are already waiting for a slot."""


class ExportService:
    def __init__(
        self,
        settings: Settings,
        search: RecordingSearch,
        channels: ChannelStore,
        records: Records,
        tz: ZoneInfo,
    ):
        self.settings = settings
        self.search = search
        self.channels = channels
        self.records = records
        self.tz = tz
        self.cache = SegmentCache()
        self.folder = settings.export_dir
        self._slots = asyncio.Semaphore(settings.export.max_concurrent)
        self._waiting = 0
        self.tasks: dict[str, TaskFiles] = {}
        self.running = 0

    async def start(self) -> None:
        def reset() -> None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self.folder.chmod(0o700)

        await asyncio.to_thread(reset)

    async def stop(self) -> None:
        await asyncio.to_thread(shutil.rmtree, self.folder, True)

    # ----------------------------------------------------------- recordings

    def _root_paths(self) -> set[str]:
        return {str(s.path) for s in self.settings.storage_paths if s.usage != -1}

    async def sources(self, chid: int, begin_ms: int, end_ms: int) -> list[Source]:
        """The segments of ``chid`` overlapping the range (a 400 past ``MAX_SEGMENTS``)."""
        roots = self._root_paths()
        rows = await self.search.overlapping(chid, begin_ms, end_ms, MAX_SEGMENTS + 1)
        if len(rows) > MAX_SEGMENTS:
            raise bad_request("tooManyFiles", max=MAX_SEGMENTS)
        return [
            Source(Path(r.root) / r.rel_path, r.start_ms, r.end_ms) for r in rows if r.root in roots
        ]

    async def work(
        self, chids: Sequence[int] | None, begin_ms: int, end_ms: int
    ) -> list[ChannelWork]:
        """The channels with recordings in the range (all channels when ``chids`` is None)."""
        spans = await self.search.intervals(chids, begin_ms, end_ms)
        titles = {c.chid: c.title for c in await self.channels.all()}
        out: list[ChannelWork] = []
        for chid in sorted(spans):
            recorded = sum(min(e, end_ms) - max(s, begin_ms) for s, e in spans[chid])
            if recorded <= 0:
                continue
            sources = await self.sources(chid, begin_ms, end_ms)
            if sources:
                out.append(ChannelWork(chid, titles.get(chid, ""), sources, recorded))
        return out

    def iso(self, ms: int) -> str:
        return format_iso(utc_from_ms(ms), self.tz)

    async def view(self, chid: int, begin_ms: int, end_ms: int, label: str) -> Plan | None:
        """One MP4 of channel ``chid`` over the range, or ``None`` when nothing is recorded."""
        sources = await self.sources(chid, begin_ms, end_ms)
        if not sources:
            return None

        def title(start_ms: int) -> tuple[str, str]:
            start = self.iso(start_ms)
            return start, f"{label} {start}".strip()

        return await asyncio.to_thread(view_plan, sources, begin_ms, end_ms, self.cache, title)

    # ----------------------------------------------------------- slots and files

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """A running-export slot; waits while ``max_concurrent`` exports run."""
        if self._slots.locked() and self._waiting >= self.settings.export.max_waiting:
            raise Busy
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self._slots.release()

    @property
    def waiting(self) -> int:
        return self._waiting

    def open_task(self, task: str, owner: str) -> TaskFiles:
        folder = self.folder / task
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        files = TaskFiles(owner, folder)
        self.tasks[task] = files
        return files

    def close_task(self, task: str) -> None:
        files = self.tasks.pop(task, None)
        if files is not None:
            shutil.rmtree(files.folder, ignore_errors=True)

    def download(self, task: str, name: str, uid: str, is_admin: bool) -> Path | None:
        """The file ``name`` of ``task`` if it is offered now to ``uid`` (or an admin)."""
        files = self.tasks.get(task)
        if files is None or name not in files.offered:
            return None
        if files.owner != uid and not is_admin:
            return None
        path = files.folder / name
        return path if path.is_file() else None
