"""One channel's index worker: the blocking file work and the index rows, in order.

The ingest never touches the disk or the database itself. It queues, in the
order things happen: a :class:`JournalLine` when a segment starts, a
:class:`~.indexer.Finished` when one is complete, a :class:`RunEnded` when
its ffmpeg process is gone. The worker runs them one at a time (the
blocking parts in a thread), so a segment's journal line is durable before
the segment is indexed and a journal is deleted only after the run's last
row is committed. ``close()`` lets :meth:`IndexWorker.run` return once the
queue is empty.

A job that fails with an unexpected error (the database is unreachable)
stays at the head of the queue and is retried after the supervisor's
backoff, up to :data:`MAX_ATTEMPTS` times; then it is logged and skipped, and
its file is left to the consistency check at the next start.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from nvrd.media.recording.indexer import Finished, index_finished
from nvrd.media.recording.segments import Journal, fsync_dir
from nvrd.store.recordings import RecordingIndex

log = logging.getLogger("nvrd.recorder")

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class JournalLine:
    journal: Journal
    rel_path: str
    start_ms: int


@dataclass(frozen=True)
class RunEnded:
    journal: Journal


Job = JournalLine | Finished | RunEnded


def _remove_journal(journal: Journal) -> None:
    if journal.path.exists():
        journal.path.unlink()
        fsync_dir(journal.path.parent)


class IndexWorker:
    def __init__(self, index: RecordingIndex, on_segment: Callable[[int, int], None] | None = None):
        self.index = index
        self.on_segment = on_segment
        self.indexed = 0
        self.skipped = 0
        self._jobs: deque[Job] = deque()
        self._attempts = 0
        self._more = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closed = False

    def put(self, job: Job) -> None:
        if self._closed:
            raise RuntimeError("index worker closed")
        self._jobs.append(job)
        self._idle.clear()
        self._more.set()

    def close(self) -> None:
        """No more jobs: :meth:`run` returns once those queued are done."""
        self._closed = True
        self._more.set()

    @property
    def pending(self) -> int:
        return len(self._jobs)

    async def idle(self) -> None:
        """Wait until every queued job is done."""
        await self._idle.wait()

    async def run(self) -> None:
        while True:
            while self._jobs:
                job = self._jobs[0]
                self._attempts += 1
                try:
                    await self._do(job)
                except Exception:
                    if self._attempts < MAX_ATTEMPTS:
                        raise  # the supervisor logs it and runs us again after a backoff
                    log.exception("index job given up", extra={"job": repr(job)})
                    self.skipped += 1
                self._jobs.popleft()
                self._attempts = 0
            self._idle.set()
            if self._closed:
                return
            self._more.clear()
            await self._more.wait()

    async def _do(self, job: Job) -> None:
        if isinstance(job, JournalLine):
            await asyncio.to_thread(job.journal.append, job.rel_path, job.start_ms)
        elif isinstance(job, RunEnded):
            await asyncio.to_thread(_remove_journal, job.journal)
        else:
            file_id = await index_finished(self.index, job)
            if file_id is not None:
                self.indexed += 1
                if self.on_segment is not None:
                    self.on_segment(job.chid, file_id)
