"""The object log: one row per object seen, searched by ``/api/find?what=object``.

A search without attribute filters reads the log's (type|chid|-, at_ms)
index in time order. With filters, it reads the postings of one search tag
in ``object_tag`` (the driving tag: the rarest kind first, colours and
clothes lengths before gender or age) in time order, checks every other
tag by a primary-key lookup, and fetches only the page's rows by id. See
docs/design/objects.md ("Object log and search") for the figures.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, exists, func, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from nvrd.core.objects import object_tags
from nvrd.store.schema import object_log, object_tag, recordings


@dataclass(frozen=True)
class ObjectRecord:
    """One logged object, as ``ObjectSeen`` carried it."""

    at_ms: int
    chid: int
    obj_id: int
    type: str
    parent_id: int | None = None
    likelihood: float | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    image: str | None = None
    embedding: bytes | None = None
    id: int = 0


@dataclass(frozen=True)
class ObjectQuery:
    """An object-log search; every tag of ``tags`` must be carried (``core.objects.tag``)."""

    begin_ms: int | None = None
    end_ms: int | None = None
    chids: Sequence[int] | None = None
    type: str | None = None
    tags: Sequence[str] = ()
    at: int = 0
    max_count: int = 50
    ascending: bool = False
    count: bool = True


def _rank(tag: str) -> tuple[int, str]:
    """Which tag drives a search: colours and lengths are rarer than gender, age, bags."""
    kind = tag.split("=", 1)[0]
    rare = kind.endswith((".color", ".length", ".vehicleType"))
    return (0 if rare else 1, tag)


def _row(r: ObjectRecord) -> dict[str, Any]:
    return {
        "at_ms": r.at_ms,
        "chid": r.chid,
        "obj_id": r.obj_id,
        "type": r.type,
        "parent_id": r.parent_id,
        "likelihood": r.likelihood,
        "attributes": json.dumps(r.attributes, separators=(",", ":")),
        "image": r.image,
        "embedding": r.embedding,
    }


def _record(r: Row[Any]) -> ObjectRecord:
    return ObjectRecord(
        at_ms=r.at_ms,
        chid=r.chid,
        obj_id=r.obj_id,
        type=r.type,
        parent_id=r.parent_id,
        likelihood=r.likelihood,
        attributes=json.loads(r.attributes or "{}"),
        image=r.image,
        embedding=r.embedding,
        id=r.id,
    )


@dataclass(frozen=True)
class StoredFace:
    """A face's embedding as the face-search index loads it."""

    id: int
    at_ms: int
    chid: int
    embedding: bytes
    type: str = "face"


class ObjectLogStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine
        #: told the ids of deleted entries (the face-search index forgets them)
        self._deleted: list[Callable[[Sequence[int]], None]] = []
        #: told that entries were added (the face-search index reads them when asked)
        self._added: list[Callable[[], None]] = []

    def on_delete(self, listener: Callable[[Sequence[int]], None]) -> None:
        self._deleted.append(listener)

    def on_add(self, listener: Callable[[], None]) -> None:
        self._added.append(listener)

    async def add_many(self, records: Sequence[ObjectRecord]) -> list[int]:
        """Insert the records and their tags in one transaction; return their ids."""
        if not records:
            return []
        async with self._engine.begin() as conn:
            rows = [_row(r) for r in records]
            stmt = insert(object_log).returning(object_log.c.id, sort_by_parameter_order=True)
            ids = [int(i) for i in (await conn.execute(stmt, rows)).scalars().all()]
            tags = [
                {"tag": t, "at_ms": r.at_ms, "object_id": i, "chid": r.chid}
                for i, r in zip(ids, records, strict=True)
                for t in object_tags(r.type, r.attributes)
            ]
            if tags:
                await conn.execute(insert(object_tag), tags)
        for listener in self._added:
            listener()
        return ids

    async def search(self, q: ObjectQuery) -> tuple[int | None, list[ObjectRecord]]:
        """(total matches or None when not asked, one page of them)."""
        async with self._engine.connect() as conn:
            if q.tags:
                return await self._by_tags(conn, q)
            return await self._scan(conn, q)

    async def _scan(
        self, conn: AsyncConnection, q: ObjectQuery
    ) -> tuple[int | None, list[ObjectRecord]]:
        t = object_log
        conds = _time_chid(t.c.at_ms, t.c.chid, q)
        if q.type is not None:
            conds.append(t.c.type == q.type)
        total = await _count(conn, select(func.count()).select_from(t).where(*conds), q)
        order = _order(t.c.at_ms, t.c.id, q.ascending)
        page = select(t).where(*conds).order_by(*order).offset(q.at).limit(q.max_count)
        return total, [_record(r) for r in (await conn.execute(page)).all()]

    async def _by_tags(
        self, conn: AsyncConnection, q: ObjectQuery
    ) -> tuple[int | None, list[ObjectRecord]]:
        first, *others = sorted(set(q.tags), key=_rank)
        g = object_tag
        conds = [g.c.tag == first, *_time_chid(g.c.at_ms, g.c.chid, q)]
        for other in others:
            o = object_tag.alias()
            conds.append(
                exists().where(
                    o.c.tag == other, o.c.at_ms == g.c.at_ms, o.c.object_id == g.c.object_id
                )
            )
        total = await _count(conn, select(func.count()).select_from(g).where(*conds), q)
        order = _order(g.c.at_ms, g.c.object_id, q.ascending)
        page = select(g.c.object_id).where(*conds).order_by(*order).offset(q.at).limit(q.max_count)
        ids = [int(i) for i in (await conn.execute(page)).scalars().all()]
        if not ids:
            return total, []
        rows = (await conn.execute(select(object_log).where(object_log.c.id.in_(ids)))).all()
        by_id = {r.id: _record(r) for r in rows}
        return total, [by_id[i] for i in ids if i in by_id]

    async def channels(self) -> list[int]:
        """The channels that have entries."""
        async with self._engine.connect() as conn:
            rows = await conn.execute(select(object_log.c.chid).distinct())
            return sorted(int(c) for c in rows.scalars().all())

    async def oldest_recordings(self) -> dict[int, int]:
        """The start of each channel's oldest recording still indexed."""
        r = recordings
        query = select(r.c.chid, func.min(r.c.start_ms)).group_by(r.c.chid)
        async with self._engine.connect() as conn:
            return {int(c): int(m) for c, m in (await conn.execute(query)).all()}

    async def delete_before(
        self, chid: int, cutoff_ms: int, limit: int = 1000
    ) -> tuple[int, list[str]]:
        """Delete up to ``limit`` of the channel's entries older than ``cutoff_ms`` (and
        their tags); (how many, the image references of the deleted ones)."""
        t = object_log
        find = (
            select(t.c.id, t.c.image)
            .where(t.c.chid == chid, t.c.at_ms < cutoff_ms)
            .order_by(t.c.at_ms)
            .limit(limit)
        )
        async with self._engine.begin() as conn:
            found = (await conn.execute(find)).all()
            if not found:
                return 0, []
            ids = [int(r.id) for r in found]
            await conn.execute(delete(object_tag).where(object_tag.c.object_id.in_(ids)))
            await conn.execute(delete(t).where(t.c.id.in_(ids)))
        for listener in self._deleted:
            listener(ids)
        return len(found), [str(r.image) for r in found if r.image]

    async def faces_after(self, after_id: int, limit: int) -> list[StoredFace]:
        """Up to ``limit`` entries with an embedding whose id is above ``after_id``, by id
        (read along the primary key: a condition on ``type`` would let the database take
        the type index and sort; the caller skips what is no face)."""
        t = object_log
        query = (
            select(t.c.id, t.c.at_ms, t.c.chid, t.c.type, t.c.embedding)
            .where(t.c.id > after_id, t.c.embedding.is_not(None))
            .order_by(t.c.id)
            .limit(limit)
        )
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [
            StoredFace(int(r.id), int(r.at_ms), int(r.chid), bytes(r.embedding), str(r.type))
            for r in rows
        ]

    async def get_many(self, ids: Sequence[int]) -> dict[int, ObjectRecord]:
        """The entries of these ids that exist."""
        if not ids:
            return {}
        async with self._engine.connect() as conn:
            query = select(object_log).where(object_log.c.id.in_(list(ids)))
            rows = (await conn.execute(query)).all()
        return {int(r.id): _record(r) for r in rows}

    async def get(self, entry_id: int) -> ObjectRecord | None:
        return (await self.get_many([entry_id])).get(entry_id)


async def _count(conn: AsyncConnection, query: Select[Any], q: ObjectQuery) -> int | None:
    return int((await conn.execute(query)).scalar_one()) if q.count else None


def _order(when: Any, ident: Any, ascending: bool) -> tuple[Any, Any]:
    return (when.asc(), ident.asc()) if ascending else (when.desc(), ident.desc())


def _time_chid(when: Any, chid: Any, q: ObjectQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if q.begin_ms is not None:
        conds.append(when >= q.begin_ms)
    if q.end_ms is not None:
        conds.append(when <= q.end_ms)
    if q.chids is not None:
        conds.append(chid.in_(list(q.chids)))
    return conds
