"""Channel definitions in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.core.ids import lowest_free
from nvrd.store.schema import channels


@dataclass(frozen=True)
class Channel:
    chid: int
    title: str
    source: dict[str, Any] = field(default_factory=dict)
    origin: str = "api"


class ChannelStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def all(self) -> list[Channel]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(channels).order_by(channels.c.chid))).all()
        return [Channel(r.chid, r.title, json.loads(r.source or "{}"), r.origin) for r in rows]

    async def seed(self, wanted: list[Channel], now_ms: int) -> list[int]:
        """Apply the configured channels; return the ids that were inserted.

        The configuration is the source of truth for its channels: one that is
        missing is inserted, one that exists with ``origin == "config"`` gets
        the configured title and source. A channel added through the API with
        the same number is left alone.
        """
        async with self._engine.begin() as conn:
            rows = {r.chid: r for r in (await conn.execute(select(channels))).all()}
            added = []
            for ch in wanted:
                row = rows.get(ch.chid)
                if row is None:
                    await conn.execute(
                        insert(channels).values(
                            chid=ch.chid,
                            title=ch.title,
                            source=json.dumps(ch.source),
                            origin=ch.origin,
                            created_ms=now_ms,
                        )
                    )
                    added.append(ch.chid)
                elif row.origin == "config":
                    await conn.execute(
                        update(channels)
                        .where(channels.c.chid == ch.chid)
                        .values(title=ch.title, source=json.dumps(ch.source))
                    )
        return added

    async def get(self, chid: int) -> Channel | None:
        async with self._engine.connect() as conn:
            r = (await conn.execute(select(channels).where(channels.c.chid == chid))).first()
        return Channel(r.chid, r.title, json.loads(r.source or "{}"), r.origin) if r else None

    async def add_many(
        self, wanted: list[tuple[int | None, str, dict[str, Any]]], max_channels: int, now_ms: int
    ) -> list[tuple[int, int]]:
        """Add channels in one transaction: per item ``(0, chid)`` or ``(error code, 0)``.

        Codes: -1 the channel number is taken, -4 the license maximum is reached.
        A missing ``chid`` takes the lowest free number.
        """
        results: list[tuple[int, int]] = []
        async with self._engine.begin() as conn:
            taken = set((await conn.execute(select(channels.c.chid))).scalars().all())
            for chid, title, source in wanted:
                if chid is not None and chid in taken:
                    results.append((-1, 0))
                    continue
                if len(taken) >= max_channels:
                    results.append((-4, 0))
                    continue
                if chid is None:
                    chid = lowest_free(taken)
                await conn.execute(
                    insert(channels).values(
                        chid=chid,
                        title=title,
                        source=json.dumps(source),
                        origin="api",
                        created_ms=now_ms,
                    )
                )
                taken.add(chid)
                results.append((0, chid))
        return results

    async def delete(self, chids: list[int]) -> list[int]:
        """Delete the channels that exist; return those deleted."""
        async with self._engine.begin() as conn:
            existing = set(
                (
                    await conn.execute(select(channels.c.chid).where(channels.c.chid.in_(chids)))
                ).scalars()
            )
            if existing:
                await conn.execute(delete(channels).where(channels.c.chid.in_(existing)))
        return [c for c in chids if c in existing]

    async def rename(self, chid: int, title: str) -> bool:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                update(channels).where(channels.c.chid == chid).values(title=title)
            )
        return bool(result.rowcount)

    async def swap(self, a: int, b: int) -> bool:
        """Exchange the numbers of two channels (title, source and origin move)."""
        async with self._engine.begin() as conn:
            rows = {
                r.chid: r
                for r in (
                    await conn.execute(select(channels).where(channels.c.chid.in_([a, b])))
                ).all()
            }
            if a == b or len(rows) != 2:
                return False
            for dst, src in ((a, rows[b]), (b, rows[a])):
                await conn.execute(
                    update(channels)
                    .where(channels.c.chid == dst)
                    .values(title=src.title, source=src.source, origin=src.origin)
                )
        return True
