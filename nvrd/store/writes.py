"""SQLite write transactions of this process take turns (docs/design/architecture.md).

SQLite lets one connection write at a time. The others wait in its busy
handler, which polls with growing sleeps (1 ms, 2 ms, 5 ms ... up to 100 ms)
and so wakes long after the lock is free: with eight pushes at a time, the
first INSERT of each waited 62 ms on average, the server took about 85
pushes a second whatever the CPU, and now and then a push ran out of busy
timeout. Here every ``engine.begin()`` of this process first takes its turn
on an asyncio lock, which wakes the next writer the moment the previous one
ends; only writers in other processes (the command line) still meet the
busy handler. A transaction begun inside another one of the same task does
not wait for itself, and a turn that does not come within the busy timeout
fails as SQLite's own wait does ("database is locked": a 503).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections.abc import AsyncIterator
from contextvars import ContextVar

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class TurnTakingEngine(AsyncEngine):
    """An :class:`AsyncEngine` whose write transactions (``begin()``) run one at a time."""

    def __init__(self, sync_engine: Engine, wait_seconds: float):
        super().__init__(sync_engine)
        self._wait_seconds = wait_seconds
        # one lock per event loop: an engine outlives the loop of a test or a command
        self._turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        # the task whose write holds the turn; a task created meanwhile inherits the value
        # but is another task, so it waits for its own turn
        self._holding: ContextVar[asyncio.Task[object] | None] = ContextVar(
            f"nvrd-writing-{id(self)}", default=None
        )

    def _turn(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._turns.get(loop)
        if lock is None:
            lock = self._turns[loop] = asyncio.Lock()
        return lock

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        task = asyncio.current_task()
        if task is not None and self._holding.get() is task:  # nested in its own write
            async with super().begin() as conn:
                yield conn
            return
        turn = self._turn()
        try:
            async with asyncio.timeout(self._wait_seconds):
                await turn.acquire()
        except TimeoutError:
            busy = sqlite3.OperationalError("database is locked")
            raise OperationalError("BEGIN", None, busy) from None
        held = self._holding.set(task)
        try:
            async with super().begin() as conn:
                yield conn
        finally:
            self._holding.reset(held)
            turn.release()
