"""The database and its -wal/-shm files hold password and session hashes: 0600."""

import asyncio
import stat
from pathlib import Path

from nvrd.config import ensure_writable
from nvrd.store.db import Database


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_database_files_are_private(tmp_path: Path) -> None:
    db_path = tmp_path / "nvrd.db"

    async def run() -> None:
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        await db.open()
        from sqlalchemy import text

        async with db.engine.begin() as conn:  # makes the -wal and -shm files
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
        for suffix in ("", "-wal", "-shm"):
            path = db_path.with_name(db_path.name + suffix)
            assert path.exists(), path
            assert _mode(path) == 0o600, (path, oct(_mode(path)))
        await db.close()

    asyncio.run(run())


def test_an_existing_world_readable_database_is_made_private(tmp_path: Path) -> None:
    db_path = tmp_path / "nvrd.db"
    db_path.touch(mode=0o644)
    db_path.chmod(0o644)

    async def run() -> None:
        db = Database(f"sqlite+aiosqlite:///{db_path}")
        await db.open()
        await db.close()

    asyncio.run(run())
    assert _mode(db_path) == 0o600


def test_the_data_dir_is_private(tmp_path: Path) -> None:
    new = tmp_path / "a" / "data"
    ensure_writable(new, "server.data_dir")
    assert _mode(new) == 0o700
    old = tmp_path / "old"
    old.mkdir(mode=0o755)
    old.chmod(0o755)
    ensure_writable(old, "server.data_dir")
    assert _mode(old) == 0o700
