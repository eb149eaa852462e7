"""The vehicle-number log: one row per recognised plate (searched by ``/api/find?what=carNo``).

A keyword search (substring of the plate's search form) reads the postings
of the keyword's rarest bigram in ``lpr_gram`` in time order — an index
range that also carries the plate key and source, so neither the count nor
the page touches the log table until the page's rows are fetched by id. A
one-character keyword scans the log. See docs/design/lpr.md for the figures.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Row, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from nvrd.core.plates import search_key
from nvrd.core.platesim import fold
from nvrd.store.lprindex import bigrams, index_rows
from nvrd.store.schema import lpr_gram, lpr_gram_stats, lpr_log, lpr_plates


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
    #: a parked car's last sighting (None: ``when_ms`` ends the entry)
    time_end_ms: int | None = None

    @property
    def end_ms(self) -> int:
        return self.time_end_ms if self.time_end_ms is not None else self.when_ms


@dataclass(frozen=True)
class CarQuery:
    """A vehicle-number log search; ``keyword`` is compared in its search form."""

    keyword: str = ""
    begin_ms: int | None = None
    end_ms: int | None = None
    src_ids: Sequence[int] | None = None
    at: int = 0
    max_count: int = 50
    ascending: bool = False
    count: bool = True


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
        "plate_key": search_key(r.plate_no),
        "time_end_ms": r.time_end_ms,
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
        time_end_ms=r.time_end_ms,
    )


class LprLogStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def add_many(self, records: list[LprRecord]) -> list[int]:
        """Insert the records (and their index rows) in one transaction; return their ids."""
        if not records:
            return []
        async with self._engine.begin() as conn:
            return await self.add_in(conn, records)

    @staticmethod
    async def add_in(conn: AsyncConnection, records: Sequence[LprRecord]) -> list[int]:
        rows = [_row(r) for r in records]
        stmt = insert(lpr_log).returning(lpr_log.c.id, sort_by_parameter_order=True)
        ids = [int(i) for i in (await conn.execute(stmt, rows)).scalars().all()]
        index = [
            (i, row["plate_key"], row["when_ms"], row["src_id"])
            for i, row in zip(ids, rows, strict=True)
        ]
        await conn.run_sync(index_rows, index)
        return ids

    async def set_end(self, entry_id: int, end_ms: int) -> None:
        """A parked car has left: its entry's stay ends at ``end_ms``."""
        async with self._engine.begin() as conn:
            await conn.execute(
                update(lpr_log).where(lpr_log.c.id == entry_id).values(time_end_ms=end_ms)
            )

    async def search(self, q: CarQuery) -> tuple[int | None, list[LprRecord]]:
        """(total matches or None when not asked, one page of them)."""
        key = search_key(q.keyword)
        async with self._engine.connect() as conn:
            if len(key) >= 2:
                gram = await self._rarest(conn, key)
                if gram is None:
                    return (0 if q.count else None), []
                return await self._by_gram(conn, q, key, gram)
            return await self._scan(conn, q, key)

    async def _rarest(self, conn: AsyncConnection, key: str) -> str | None:
        """The keyword's bigram with the fewest postings (None: one has none at all)."""
        grams = bigrams(key)
        st = lpr_gram_stats
        found = dict(
            (await conn.execute(select(st.c.gram, st.c.n).where(st.c.gram.in_(grams)))).all()
        )
        if any(found.get(g, 0) == 0 for g in grams):
            return None
        return min(grams, key=lambda g: (found[g], g))

    async def _by_gram(
        self, conn: AsyncConnection, q: CarQuery, key: str, gram: str
    ) -> tuple[int | None, list[LprRecord]]:
        g = lpr_gram
        conds: list[ColumnElement[bool]] = [g.c.gram == gram]
        conds += _time_src(g.c.when_ms, g.c.src_id, q)
        if len(key) > 2:
            conds.append(g.c.plate_key.contains(key, autoescape=True))
        order = (
            (g.c.when_ms.asc(), g.c.log_id.asc())
            if q.ascending
            else (g.c.when_ms.desc(), g.c.log_id.desc())
        )
        total = None
        if q.count:
            total = int(
                (await conn.execute(select(func.count()).select_from(g).where(*conds))).scalar_one()
            )
        page = select(g.c.log_id).where(*conds).order_by(*order).offset(q.at).limit(q.max_count)
        ids = [int(i) for i in (await conn.execute(page)).scalars().all()]
        rows = (
            (await conn.execute(select(lpr_log).where(lpr_log.c.id.in_(ids)))).all() if ids else []
        )
        by_id = {r.id: _record(r) for r in rows}
        return total, [by_id[i] for i in ids if i in by_id]

    async def _scan(
        self, conn: AsyncConnection, q: CarQuery, key: str
    ) -> tuple[int | None, list[LprRecord]]:
        t = lpr_log
        conds = _time_src(t.c.when_ms, t.c.src_id, q)
        if key:
            conds.append(t.c.plate_key.contains(key, autoescape=True))
        order = (
            (t.c.when_ms.asc(), t.c.id.asc())
            if q.ascending
            else (t.c.when_ms.desc(), t.c.id.desc())
        )
        total = None
        if q.count:
            total = int(
                (await conn.execute(select(func.count()).select_from(t).where(*conds))).scalar_one()
            )
        page = select(t).where(*conds).order_by(*order).offset(q.at).limit(q.max_count)
        return total, [_record(r) for r in (await conn.execute(page)).all()]

    async def similar_candidates(self, keyword: str, limit: int = 5000) -> list[str]:
        """Distinct plates sharing a look-alike-folded bigram with ``keyword`` (or, for a
        one-character keyword, its folded character), most recently seen first."""
        folded = fold(keyword)
        if not folded:
            return []
        parts = bigrams(folded) or [folded]
        p = lpr_plates
        cond = p.c.fold.contains(parts[0], autoescape=True)
        for part in parts[1:]:
            cond = cond | p.c.fold.contains(part, autoescape=True)
        query = select(p.c.plate_key).where(cond).order_by(p.c.last_ms.desc()).limit(limit)
        async with self._engine.connect() as conn:
            return [str(k) for k in (await conn.execute(query)).scalars().all()]

    async def get(self, entry_id: int) -> LprRecord | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(lpr_log).where(lpr_log.c.id == entry_id))).first()
        return _record(row) if row is not None else None

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


def _time_src(when: Any, src: Any, q: CarQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if q.begin_ms is not None:
        conds.append(when >= q.begin_ms)
    if q.end_ms is not None:
        conds.append(when <= q.end_ms)
    if q.src_ids is not None:
        conds.append(src.in_(list(q.src_ids)))
    return conds
