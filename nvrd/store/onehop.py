"""SQLite through aiosqlite with one trip to its thread per statement.

aiosqlite runs each call on the SQLite connection in a thread of its own and
wakes the event loop when the call is done. SQLAlchemy's adapter makes four
such calls for a statement (a cursor, execute, fetch the rows, close the
cursor) and one more for the rollback that ends every read-only use of a
pooled connection, although SQLite has no transaction open then: 30 trips
for one ``POST /api/push``, and they, not the SQL, were most of its time.

Here a statement is one call, made in the thread: cursor, execute, rows,
close, and whether the connection is now inside a transaction. A rollback or
commit with no transaction open is a no-op in SQLite, so it is skipped
without a trip. Server-side cursors keep SQLAlchemy's own adapter.

This builds on SQLAlchemy's aiosqlite adapter classes (``pyproject.toml``
pins the SQLAlchemy minor version it was written against); the whole suite
runs on it.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Sequence
from functools import partial
from typing import Any

import aiosqlite
from sqlalchemy.connectors.asyncio import AsyncAdapt_dbapi_connection
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

#: (description, rows, rowcount, lastrowid, in a transaction afterwards)
Outcome = tuple[Any, list[Any], int, int | None, bool]


def _run(conn: sqlite3.Connection, many: bool, operation: str, parameters: Any) -> Outcome:
    """One statement, in aiosqlite's thread."""
    cur = conn.cursor()
    try:
        if many:
            cur.executemany(operation, parameters)
        elif parameters is None:
            cur.execute(operation)
        else:
            cur.execute(operation, parameters)
        description = cur.description
        rows = cur.fetchall() if description else []
        return description, rows, cur.rowcount, cur.lastrowid, conn.in_transaction
    finally:
        cur.close()


class OneHopCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement, rows and close are one call in the connection's thread."""

    __slots__ = ("_arraysize", "_description", "_lastrowid", "_rowcount")

    def __init__(self, adapt_connection: AsyncAdapt_dbapi_connection):
        # no aiosqlite cursor: each statement makes and closes its own in the thread
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._description: Any = None
        self._rowcount = -1
        self._lastrowid: int | None = None
        self._arraysize = 1

    @property
    def description(self) -> Any:
        return self._description

    @property
    def rowcount(self) -> int:
        return self._rowcount

    @property
    def lastrowid(self) -> int:
        return self._lastrowid  # type: ignore[return-value]  # None as sqlite3 gives it

    @property
    def arraysize(self) -> int:
        return self._arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._arraysize = value

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor was closed in the thread."""

    def close(self) -> None:
        self._rows.clear()

    def _call(self, many: bool, operation: Any, parameters: Any) -> None:
        adapt = self._adapt_connection
        assert isinstance(adapt, OneHopConnection)
        conn: aiosqlite.Connection = self._connection  # type: ignore[assignment]
        adapt.in_transaction = True  # until the statement says otherwise (it may fail)
        try:
            call = partial(_run, conn._conn, many, operation, parameters)
            out: Outcome = await_(conn._execute(call))  # type: ignore[no-untyped-call]
        except Exception as error:
            adapt._handle_exception(error)
        self._description, rows, self._rowcount, self._lastrowid, adapt.in_transaction = out
        self._rows = collections.deque(rows)

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        self._call(False, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Sequence[Any]) -> Any:
        self._call(True, operation, seq_of_parameters)


class OneHopConnection(AsyncAdapt_aiosqlite_connection):
    """An adapted connection that knows whether SQLite has a transaction open."""

    __slots__ = ("in_transaction",)
    _cursor_cls = OneHopCursor

    def __init__(self, dbapi: Any, connection: aiosqlite.Connection):
        super().__init__(dbapi, connection)  # type: ignore[arg-type]
        self.in_transaction = True  # not known yet: the first rollback or commit is made

    def cursor(self, server_side: bool = False) -> Any:
        if server_side:
            self.in_transaction = True  # SQLAlchemy's own cursor: not tracked
        return super().cursor(server_side)

    def rollback(self) -> None:
        if self.in_transaction:
            super().rollback()
            self.in_transaction = False

    def commit(self) -> None:
        if self.in_transaction:
            super().commit()
            self.in_transaction = False


class OneHopDbapi(AsyncAdapt_aiosqlite_dbapi):
    """The DB-API module to give ``create_async_engine(module=...)`` for aiosqlite URLs."""

    def __init__(self) -> None:
        super().__init__(aiosqlite, sqlite3)

    def connect(self, *arg: Any, **kw: Any) -> OneHopConnection:
        adapted = super().connect(*arg, **kw)
        return OneHopConnection(self, adapted._connection)  # type: ignore[arg-type]
