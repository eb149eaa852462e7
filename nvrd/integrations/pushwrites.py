"""Writing the plates and parking moves of concurrent pushes together (group commit).

Each ``POST /api/push`` of plates writes them (the log row and its three index
tables) and moves their parking counts in one transaction, and publishes its
events only after that transaction committed. Writers take turns (SQLite lets
one write at a time; ``store/writes.py``), so pushes that arrive together
used to write one after another, each with its own statements and commit.

Here the pushes that arrive while a transaction is being written wait for the
next one, and it writes all of them: their plates in one set of statements,
then each push's parking moves in arrival order, then one commit. Each push
still gets exactly its own outcome:

* committed: the parking lots after each of its moves (for its events);
* the database is busy (another process holds it): every push of the group
  fails as it would have alone, answered 503, nothing stored;
* any other failure: the group is written again one push per transaction, so
  that only the push at fault fails;
* a push whose request went away before its group was written is left out.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.store.db import is_busy
from nvrd.store.integrations import IntegrationStore, ParkingLot
from nvrd.store.lprlog import LprLogStore, LprRecord

#: (the push's item index, lot id, delta)
Move = tuple[int, int, int]
#: (the push's item index, lot id, every lot after the move)
Moved = tuple[int, int, list[ParkingLot]]

#: Plates written in one transaction at most (more pushes wait for the next).
MAX_RECORDS = 2000


@dataclass
class _Push:
    records: Sequence[LprRecord]
    moves: Sequence[Move]
    done: asyncio.Future[list[Moved]] = field(repr=False)


class PushWriter:
    def __init__(self, engine: AsyncEngine, max_records: int = MAX_RECORDS):
        self._engine = engine
        self._max = max_records
        self._waiting: collections.deque[_Push] = collections.deque()
        self._writer: asyncio.Task[None] | None = None

    async def write(self, records: Sequence[LprRecord], moves: Sequence[Move]) -> list[Moved]:
        """Store ``records`` and apply ``moves``, together with the pushes that wait as well;
        return the moves that applied (a counter already at 0 does not go below)."""
        done: asyncio.Future[list[Moved]] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Push(records, moves, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._drain(), name="push writes")
        return await done

    async def _drain(self) -> None:
        group: list[_Push] = []
        try:
            while self._waiting:
                group = self._next_group()
                await self._write(group)
        except BaseException as exc:  # a bug, or the loop is shutting down: nobody waits forever
            failure = exc if isinstance(exc, Exception) else RuntimeError("stopped")
            for push in [*group, *self._waiting]:
                _fail(push, failure)
            self._waiting.clear()
            raise

    def _next_group(self) -> list[_Push]:
        group: list[_Push] = []
        total = 0
        while self._waiting:
            push = self._waiting[0]
            if push.done.done():  # its request is gone: not written
                self._waiting.popleft()
                continue
            if group and total + len(push.records) > self._max:
                break
            group.append(self._waiting.popleft())
            total += len(push.records)
        return group

    async def _write(self, group: list[_Push]) -> None:
        if not group:
            return
        try:
            async with self._engine.begin() as conn:
                await LprLogStore.add_in(conn, [r for p in group for r in p.records])
                outcomes: list[list[Moved]] = []
                for push in group:
                    moved: list[Moved] = []
                    for n, lot_id, delta in push.moves:
                        lots = await IntegrationStore.change_count_in(conn, lot_id, delta)
                        if lots is not None:
                            moved.append((n, lot_id, lots))
                    outcomes.append(moved)
        except Exception as exc:
            if len(group) == 1 or is_busy(exc):
                for push in group:
                    _fail(push, exc)
                return
            for push in group:  # one of them is at fault: each alone
                await self._write([push])
            return
        for push, moved in zip(group, outcomes, strict=True):
            if not push.done.done():
                push.done.set_result(moved)


def _fail(push: _Push, exc: Exception) -> None:
    with contextlib.suppress(asyncio.InvalidStateError):
        push.done.set_exception(exc)
