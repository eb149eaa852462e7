"""A scratch SQLite database without the schema: one table ``t (id, n unique)``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from nvrd.store.db import Database


@pytest.fixture
async def scratch(tmp_path: Path) -> AsyncIterator[Database]:
    d = Database(f"sqlite+aiosqlite:///{tmp_path / 'scratch.db'}", busy_ms=2000)
    async with d.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER UNIQUE)"))
    yield d
    await d.close()
