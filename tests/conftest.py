"""Shared fixtures: settings in a temporary data dir, databases (SQLite and PostgreSQL),
an in-process app client, users created directly in the store, and generated test videos."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from starlette.testclient import TestClient

from nvrd.config import Settings, load_settings
from nvrd.core.clock import SystemClock
from nvrd.core.passwords import Scrypt
from nvrd.core.rights import ALL_RIGHTS, Right, parse_rights
from nvrd.store.db import Database
from nvrd.store.users import UserStore
from tests.support.media import make_test_video

if TYPE_CHECKING:
    from tests.e2e.server import ServerProcess

PG_URL = os.environ.get("NVRD_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_admin_dsn() -> str:
    return PG_URL


async def _pg_exec(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_admin_dsn(), timeout=3)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_reason() -> str | None:
    try:
        asyncio.run(_pg_exec("SELECT 1"))
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_URL}: {exc}"
    return None


@pytest.fixture(scope="session")
def pg_unavailable() -> str | None:
    return _pg_reason()


@pytest.fixture(scope="session")
def pg_template(pg_unavailable: str | None) -> Iterator[str]:
    """A PostgreSQL database migrated once per session; ``pg_url`` empties it per test."""
    if pg_unavailable:
        pytest.skip(pg_unavailable)
    name = "nvrd_tmpl_" + uuid.uuid4().hex[:12]
    asyncio.run(_pg_exec(f'CREATE DATABASE "{name}"'))

    async def migrate() -> None:
        db = Database(_pg_async_url(name))
        await db.open()
        await db.close()

    try:
        asyncio.run(migrate())
        yield name
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _pg_url(name: str) -> str:
    return f"{PG_URL.rsplit('/', 1)[0]}/{name}"


def _pg_async_url(name: str) -> str:
    return "postgresql+asyncpg://" + _pg_url(name).split("://", 1)[1]


async def _pg_truncate(name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_url(name), timeout=3)
    try:
        await conn.execute("SET lock_timeout = '5s'")
        tables = await conn.fetch(
            "SELECT quote_ident(tablename) AS t FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
        if not tables:
            return
        # Only the tables that hold rows or whose sequences were used: a TRUNCATE costs
        # every table it names a new file, and most tests touch few tables.
        holding = " UNION ALL ".join(
            f"SELECT '{r['t']}' AS t WHERE EXISTS (SELECT 1 FROM {r['t']})" for r in tables
        )
        counted = await conn.fetch(
            f"{holding} UNION SELECT quote_ident(t.relname) FROM pg_depend d"
            " JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'"
            " JOIN pg_class t ON t.oid = d.refobjid"
            " JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'"
            " JOIN pg_sequences q ON q.schemaname = 'public' AND q.sequencename = s.relname"
            " WHERE d.deptype IN ('a', 'i') AND q.last_value IS NOT NULL"
        )
        if counted:
            names = ", ".join(sorted(r["t"] for r in counted))
            await conn.execute(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    finally:
        await conn.close()


@pytest.fixture
def pg_url(pg_template: str) -> str:
    """The session's migrated PostgreSQL database, emptied for this test.

    Emptying (TRUNCATE) takes milliseconds where CREATE DATABASE takes most of a
    second; tests run one at a time, so they never share it at once.
    """
    asyncio.run(_pg_truncate(pg_template))
    return _pg_url(pg_template)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Runs a test once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        target = tmp_path / "store.db"
        shutil.copyfile(request.getfixturevalue("template_db"), target)
        return f"sqlite:///{target}"
    return str(request.getfixturevalue("pg_url"))


def make_settings(tmp_path: Path, **sections: dict[str, Any] | list[dict[str, Any]]) -> Settings:
    data: dict[str, Any] = {"server": {"data_dir": str(tmp_path / "data"), "timezone": "UTC"}}
    for name, values in sections.items():
        if isinstance(values, dict):
            data.setdefault(name, {}).update(values)
        else:
            data[name] = values
    cfg = tmp_path / "nvrd-test.toml"
    cfg.write_text(_toml(data), "utf-8")
    return load_settings(cfg, environ={})


def _toml(data: dict[str, Any]) -> str:
    lines: list[str] = []
    for section, values in data.items():
        if isinstance(values, list):
            for item in values:
                lines.append(f"[[{section}]]")
                lines.extend(f"{k} = {_val(v)}" for k, v in item.items())
        else:
            lines.append(f"[{section}]")
            lines.extend(f"{k} = {_val(v)}" for k, v in values.items())
    return "\n".join(lines) + "\n"


def _val(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return str(v)
    if isinstance(v, list):
        return "[" + ", ".join(_val(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


#: Test users get a cheap scrypt cost (hashes carry their cost, so sign-in checks are
#: cheap too); the real cost is tested in tests/unit/core/test_passwords_rights.py.
CHEAP_HASH = Scrypt(n=16, r=8, p=1)


def add_users(settings: Settings, specs: list[tuple[str, str, str, bool]]) -> None:
    """Create users (uid, password, rights, admin) straight in the store."""
    _add_users(settings.db_url, specs)


def _add_users(db_url: str, specs: list[tuple[str, str, str, bool]]) -> None:
    async def run() -> None:
        db = Database(db_url)
        await db.open()
        try:
            store = UserStore(db.engine, CHEAP_HASH)
            now = SystemClock().now_ms()
            for uid, password, rights, admin in specs:
                parsed = parse_rights(rights.split(",")) if rights else frozenset()
                await store.add(uid, password, parsed, is_admin=admin, now_ms=now)
        finally:
            await db.close()

    asyncio.run(run())


ADMIN = ("root", "root-pass", "all", True)
VIEWER = ("viewer", "viewer-pass", "Playback,Remote", False)
NOREMOTE = ("local", "local-pass", "Playback", False)


class AppHarness:
    def __init__(self, settings: Settings, announced: list[str], restarts: list[int]):
        self.settings = settings
        self.announced = announced
        self.restarts = restarts
        from nvrd.app import create_app

        self.app = create_app(
            settings,
            request_restart=lambda: restarts.append(1),
            announce=announced.append,
            hasher=CHEAP_HASH,
        )

    def client(self) -> TestClient:
        return TestClient(self.app, raise_server_exceptions=False)


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated once per session; tests start from a copy of it."""
    path = tmp_path_factory.mktemp("template") / "nvrd.db"

    async def migrate() -> None:
        db = Database(f"sqlite+aiosqlite:///{path}")
        await db.open()
        await db.close()

    asyncio.run(migrate())
    return path


