"""A bounded queue for one slow consumer that must never slow the producer.

``offer`` never waits. When the consumer has ``maxsize`` items waiting, the
queue is *dropped*: it takes nothing more, and the consumer gets what it
had, then ``None`` (the end). ``end`` closes it the same way on purpose.
One slot beyond ``maxsize`` is kept free for that end marker.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class DropQueue(Generic[T]):
    """On a plain deque with one waiter: an item costs an append and, when the consumer is
    idle, one wake-up (it is paid once per subscriber per event in the fan-out)."""

    def __init__(self, maxsize: int):
        self.maxsize = maxsize
        self.dropped = False
        self._ended = False
        self._items: deque[T] = deque()
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, item: T) -> bool:
        """Queue ``item``; False when it was refused (the queue is dropped or ended)."""
        if self._ended:
            return False
        if len(self._items) >= self.maxsize:
            self.dropped = True
            self.end()
            return False
        self._items.append(item)
        self._wake()
        return True

    def end(self) -> None:
        self._ended = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def get(self) -> T | None:
        """The next item; ``None`` once the queue has ended and is empty."""
        while not self._items:
            if self._ended:
                return None
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._items.popleft()

    def get_nowait(self) -> T | None:
        """The next item without waiting; ``None`` when nothing is queued."""
        return self._items.popleft() if self._items else None

    @property
    def idle(self) -> bool:
        """Whether the consumer waits in :meth:`get` with nothing queued: what is handed to
        it now by other means (the fan-out's direct write) cannot overtake queued items."""
        waiter = self._waiter
        return waiter is not None and not waiter.done() and not self._items and not self._ended

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items
