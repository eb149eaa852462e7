"""The face of a search photo, worked out in a helper process (server side: light).

``/api/searchFace`` needs the embedding of the face in the uploaded photo:
decoding, face detection and the embedding take OpenCV, libfacedetection and
dlib, which the server process never loads. :class:`PhotoFaces` hands the
photo to one helper process (a ``ProcessPoolExecutor`` with the ``spawn``
context and one worker, started at the first search and kept; it loads the
models once). At most ``queue`` photos wait for it; more are refused
(:class:`PhotoBusy`, a 503). A photo that takes longer than ``timeout_seconds``
is given up (503) and the helper killed, to be started again by the next
search; a helper that died (a crash in native code) is started again too. A
failure inside the helper (a model package missing) is :class:`PhotoFailed`
(logged with its traceback; a 503 too).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from nvrd.core.clock import Clock, within

log = logging.getLogger("nvrd.objects")


@dataclass(frozen=True)
class PhotoFace:
    """What the helper found: the embedding (512 bytes), or the problem with the photo
    (``undecodable``, ``imageTooLarge``, ``noFace``, ``manyFaces``, ``faceTooSmall``)."""

    problem: str | None
    embedding: bytes | None = None
    faces: int = 0
    width: int = 0
    height: int = 0


class PhotoBusy(Exception):
    """The helper is busy, too slow or could not run."""


class PhotoFailed(PhotoBusy):
    """Reading the photo failed in the helper (not the photo's fault: it is logged)."""


def read_photo(data: bytes) -> PhotoFace:
    """Runs in the helper process: only there are OpenCV and dlib imported."""
    from nvrd.recognition.objects.photo import read_photo as read

    return read(data)


class PhotoFaces:
    def __init__(
        self,
        clock: Clock,
        *,
        timeout_seconds: float = 30.0,
        queue: int = 4,
        read: Callable[[bytes], PhotoFace] = read_photo,
    ) -> None:
        self.clock = clock
        #: what the helper runs (a module-level function: it is sent by name)
        self.read_fn = read
        self.timeout = timeout_seconds
        self.queue = queue
        self._pool: ProcessPoolExecutor | None = None
        self._turn = asyncio.Lock()
        self._waiting = 0
        #: photos read, refused as busy, timed out, helper starts
        self.read = 0
        self.refused = 0
        self.timeouts = 0
        self.starts = 0

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=ctx)
            self.starts += 1
        return self._pool

    async def face(self, data: bytes) -> PhotoFace:
        """The face of the photo ``data``; PhotoBusy when it cannot be worked out now."""
        if self._waiting >= self.queue:
            self.refused += 1
            raise PhotoBusy("the face search is busy")
        self._waiting += 1
        try:
            async with self._turn:
                return await self._run(data)
        finally:
            self._waiting -= 1

    async def _run(self, data: bytes) -> PhotoFace:
        loop = asyncio.get_running_loop()
        try:
            work = loop.run_in_executor(self._executor(), self.read_fn, data)
        except (BrokenProcessPool, RuntimeError) as exc:
            self._kill()
            raise PhotoBusy(f"the face search helper could not start: {exc}") from None
        try:
            done, found = await within(self.clock, work, self.timeout)
        except BrokenProcessPool:
            log.error("face search: the helper process died; it starts again with the next")
            self._kill()
            raise PhotoBusy("the face search helper died") from None
        except Exception as exc:
            log.exception("face search: reading a photo failed in the helper")
            raise PhotoFailed(f"{type(exc).__name__}: {exc}") from None
        if not done or found is None:
            self.timeouts += 1
            log.error("face search: a photo took over %.0f s; helper stopped", self.timeout)
            self._kill()
            raise PhotoBusy("the face search took too long")
        self.read += 1
        return found

    def _kill(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        for proc in list(getattr(pool, "_processes", {}).values()):
            with contextlib.suppress(Exception):
                proc.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await asyncio.to_thread(pool.shutdown, True, cancel_futures=True)
