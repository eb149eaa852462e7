"""The event log table on SQLite and PostgreSQL: append, finish, search, paging, sort."""

from nvrd.core.eventtypes import LogEntry
from nvrd.store.db import Database
from nvrd.store.eventlog import EventLogStore, LogQuery

T0 = 1_700_000_000_000


async def fill(store: EventLogStore) -> list[int]:
    ids = []
    for i in range(10):
        e = LogEntry(
            i % 3, 1 + i % 2, T0 + i * 1000, {"n": i, "txt": "한글"}, f"c{i}" if i else None
        )
        ids.append(await store.append(e))
    return ids


async def test_append_returns_increasing_ids_and_round_trips(db: Database) -> None:
    store = EventLogStore(db.engine)
    ids = await fill(store)
    assert ids == sorted(ids) and len(set(ids)) == 10
    total, rows = await store.search(LogQuery(max_count=100, ascending=True))
    assert total == 10
    assert [r.id for r in rows] == ids
    assert rows[0].param == {"n": 0, "txt": "한글"} and rows[0].comment is None
    assert rows[1].comment == "c1" and rows[1].end_ms is None


async def test_finish_sets_the_end(db: Database) -> None:
    store = EventLogStore(db.engine)
    entry_id = await store.append(LogEntry(2, 5, T0, {"chid": 1}, chid=1))
    await store.finish(entry_id, T0 + 5000)
    _, rows = await store.search(LogQuery())
    assert rows[0].end_ms == T0 + 5000 and rows[0].chid == 1


async def test_search_filters_pages_and_sorts(db: Database) -> None:
    store = EventLogStore(db.engine)
    ids = await fill(store)
    total, rows = await store.search(LogQuery(max_count=3))
    assert total == 10 and [r.id for r in rows] == ids[::-1][:3]
    total, rows = await store.search(LogQuery(at=8, max_count=5))
    assert total == 10 and [r.id for r in rows] == ids[1::-1]
    total, rows = await store.search(LogQuery(types=[0], ascending=True))
    assert total == 4 and [r.begin_ms for r in rows] == [T0, T0 + 3000, T0 + 6000, T0 + 9000]
    total, rows = await store.search(LogQuery(types=[1, 2], begin_ms=T0 + 2000, end_ms=T0 + 5000))
    assert total == 3 and [r.begin_ms for r in rows] == [T0 + 5000, T0 + 4000, T0 + 2000]
    total, rows = await store.search(LogQuery(at=50))
    assert total == 10 and rows == []


async def test_last_of_codes(db: Database) -> None:
    store = EventLogStore(db.engine)
    assert await store.last(0, [1, 2]) is None
    await store.append(LogEntry(0, 1, T0))
    await store.append(LogEntry(0, 2, T0 + 1))
    await store.append(LogEntry(1, 4, T0 + 2))
    last = await store.last(0, [1, 2, 3])
    assert last is not None and last.code == 2
