"""The database handle: an async SQLAlchemy engine, migrated to the newest schema on open.

SQLite (default) runs in WAL mode with foreign keys on and a busy timeout
(``[server] database_busy_ms``): a write that waits longer for another
writer fails with "database is locked". PostgreSQL (through asyncpg) gets
the same wait as its ``lock_timeout``: a statement that waits longer for a
lock fails with SQLSTATE 55P03 (``lock_not_available``), and a deadlock
(40P01) fails at once. :func:`is_busy` recognises all of them (the API
answers 503 with ``Retry-After``).
Both get exactly the same schema from the Alembic migrations in
``migrations/``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from nvrd.store.onehop import OneHopDbapi
from nvrd.store.writes import TurnTakingEngine

MIGRATIONS = Path(__file__).with_name("migrations")


def _alembic_config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def _upgrade(connection: Connection) -> None:
    command.upgrade(_alembic_config(connection), "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


#: Messages of a database that another writer holds: SQLite's "database is locked"
#: (the busy timeout ran out) and "database table is locked".
_BUSY = ("database is locked", "database table is locked", "database is busy")


#: PostgreSQL's SQLSTATEs of the same: lock_not_available (the lock_timeout ran out),
#: deadlock_detected.
_BUSY_STATES = frozenset({"55P03", "40P01"})


def is_busy(exc: BaseException) -> bool:
    """``exc`` says that the database is held by another writer: try again later."""
    if not isinstance(exc, DBAPIError):
        return False
    if getattr(exc.orig, "sqlstate", None) in _BUSY_STATES:
        return True
    return isinstance(exc, OperationalError) and any(m in str(exc.orig) for m in _BUSY)


def _sqlite_pragmas(busy_ms: int) -> Callable[[Any, Any], None]:
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_ms)}")
        cur.close()

    return on_connect


def private_files(db: Path) -> None:
    """The database and its -wal/-shm files hold password and session hashes: mode 0600."""
    if not db.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        with contextlib.suppress(FileNotFoundError, PermissionError):
            if path.stat().st_mode & 0o077:
                path.chmod(0o600)


class Database:
    """Owns the engine. ``await open()`` migrates; ``await close()`` disposes."""

    def __init__(self, url: str, busy_ms: int = 5000):
        self.url = url
        parsed = make_url(url)
        sqlite = parsed.get_backend_name() == "sqlite"
        driver = parsed.get_driver_name()
        args: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if driver == "asyncpg":
            args["server_settings"] = {"lock_timeout": str(int(busy_ms))}  # milliseconds
        if sqlite and driver == "aiosqlite":
            extra["module"] = OneHopDbapi()  # one thread trip a statement (onehop.py)
        # a file needs no ping before each use; a server connection may have been dropped
        engine = create_async_engine(url, pool_pre_ping=not sqlite, connect_args=args, **extra)
        self.engine: AsyncEngine = engine
        if sqlite:
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas(busy_ms))
            self.engine = TurnTakingEngine(engine.sync_engine, busy_ms / 1000)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    async def open(self) -> None:
        path = self.sqlite_path
        if path is not None:
            private_files(path)  # before SQLite creates it: it gives -wal/-shm the same mode
        async with self.engine.begin() as conn:
            await conn.run_sync(_upgrade)
        if path is not None:
            private_files(path)

    @property
    def sqlite_path(self) -> Path | None:
        """The database file of a file-backed SQLite database."""
        name = self.engine.url.database if self.is_sqlite else None
        if not name or name == ":memory:" or name.startswith("file:"):
            return None
        return Path(name)

    async def revision(self) -> str | None:
        async with self.engine.connect() as conn:
            return await conn.run_sync(_current)

    async def close(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def opened(url: str, busy_ms: int = 5000) -> AsyncIterator[Database]:
    """A migrated database for one command; closed afterwards."""
    db = Database(url, busy_ms)
    try:
        await db.open()
        yield db
    finally:
        await db.close()
