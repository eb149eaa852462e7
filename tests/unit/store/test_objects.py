"""The object log: storage, every filter against a plain reference, paging, retention
queries and the query plans, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, text

from nvrd.core.objects import COLORS, object_tags, tag
from nvrd.store.db import Database
from nvrd.store.objects import ObjectLogStore, ObjectQuery, ObjectRecord
from nvrd.store.schema import recordings

GENDERS = ["male", "female", None]
AGES = ["young", "adult", "middle", "senior", None]


def _face(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, values in (("gender", GENDERS), ("age", AGES)):
        v = rng.choice(values)
        if v is not None:
            out[name] = v
    for name in ("mask", "glasses", "hat"):
        if rng.random() < 0.5:
            out[name] = rng.random() < 0.5
    return out


def _human(rng: random.Random) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if (g := rng.choice(GENDERS)) is not None:
        out["gender"] = g
    if rng.random() < 0.6:
        out["bag"] = rng.random() < 0.5
    clothes = []
    for part in ("tops", "bottoms"):
        if rng.random() < 0.7:
            item: dict[str, Any] = {
                "type": part,
                "colors": rng.sample(COLORS[:5], rng.randint(1, 2)),
            }
            if rng.random() < 0.7:
                item["length"] = rng.choice(["short", "long"])
            clothes.append(item)
    if clothes:
        out["clothes"] = clothes
    return out


def _vehicle(rng: random.Random) -> dict[str, Any]:
    return {
        "vehicleType": rng.choice(["car", "bus", "truck"]),
        "colors": rng.sample(["red", "white", "gray", "yellow"], rng.randint(1, 2)),
    }


MAKERS = {"face": _face, "human": _human, "vehicle": _vehicle}


def records(n: int, seed: int = 5) -> list[ObjectRecord]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        otype = rng.choice(list(MAKERS))
        out.append(
            ObjectRecord(
                at_ms=10_000 + (i * 53) % 2000,
                chid=rng.choice([1, 2, 3]),
                obj_id=i,
                type=otype,
                parent_id=rng.choice([None, 7]),
                likelihood=round(rng.uniform(30, 99), 2),
                attributes=MAKERS[otype](rng),
                image=f"objects/1/2020-01-01/{i}-{i}.jpg" if i % 2 else "https://cam/x.jpg",
            )
        )
    return out


def reference(rows: list[ObjectRecord], ids: list[int], q: ObjectQuery) -> list[int]:
    hits = [
        (r.at_ms, i)
        for r, i in zip(rows, ids, strict=True)
        if (q.begin_ms is None or r.at_ms >= q.begin_ms)
        and (q.end_ms is None or r.at_ms <= q.end_ms)
        and (q.chids is None or r.chid in q.chids)
        and (q.type is None or r.type == q.type)
        and set(q.tags) <= set(object_tags(r.type, r.attributes))
    ]
    hits.sort(reverse=not q.ascending)
    return [i for _, i in hits]


def random_query(rng: random.Random, rows: list[ObjectRecord]) -> ObjectQuery:
    sample = rng.choice(rows)
    tags = object_tags(sample.type, sample.attributes)
    chosen = rng.sample(tags, min(len(tags), rng.randint(0, 3)))
    if rng.random() < 0.1:
        chosen.append(tag("face", "glasses", True))
    begin = rng.choice([None, 10_500])
    return ObjectQuery(
        begin_ms=begin,
        end_ms=rng.choice([None, 11_500]),
        chids=rng.choice([None, [1], [2, 3]]),
        type=rng.choice([None, sample.type]),
        tags=chosen,
        at=rng.choice([0, 0, 3]),
        max_count=rng.choice([5, 50, 1000]),
        ascending=rng.random() < 0.5,
        count=rng.random() < 0.8,
    )


async def test_round_trip(db: Database) -> None:
    store = ObjectLogStore(db.engine)
    rec = ObjectRecord(
        at_ms=1590436695819,
        chid=1,
        obj_id=837,
        type="face",
        parent_id=834,
        likelihood=82.59,
        attributes={"gender": "female", "age": "middle", "glasses": True, "mask": False},
        image="objects/1/2020-05-25/1590436695819-837.jpg",
        embedding=b"\x00\x01\xff" * 100,
    )
    (entry_id,) = await store.add_many([rec])
    got = await store.get(entry_id)
    assert got == ObjectRecord(**{**rec.__dict__, "id": entry_id})
    assert await store.add_many([]) == []
    assert await store.get(entry_id + 1) is None


async def test_search_matches_the_reference(db: Database) -> None:
    store = ObjectLogStore(db.engine)
    rows = records(400)
    ids = await store.add_many(rows)
    rng = random.Random(11)
    for _ in range(150):
        q = random_query(rng, rows)
        want = reference(rows, ids, q)
        total, page = await store.search(q)
        assert total == (len(want) if q.count else None), q
        assert [r.id for r in page] == want[q.at : q.at + q.max_count], q


async def test_each_filter_returns_exactly_its_objects(db: Database) -> None:
    store = ObjectLogStore(db.engine)
    rows = [
        ObjectRecord(at_ms=1, chid=1, obj_id=1, type="face", attributes={"gender": "male"}),
        ObjectRecord(at_ms=2, chid=1, obj_id=2, type="human", attributes={"gender": "male"}),
        ObjectRecord(
            at_ms=3,
            chid=2,
            obj_id=3,
            type="human",
            attributes={
                "bag": True,
                "clothes": [
                    {"type": "tops", "length": "short", "colors": ["red", "blue"]},
                    {"type": "bottoms", "length": "long", "colors": ["black"]},
                ],
            },
        ),
        ObjectRecord(
            at_ms=4,
            chid=2,
            obj_id=4,
            type="vehicle",
            attributes={"vehicleType": "car", "colors": ["yellow"]},
        ),
        ObjectRecord(at_ms=5, chid=2, obj_id=5, type="face", attributes={"glasses": True}),
    ]
    ids = await store.add_many(rows)

    async def found(*tags: str) -> list[int]:
        _, page = await store.search(ObjectQuery(tags=tags, ascending=True))
        return [ids.index(r.id) + 1 for r in page]

    assert await found("face.gender=male") == [1]
    assert await found("human.gender=male") == [2]
    assert await found("human.top.color=red", "human.top.color=blue") == [3]
    assert await found("human.top.color=red", "human.top.color=black") == []
    assert await found("human.bottom.color=black", "human.top.length=short") == [3]
    assert await found("human.bottom.length=short") == []
    assert await found("human.bag=true") == [3]
    assert await found("vehicle.vehicleType=car", "vehicle.color=yellow") == [4]
    assert await found("vehicle.vehicleType=bus") == []
    assert await found("face.glasses=true") == [5]
    assert await found("face.glasses=false") == []


async def test_retention_queries(db: Database) -> None:
    store = ObjectLogStore(db.engine)
    rows = [
        ObjectRecord(
            at_ms=t, chid=c, obj_id=t, type="human", attributes={"bag": True}, image=f"i{t}"
        )
        for t, c in ((1, 1), (2, 1), (3, 2), (4, 1))
    ]
    await store.add_many(rows)
    assert await store.channels() == [1, 2]
    assert await store.delete_before(1, 3, limit=1) == (1, ["i1"])
    assert await store.delete_before(1, 3) == (1, ["i2"])
    assert await store.delete_before(1, 3) == (0, [])
    total, page = await store.search(ObjectQuery(tags=["human.bag=true"], ascending=True))
    assert total == 2 and [r.at_ms for r in page] == [3, 4]
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(recordings),
            [
                {
                    "chid": 1,
                    "root": "/r",
                    "rel_path": f"{i}.mp4",
                    "start_ms": s,
                    "end_ms": s + 1,
                    "size": 1,
                }
                for i, s in enumerate((500, 300, 900))
            ],
        )
    assert await store.oldest_recordings() == {1: 300}


def _plan_sqlite(rows: Sequence[Any]) -> str:
    return " | ".join(str(r[-1]) for r in rows)


async def test_large_log_searches_use_the_indexes(db: Database) -> None:
    """Many rows: the planner reads an index (no full scan of the log or tag table)."""
    store = ObjectLogStore(db.engine)
    rng = random.Random(2)
    base = records(500, seed=9)
    batch = [
        ObjectRecord(**{**r.__dict__, "at_ms": rng.randrange(0, 10**9)})
        for _ in range(20)
        for r in base
    ]
    await store.add_many(batch)
    pg = db.engine.dialect.name == "postgresql"
    async with db.engine.connect() as conn:
        await conn.execute(text("ANALYZE"))
        queries = {
            "time": "SELECT id FROM object_log WHERE at_ms >= 5 AND at_ms <= 900000 "
            "ORDER BY at_ms DESC, id DESC LIMIT 50",
            "type": "SELECT id FROM object_log WHERE type = 'face' ORDER BY at_ms DESC LIMIT 50",
            "chid": "SELECT id FROM object_log WHERE chid IN (1, 2) AND at_ms >= 5 "
            "ORDER BY at_ms DESC LIMIT 50",
            "tags": "SELECT g.object_id FROM object_tag g WHERE g.tag = 'human.top.color=red' "
            "AND g.at_ms >= 5 AND EXISTS (SELECT 1 FROM object_tag o WHERE "
            "o.tag = 'human.gender=male' AND o.at_ms = g.at_ms AND o.object_id = g.object_id) "
            "ORDER BY g.at_ms DESC LIMIT 50",
        }
        for name, sql in queries.items():
            if pg:
                await conn.execute(text("SET enable_seqscan = off"))
                plan = " | ".join(
                    str(r[0]) for r in (await conn.execute(text("EXPLAIN " + sql))).all()
                )
                assert "Seq Scan" not in plan, (name, plan)
                assert "Index" in plan, (name, plan)
            else:
                plan = _plan_sqlite((await conn.execute(text("EXPLAIN QUERY PLAN " + sql))).all())
                assert plan.startswith("SEARCH") and "SCAN " not in plan, (name, plan)
                assert "INDEX" in plan or "PRIMARY KEY" in plan, (name, plan)
