"""The event log table: append, close a lasting event, search with paging.

Rows are appended by one writer (``nvrd.events.log``); ids are unique and
increasing, never reused. A search returns the total number of matches with
one page of them, newest first unless asked otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.core.eventtypes import LogEntry
from nvrd.store.schema import event_log


@dataclass(frozen=True)
class LogQuery:
    types: Sequence[int] | None = None
    begin_ms: int | None = None
    end_ms: int | None = None
    at: int = 0
    max_count: int = 50
    ascending: bool = False


def _entry(row: Row[Any]) -> LogEntry:
    m = row._mapping
    return LogEntry(
        type=m["type"],
        code=m["code"],
        begin_ms=m["begin_ms"],
        param=json.loads(m["param"] or "{}"),
        comment=m["comment"],
        chid=m["chid"],
        end_ms=m["end_ms"],
        id=m["id"],
    )


class EventLogStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def append(self, e: LogEntry) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                insert(event_log)
                .values(
                    type=e.type,
                    code=e.code,
                    begin_ms=e.begin_ms,
                    end_ms=e.end_ms,
                    chid=e.chid,
                    param=json.dumps(e.param, ensure_ascii=False),
                    comment=e.comment,
                )
                .returning(event_log.c.id)
            )
            return int(result.scalar_one())

    async def finish(self, entry_id: int, end_ms: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(event_log).where(event_log.c.id == entry_id).values(end_ms=end_ms)
            )

    async def last(self, type_: int, codes: Sequence[int]) -> LogEntry | None:
        """The newest entry of ``type_`` with one of ``codes``."""
        stmt = (
            select(event_log)
            .where(event_log.c.type == type_, event_log.c.code.in_(list(codes)))
            .order_by(event_log.c.id.desc())
            .limit(1)
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        return _entry(row) if row is not None else None

    async def search(self, q: LogQuery) -> tuple[int, list[LogEntry]]:
        conds: list[ColumnElement[bool]] = []
        if q.types is not None:
            conds.append(event_log.c.type.in_(list(q.types)))
        if q.begin_ms is not None:
            conds.append(event_log.c.begin_ms >= q.begin_ms)
        if q.end_ms is not None:
            conds.append(event_log.c.begin_ms <= q.end_ms)
        order = (
            (event_log.c.begin_ms.asc(), event_log.c.id.asc())
            if q.ascending
            else (event_log.c.begin_ms.desc(), event_log.c.id.desc())
        )
        page = select(event_log).where(*conds).order_by(*order).offset(q.at).limit(q.max_count)
        count = select(func.count()).select_from(event_log).where(*conds)
        async with self._engine.connect() as conn:
            total = int((await conn.execute(count)).scalar_one())
            rows = (await conn.execute(page)).all()
        return total, [_entry(r) for r in rows]
