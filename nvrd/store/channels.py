"""Channel definitions in the database."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

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
        """Insert configured channels whose ``chid`` is not taken yet; return the new ids."""
        async with self._engine.begin() as conn:
            taken = set((await conn.execute(select(channels.c.chid))).scalars().all())
            added = []
            for ch in wanted:
                if ch.chid in taken:
                    continue
                await conn.execute(
                    insert(channels).values(
                        chid=ch.chid,
                        title=ch.title,
                        source=json.dumps(ch.source),
                        origin=ch.origin,
                        created_ms=now_ms,
                    )
                )
                taken.add(ch.chid)
                added.append(ch.chid)
        return added
