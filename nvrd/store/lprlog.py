"""The vehicle-number log: one row per recognised plate (searched by ``/api/find?what=carNo``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.store.schema import lpr_log


@dataclass(frozen=True)
class LprRecord:
    """One recognised plate. ``chid`` is the recognition channel, ``linked`` every
    channel involved (recognition channel first); ``image`` lists image URLs/paths."""

    when_ms: int
    time_begin_ms: int
    src_code: str
    src_name: str
    plate_no: str
    src_id: int | None = None
    chid: int | None = None
    linked: tuple[int, ...] = ()
    score: float | None = None
    roi: dict[str, Any] | None = None
    direction: str | None = None
    parking_entrance: int | None = None
    parking_exit: int | None = None
    image: tuple[str, ...] = ()
    id: int = 0


def _row(r: LprRecord) -> dict[str, Any]:
    return {
        "when_ms": r.when_ms,
        "time_begin_ms": r.time_begin_ms,
        "src_id": r.src_id,
        "src_code": r.src_code,
        "src_name": r.src_name,
        "chid": r.chid,
        "linked": json.dumps(list(r.linked)),
        "plate_no": r.plate_no,
        "score": r.score,
        "roi": json.dumps(r.roi) if r.roi is not None else None,
        "direction": r.direction,
        "parking_entrance": r.parking_entrance,
        "parking_exit": r.parking_exit,
        "image": json.dumps(list(r.image)) if r.image else None,
    }


def _record(r: Row[Any]) -> LprRecord:
    return LprRecord(
        when_ms=r.when_ms,
        time_begin_ms=r.time_begin_ms,
        src_code=r.src_code,
        src_name=r.src_name,
        plate_no=r.plate_no,
        src_id=r.src_id,
        chid=r.chid,
        linked=tuple(json.loads(r.linked or "[]")),
        score=r.score,
        roi=json.loads(r.roi) if r.roi else None,
        direction=r.direction,
        parking_entrance=r.parking_entrance,
        parking_exit=r.parking_exit,
        image=tuple(json.loads(r.image)) if r.image else (),
        id=r.id,
    )


class LprLogStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def add_many(self, records: list[LprRecord]) -> list[int]:
        """Insert the records in one transaction; return their ids, in order."""
        ids: list[int] = []
        if not records:
            return ids
        async with self._engine.begin() as conn:
            for rec in records:
                res = await conn.execute(insert(lpr_log).values(**_row(rec)))
                key = res.inserted_primary_key
                assert key is not None
                ids.append(int(key[0]))
        return ids

    async def between(self, begin_ms: int, end_ms: int, limit: int = 1000) -> list[LprRecord]:
        """Records with ``begin_ms <= when_ms < end_ms``, oldest first."""
        t = lpr_log
        query = (
            select(t)
            .where(t.c.when_ms >= begin_ms, t.c.when_ms < end_ms)
            .order_by(t.c.when_ms, t.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [_record(r) for r in rows]
