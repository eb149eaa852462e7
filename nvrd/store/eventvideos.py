"""Event backup rows: triggered events and their clips (``event_backups``, ``event_clips``).

A clip row is written with its final file name before the trigger is
answered, so the name is reserved (``rel_path`` is unique) and a clip whose
file is not written yet survives a restart as ``PENDING``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.store.schema import event_backups, event_clips

PENDING = 0
SAVED = 1
NOT_RECORDED = 2
FAILED = 3


@dataclass(frozen=True)
class NewEvent:
    created_ms: int
    event_ms: int
    chid: int
    title: str
    comment: Any
    uid: str


@dataclass(frozen=True)
class Clip:
    id: int
    event_id: int
    chid: int
    rel_path: str
    begin_ms: int
    end_ms: int
    state: int = PENDING
    size: int = 0


def _clip(m: Any) -> Clip:
    return Clip(
        m["id"], m["event_id"], m["chid"], m["rel_path"], m["begin_ms"], m["end_ms"], m["state"],
        m["size"],
    )  # fmt: skip


class EventVideoStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def taken(self, prefix: str) -> set[str]:
        """``rel_path`` of every clip whose name starts with ``prefix``."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(event_clips.c.rel_path).where(event_clips.c.rel_path.startswith(prefix))
            )
            return {str(r[0]) for r in rows}

    async def add(
        self, event: NewEvent, clips: Sequence[tuple[int, str, int, int]]
    ) -> tuple[int, list[Clip]]:
        """Store an event and its clips ``(chid, rel_path, begin_ms, end_ms)``."""
        async with self._engine.begin() as conn:
            event_id = (
                await conn.execute(
                    insert(event_backups)
                    .values(
                        created_ms=event.created_ms,
                        event_ms=event.event_ms,
                        chid=event.chid,
                        title=event.title,
                        comment=json.dumps(event.comment, ensure_ascii=False),
                        uid=event.uid,
                    )
                    .returning(event_backups.c.id)
                )
            ).scalar_one()
            out: list[Clip] = []
            for chid, rel, begin, end in clips:
                clip_id = (
                    await conn.execute(
                        insert(event_clips)
                        .values(
                            event_id=event_id,
                            chid=chid,
                            rel_path=rel,
                            begin_ms=begin,
                            end_ms=end,
                            state=PENDING,
                            size=0,
                        )
                        .returning(event_clips.c.id)
                    )
                ).scalar_one()
                out.append(Clip(int(clip_id), int(event_id), chid, rel, begin, end))
        return int(event_id), out

    async def pending(self) -> list[Clip]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(event_clips)
                .where(event_clips.c.state == PENDING)
                .order_by(event_clips.c.end_ms, event_clips.c.id)
            )
            return [_clip(r._mapping) for r in rows]

    async def finish(self, clip_id: int, state: int, size: int = 0) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(event_clips)
                .where(event_clips.c.id == clip_id)
                .values(state=state, size=size)
            )

    async def clips(self, event_id: int) -> list[Clip]:
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(event_clips)
                .where(event_clips.c.event_id == event_id)
                .order_by(event_clips.c.id)
            )
            return [_clip(r._mapping) for r in rows]

    async def oldest(self, limit: int) -> list[tuple[int, int]]:
        """``(event id, event_ms)`` of the oldest events."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(
                select(event_backups.c.id, event_backups.c.event_ms)
                .order_by(event_backups.c.event_ms, event_backups.c.id)
                .limit(limit)
            )
            return [(int(a), int(b)) for a, b in rows]

    async def used_bytes(self) -> int:
        async with self._engine.connect() as conn:
            total = (
                await conn.execute(select(func.coalesce(func.sum(event_clips.c.size), 0)))
            ).scalar_one()
        return int(total)

    async def remove(self, event_id: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(event_clips).where(event_clips.c.event_id == event_id))
            await conn.execute(delete(event_backups).where(event_backups.c.id == event_id))
