"""Fixtures shared by the unit tests: a migrated database (SQLite and PostgreSQL)."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from nvrd.config import load_settings
from nvrd.store.db import Database


@pytest.fixture
async def db(database_url: str, tmp_path: Path) -> AsyncIterator[Database]:
    """A migrated database, once on SQLite and once on PostgreSQL."""
    settings = load_settings(
        None, environ={}, flags={"data_dir": tmp_path, "database_url": database_url}
    )
    database = Database(settings.db_url)
    await database.open()
    yield database
    await database.close()
