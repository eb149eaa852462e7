"""The store on SQLite and on PostgreSQL (each test runs on both)."""

import pytest

from nvrd.core.rights import Right
from nvrd.store.channels import Channel, ChannelStore
from nvrd.store.db import Database, head_revision
from nvrd.store.sessions import SessionStore
from nvrd.store.users import NoSuchUser, UserExists, UserStore


async def test_migrated_to_head_and_idempotent(db: Database) -> None:
    assert await db.revision() == head_revision() == "0010"
    await db.open()  # a second open (restart) changes nothing
    assert await db.revision() == head_revision()


async def test_sqlite_uses_wal(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite only")
    async with db.engine.connect() as conn:
        mode = (await conn.exec_driver_sql("PRAGMA journal_mode")).scalar()
        fk = (await conn.exec_driver_sql("PRAGMA foreign_keys")).scalar()
    assert mode == "wal"
    assert fk == 1


async def test_users_crud(db: Database) -> None:
    users = UserStore(db.engine)
    assert await users.count() == 0
    u = await users.add("alice", "pw1", {Right.PLAYBACK}, now_ms=1)
    assert u.name == "alice" and not u.is_admin
    with pytest.raises(UserExists):
        await users.add("alice", "x", set(), now_ms=1)
    assert (await users.check_password("alice", "pw1")) == u
    assert await users.check_password("alice", "wrong") is None
    assert await users.check_password("nobody", "pw1") is None
    await users.set_password("alice", "pw2")
    assert await users.check_password("alice", "pw1") is None
    assert await users.check_password("alice", "pw2") is not None
    await users.set_rights("alice", {Right.LPR, Right.REMOTE}, True)
    got = await users.get("alice")
    assert got is not None and got.rights == {Right.LPR, Right.REMOTE} and got.is_admin
    assert got.effective_rights == frozenset(Right)
    assert [x.uid for x in await users.all()] == ["alice"]
    await users.remove("alice")
    with pytest.raises(NoSuchUser):
        await users.remove("alice")
    with pytest.raises(NoSuchUser):
        await users.set_password("alice", "x")
    assert await users.get("alice") is None


@pytest.mark.parametrize("uid", ["", "a b", "a:b", "x" * 65, "tab\t"])
async def test_bad_uids(db: Database, uid: str) -> None:
    with pytest.raises(ValueError):
        await UserStore(db.engine).add(uid, "pw", set(), now_ms=1)


async def test_empty_password_refused(db: Database) -> None:
    with pytest.raises(ValueError):
        await UserStore(db.engine).add("bob", "", set(), now_ms=1)


async def test_sessions(db: Database) -> None:
    users = UserStore(db.engine)
    await users.add("bob", "pw", set(), now_ms=1)
    sessions = SessionStore(db.engine)
    token = await sessions.create("bob", 1000)
    s = await sessions.get(token)
    assert s is not None and s.uid == "bob" and s.last_seen_ms == 1000
    await sessions.touch(token, 5000)
    assert (await sessions.get(token)).last_seen_ms == 5000  # type: ignore[union-attr]
    other = await sessions.create("bob", 9000)
    assert await sessions.delete_idle(6000) == 1
    assert await sessions.get(token) is None
    assert await sessions.get(other) is not None
    await users.remove("bob")  # sessions of a removed user go with it
    assert await sessions.get(other) is None
    assert await sessions.get("not-a-token") is None


async def test_a_session_and_its_user_in_one_read(db: Database) -> None:
    users = UserStore(db.engine)
    await users.add("ann", "pw", {Right.REMOTE}, now_ms=1, name="Ann", is_admin=True)
    await users.add("bob", "pw", set(), now_ms=1)
    sessions = SessionStore(db.engine)
    token = await sessions.create("ann", 1000)
    await sessions.create("bob", 2000)
    found = await sessions.get_with_user(token)
    assert found is not None
    session, user = found
    assert session == await sessions.get(token)
    assert user == await users.get("ann")
    assert user is not None and user.name == "Ann" and user.is_admin
    assert await sessions.get_with_user("not-a-token") is None
    await users.remove("ann")
    assert await sessions.get_with_user(token) is None


async def test_channels_seed_applies_configuration(db: Database) -> None:
    store = ChannelStore(db.engine)
    added = await store.seed([Channel(1, "Front door", {"source": "rtsp://x"}, "config")], 1)
    assert added == [1]
    added = await store.seed([Channel(1, "Renamed", {}, "config"), Channel(2, "", {}, "config")], 2)
    assert added == [2]
    chans = await store.all()
    assert [(c.chid, c.title) for c in chans] == [(1, "Renamed"), (2, "")]
    assert chans[0].source == {}  # the configuration is the source of truth for its channels


async def test_channels_add_delete(db: Database) -> None:
    store = ChannelStore(db.engine)
    await store.seed([Channel(2, "cfg", {}, "config")], 1)
    got = await store.add_many(
        [
            (None, "a", {"source": "x"}),
            (2, "b", {}),
            (None, "c", {}),
            (7, "d", {}),
            (None, "e", {}),
        ],
        max_channels=4,
        now_ms=1,
    )
    assert got == [(0, 1), (-1, 0), (0, 3), (0, 7), (-4, 0)]
    assert [c.chid for c in await store.all()] == [1, 2, 3, 7]
    assert (await store.get(1)).source == {"source": "x"}  # type: ignore[union-attr]
    assert await store.get(99) is None
    assert await store.delete([3, 99, 1]) == [3, 1]
    assert [c.chid for c in await store.all()] == [2, 7]
    # the configured channel comes back with its configuration on the next start
    await store.seed([Channel(2, "cfg2", {"source": "y"}, "config")], 2)
    await store.seed([Channel(7, "not mine", {}, "config")], 2)
    assert [(c.chid, c.title) for c in await store.all()] == [(2, "cfg2"), (7, "d")]