def start_from_template(settings: Settings, template: Path) -> None:
    """Give a default (SQLite in the data dir) configuration the migrated template."""
    if not settings.server.database_url:
        shutil.copyfile(template, settings.server.data_dir / "nvrd.db")


UserSpecs = list[tuple[str, str, str, bool]]


@pytest.fixture(scope="session")
def users_template(
    tmp_path_factory: pytest.TempPathFactory, template_db: Path
) -> Callable[[UserSpecs], Path]:
    """The migrated SQLite template with these users added, made once per list of users
    in a session (tests start from a copy of it, as from :func:`template_db`)."""
    made: dict[tuple[tuple[str, str, str, bool], ...], Path] = {}
    root = tmp_path_factory.mktemp("users-template")

    def get(users: UserSpecs) -> Path:
        key = tuple(users)
        if key not in made:
            path = root / f"nvrd-{len(made)}.db"
            shutil.copyfile(template_db, path)
            _add_users(f"sqlite+aiosqlite:///{path}", users)
            made[key] = path
        return made[key]

    return get


def _builder(root: Path, with_users: Callable[[UserSpecs], Path]) -> Callable[..., AppHarness]:
    def build(users: UserSpecs | None = None, **sections: Any) -> AppHarness:
        settings = make_settings(root, **sections)
        settings.server.data_dir.mkdir(parents=True, exist_ok=True)
        users = users if users is not None else [ADMIN, VIEWER, NOREMOTE]
        if settings.server.database_url:
            add_users(settings, users)
        else:  # the default SQLite file in the data dir: a copy of the template with them
            start_from_template(settings, with_users(users))
        return AppHarness(settings, [], [])

    return build


@pytest.fixture
def harness(
    tmp_path: Path, users_template: Callable[[UserSpecs], Path]
) -> Callable[..., AppHarness]:
    """Build an app on a temporary data dir with the standard test users."""
    return _builder(tmp_path, users_template)


@pytest.fixture(scope="module")
def module_harness(
    tmp_path_factory: pytest.TempPathFactory, users_template: Callable[[UserSpecs], Path]
) -> Callable[..., AppHarness]:
    """:func:`harness` for an app that a module's tests share: only for tests that
    change nothing (one app start for the module instead of one per test)."""
    return _builder(tmp_path_factory.mktemp("app"), users_template)


@pytest.fixture
def client(harness: Callable[..., AppHarness]) -> Iterator[TestClient]:
    with harness().client() as c:
        yield c


def b64(uid: str, password: str) -> str:
    """``uid:password`` as the ``auth=``/``login=`` parameters carry it."""
    import base64

    return base64.b64encode(f"{uid}:{password}".encode()).decode()


# name -> make_test_video keyword arguments
TEST_VIDEOS: dict[str, dict[str, object]] = {
    "cam1.mp4": {"seconds": 10, "size": "640x360", "fps": 25, "gop": 25, "clock": True},
    "cam2.mp4": {"seconds": 10, "size": "1280x720", "fps": 25, "gop": 50, "clock": True},
    "cam3.mp4": {"seconds": 2, "size": "320x180", "fps": 10, "gop": 10, "clock": False},
}


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of H.264 test videos (see TEST_VIDEOS), served by `file_camera`."""
    root = tmp_path_factory.mktemp("media")
    for name, kwargs in TEST_VIDEOS.items():
        make_test_video(root / name, **kwargs)  # type: ignore[arg-type]
    return root


__all__ = ["ADMIN", "ALL_RIGHTS", "NOREMOTE", "VIEWER", "Right", "make_settings"]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real ``nvrd serve`` process on a free port (lockout after 3 failures, 2 s)."""
    from tests.e2e.server import ServerProcess

    srv = ServerProcess(tmp_path, "[auth]\nmax_failures = 3\nlockout_seconds = 2\n")
    srv.start()
    yield srv
    srv.stop()
