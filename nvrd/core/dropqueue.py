"""A bounded queue for one slow consumer that must never slow the producer.

``offer`` never waits. When the consumer has ``maxsize`` items waiting, the
queue is *dropped*: it takes nothing more, and the consumer gets what it
had, then ``None`` (the end). ``end`` closes it the same way on purpose.
One slot beyond ``maxsize`` is kept free for that end marker.
"""

from __future__ import annotations

import asyncio
from typing import Generic, TypeVar

T = TypeVar("T")


class DropQueue(Generic[T]):
    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.dropped = False
        self._ended = False
        self._queue: asyncio.Queue[T | None] = asyncio.Queue(maxsize + 1)

    def offer(self, item: T) -> bool:
        """Queue ``item``; False when it was refused (the queue is dropped or ended)."""
        if self._ended:
            return False
        if self._queue.qsize() >= self.maxsize:
            self.dropped = True
            self.end()
            return False
        self._queue.put_nowait(item)
        return True

    def end(self) -> None:
        if not self._ended:
            self._ended = True
            self._queue.put_nowait(None)

    async def get(self) -> T | None:
        return await self._queue.get()

    def get_nowait(self) -> T | None:
        """The next item without waiting; ``None`` when nothing is queued or it has ended."""
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return None

    def qsize(self) -> int:
        return self._queue.qsize()

    def empty(self) -> bool:
        return self._queue.empty()
