"""Preset names the server keeps for a channel's camera presets."""

from __future__ import annotations

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.store.schema import preset_names


class PresetNameStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def names(self, chid: int) -> dict[str, str]:
        async with self._engine.connect() as conn:
            rows = (
                await conn.execute(select(preset_names).where(preset_names.c.chid == chid))
            ).all()
        return {r.token: r.name for r in rows}

    async def put(self, chid: int, token: str, name: str) -> None:
        where = (preset_names.c.chid == chid) & (preset_names.c.token == token)
        async with self._engine.begin() as conn:
            done = await conn.execute(update(preset_names).where(where).values(name=name))
            if not done.rowcount:
                await conn.execute(insert(preset_names).values(chid=chid, token=token, name=name))

    async def remove(self, chid: int, tokens: list[str]) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                delete(preset_names).where(
                    (preset_names.c.chid == chid) & preset_names.c.token.in_(tokens)
                )
            )

    async def forget(self, chid: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(preset_names).where(preset_names.c.chid == chid))
