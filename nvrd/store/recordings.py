"""The recording index: rows for finished segment files (write side and lookups by id).

The recorder inserts a row only after the segment file and its directory are
fsynced (see docs/design/storage.md); retention marks a row, deletes the
file, then removes the row. Searches over time live in ``recsearch.py``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.store.schema import recordings

NORMAL = 0
DELETING = 1
#: The streams of a channel: its main stream, and a camera's lower-resolution one.
MAIN = "main"
SUB = "sub"


@dataclass(frozen=True)
class NewSegment:
    chid: int
    root: str
    rel_path: str
    start_ms: int
    end_ms: int
    size: int
    codec: str = ""
    width: int = 0
    height: int = 0
    stream: str = MAIN


@dataclass(frozen=True)
class Segment(NewSegment):
    file_id: int = 0
    state: int = NORMAL


def row_segment(row: Row[object]) -> Segment:
    m = row._mapping
    return Segment(
        chid=m["chid"],
        root=m["root"],
        rel_path=m["rel_path"],
        start_ms=m["start_ms"],
        end_ms=m["end_ms"],
        size=m["size"],
        codec=m["codec"],
        width=m["width"],
        height=m["height"],
        stream=m["stream"],
        file_id=m["file_id"],
        state=m["state"],
    )


class RecordingIndex:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def add(self, seg: NewSegment) -> int:
        """Insert a finished segment; returns its ``fileId``."""
        async with self._engine.begin() as conn:
            result = await conn.execute(
                insert(recordings)
                .values(
                    chid=seg.chid,
                    root=seg.root,
                    rel_path=seg.rel_path,
                    start_ms=seg.start_ms,
                    end_ms=seg.end_ms,
                    size=seg.size,
                    codec=seg.codec,
                    width=seg.width,
                    height=seg.height,
                    stream=seg.stream,
                    state=NORMAL,
                )
                .returning(recordings.c.file_id)
            )
            return int(result.scalar_one())

    async def get(self, file_id: int) -> Segment | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(recordings).where(recordings.c.file_id == file_id))
            ).first()
        return row_segment(row) if row else None

    async def in_root(self, root: str) -> list[Segment]:
        """Every row of a storage root (for the consistency check)."""
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(recordings)
                    .where(recordings.c.root == root)
                    .order_by(recordings.c.start_ms)
                )
            ).all()
        return [row_segment(r) for r in rows]

    async def oldest(self, root: str, limit: int) -> list[Segment]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(recordings)
                    .where(recordings.c.root == root)
                    .order_by(recordings.c.start_ms, recordings.c.file_id)
                    .limit(limit)
                )
            ).all()
        return [row_segment(r) for r in rows]

    async def used_bytes(self, root: str) -> int:
        async with self._engine.connect() as conn:
            total = (
                await conn.execute(
                    select(func.coalesce(func.sum(recordings.c.size), 0)).where(
                        recordings.c.root == root
                    )
                )
            ).scalar_one()
        return int(total)

    async def mark_deleting(self, file_ids: Iterable[int]) -> None:
        ids = list(file_ids)
        if ids:
            async with self._engine.begin() as conn:
                await conn.execute(
                    update(recordings).where(recordings.c.file_id.in_(ids)).values(state=DELETING)
                )

    async def remove(self, file_ids: Iterable[int]) -> None:
        ids = list(file_ids)
        if ids:
            async with self._engine.begin() as conn:
                await conn.execute(delete(recordings).where(recordings.c.file_id.in_(ids)))
