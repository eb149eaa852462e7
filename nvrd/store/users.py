"""User accounts in the database. Password hashing runs off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.core.passwords import INTERACTIVE, Scrypt, verify_password
from nvrd.core.rights import Right, decode_rights, encode_rights
from nvrd.store.schema import users


class UserExists(Exception):
    pass


class NoSuchUser(Exception):
    pass


@dataclass(frozen=True)
class User:
    uid: str
    name: str
    rights: frozenset[Right]
    is_admin: bool

    def has(self, right: Right) -> bool:
        return self.is_admin or right in self.rights

    @property
    def effective_rights(self) -> frozenset[Right]:
        """An administrator has every right."""
        return frozenset(Right) if self.is_admin else self.rights


def user_from_row(row: object) -> User:
    return User(
        uid=row.uid,  # type: ignore[attr-defined]
        name=row.name,  # type: ignore[attr-defined]
        rights=decode_rights(row.rights),  # type: ignore[attr-defined]
        is_admin=bool(row.is_admin),  # type: ignore[attr-defined]
    )


def validate_uid(uid: str) -> str:
    if not uid or len(uid) > 64 or ":" in uid or any(c.isspace() or ord(c) < 32 for c in uid):
        raise ValueError("a user ID is 1-64 characters without spaces or ':'")
    return uid


class UserStore:
    def __init__(self, engine: AsyncEngine, hasher: Scrypt = INTERACTIVE):
        self._engine = engine
        self._hasher = hasher

    async def add(
        self,
        uid: str,
        password: str,
        rights: Iterable[Right],
        *,
        is_admin: bool = False,
        name: str | None = None,
        now_ms: int,
    ) -> User:
        validate_uid(uid)
        if not password:
            raise ValueError("the password must not be empty")
        pw_hash = await asyncio.to_thread(self._hasher.hash, password)
        rights_set = frozenset(rights)
        try:
            async with self._engine.begin() as conn:
                await conn.execute(
                    insert(users).values(
                        uid=uid,
                        name=name or uid,
                        password_hash=pw_hash,
                        rights=encode_rights(rights_set),
                        is_admin=is_admin,
                        created_ms=now_ms,
                    )
                )
        except IntegrityError:
            raise UserExists(uid) from None
        return User(uid, name or uid, rights_set, is_admin)

    async def get(self, uid: str) -> User | None:
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.uid == uid))).first()
        return user_from_row(row) if row else None

    async def check_password(self, uid: str, password: str) -> User | None:
        """The user if ``password`` is right; ``None`` otherwise (same cost either way)."""
        async with self._engine.connect() as conn:
            row = (await conn.execute(select(users).where(users.c.uid == uid))).first()
        stored = row.password_hash if row else self._hasher.dummy
        ok = await asyncio.to_thread(verify_password, password, stored)
        return user_from_row(row) if (row and ok) else None

    async def set_password(self, uid: str, password: str) -> None:
        if not password:
            raise ValueError("the password must not be empty")
        pw_hash = await asyncio.to_thread(self._hasher.hash, password)
        await self._update(uid, password_hash=pw_hash)

    async def set_rights(self, uid: str, rights: Iterable[Right], is_admin: bool) -> None:
        await self._update(uid, rights=encode_rights(rights), is_admin=is_admin)

    async def _update(self, uid: str, **values: object) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(update(users).where(users.c.uid == uid).values(**values))
        if result.rowcount == 0:
            raise NoSuchUser(uid)

    async def remove(self, uid: str) -> None:
        async with self._engine.begin() as conn:
            result = await conn.execute(delete(users).where(users.c.uid == uid))
        if result.rowcount == 0:
            raise NoSuchUser(uid)

    async def all(self) -> list[User]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(select(users).order_by(users.c.uid))).all()
        return [user_from_row(r) for r in rows]

    async def count(self) -> int:
        async with self._engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(users))).scalar_one())
