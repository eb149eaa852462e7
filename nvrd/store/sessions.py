"""Sign-in sessions. The cookie carries a random token; the table keeps its SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.store.schema import sessions, users
from nvrd.store.users import User, user_from_row


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Session:
    uid: str
    created_ms: int
    last_seen_ms: int


def _session(row: Any) -> Session:
    return Session(row.uid, row.created_ms, row.last_seen_ms)


class SessionStore:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def create(self, uid: str, now_ms: int) -> str:
        token = secrets.token_urlsafe(32)
        async with self._engine.begin() as conn:
            await conn.execute(
                insert(sessions).values(
                    token_hash=_digest(token), uid=uid, created_ms=now_ms, last_seen_ms=now_ms
                )
            )
        return token

    async def get(self, token: str) -> Session | None:
        async with self._engine.connect() as conn:
            row = (
                await conn.execute(select(sessions).where(sessions.c.token_hash == _digest(token)))
            ).first()
        return _session(row) if row else None

    async def get_with_user(self, token: str) -> tuple[Session, User | None] | None:
        """The session and its user (None when the user is gone) in one read."""
        s, u = sessions.c, users.c
        stmt = (
            select(s.uid, s.created_ms, s.last_seen_ms, u.name, u.rights, u.is_admin)
            .select_from(sessions.outerjoin(users, u.uid == s.uid))
            .where(s.token_hash == _digest(token))
        )
        async with self._engine.connect() as conn:
            row = (await conn.execute(stmt)).first()
        if row is None:
            return None
        return _session(row), (user_from_row(row) if row.name is not None else None)

    async def touch(self, token: str, now_ms: int) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(
                update(sessions)
                .where(sessions.c.token_hash == _digest(token))
                .values(last_seen_ms=now_ms)
            )

    async def delete(self, token: str) -> None:
        async with self._engine.begin() as conn:
            await conn.execute(delete(sessions).where(sessions.c.token_hash == _digest(token)))

    async def delete_idle(self, older_than_ms: int) -> int:
        async with self._engine.begin() as conn:
            result = await conn.execute(
                delete(sessions).where(sessions.c.last_seen_ms < older_than_ms)
            )
        return int(result.rowcount)
