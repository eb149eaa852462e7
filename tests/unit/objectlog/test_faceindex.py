"""The face-search index on the real object log (SQLite and PostgreSQL): its answers equal
a plain reference on random embeddings with time, channel and distance limits; rows
written later are found, deleted ones forgotten (and the matrix compacted), only the
newest ``capacity`` held, malformed embeddings skipped."""

from __future__ import annotations

import numpy as np

from nvrd.core.faces import pack
from nvrd.objectlog.faceindex import FaceIndex, FaceQuery
from nvrd.store.db import Database
from nvrd.store.objects import ObjectLogStore, ObjectRecord

DIM = 128


def unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.normal(size=(n, DIM)).astype(np.float32)
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def faces(vectors: np.ndarray, start: int = 0) -> list[ObjectRecord]:
    return [
        ObjectRecord(
            at_ms=1000 * (start + i),
            chid=1 + (start + i) % 4,
            obj_id=start + i,
            type="face",
            embedding=pack(v.tolist()),
        )
        for i, v in enumerate(vectors)
    ]


def reference(
    vectors: np.ndarray, ids: list[int], at: list[int], chid: list[int], q: FaceQuery
) -> list[int]:
    probe = np.frombuffer(q.embedding, "<f4")
    d = np.linalg.norm(vectors - probe, axis=1)
    keep = [
        i
        for i in range(len(ids))
        if d[i] <= q.max_distance
        and (q.begin_ms is None or at[i] >= q.begin_ms)
        and (q.end_ms is None or at[i] <= q.end_ms)
        and (q.chids is None or chid[i] in q.chids)
    ]
    return [ids[i] for i in sorted(keep, key=lambda i: (d[i], ids[i]))]


async def test_answers_equal_the_reference_and_follow_the_log(db: Database) -> None:
    rng = np.random.default_rng(7)
    store = ObjectLogStore(db.engine)
    vectors = unit(rng, 1500)
    others = [ObjectRecord(at_ms=5, chid=1, obj_id=9000, type="human")]
    others.append(ObjectRecord(at_ms=6, chid=1, obj_id=9001, type="face"))  # no embedding
    ids = await store.add_many(faces(vectors[:1000]) + others)
    ids = ids[:1000] + await store.add_many(faces(vectors[1000:], 1000))
    index = FaceIndex(store, batch=300)
    at = [1000 * i for i in range(1500)]
    chid = [1 + i % 4 for i in range(1500)]
    for k in range(40):
        target = vectors[rng.integers(1500)] + rng.normal(scale=0.02, size=DIM).astype(np.float32)
        q = FaceQuery(
            pack(target.tolist()),
            max_distance=float(rng.choice([0.3, 1.2, 1.45, 2.0])),
            begin_ms=int(rng.integers(0, 800_000)) if k % 2 else None,
            end_ms=int(rng.integers(800_000, 1_600_000)) if k % 3 else None,
            chids=[1 + int(c) for c in rng.choice(4, 2, replace=False)] if k % 4 else None,
            limit=int(rng.choice([1, 10, 5000])),
        )
        want = reference(vectors, ids, at, chid, q)
        total, hits = await index.search(q)
        assert total == len(want)
        assert [h.id for h in hits] == want[: q.limit]
    assert index.faces == 1500
    later = await store.add_many(faces(unit(rng, 3), 5000))
    probe = FaceQuery(pack(vectors[0].tolist()), 5.0, limit=10_000)
    total, hits = await index.search(probe)
    assert total == 1503 and set(later) <= {h.id for h in hits}


async def test_deleted_entries_are_forgotten_and_the_matrix_compacted(db: Database) -> None:
    rng = np.random.default_rng(3)
    store = ObjectLogStore(db.engine)
    vectors = unit(rng, 3000)
    await store.add_many(faces(vectors))
    index = FaceIndex(store)
    probe = FaceQuery(pack(vectors[0].tolist()), 5.0, limit=5)
    assert (await index.search(probe))[0] == 3000
    for chid in (1, 2, 3):  # retention deletes channel by channel
        while (await store.delete_before(chid, 10**9, limit=1000))[0]:
            pass
    total, hits = await index.search(probe)
    assert index.faces == total == 3000 - 3 * 750
    assert len(index._ids) < 3000  # compacted
    assert hits[0].distance > 0.1  # vectors[0] (channel 1) is gone
    index.forget([])
    index.forget([10**9])
    assert index.faces == 750


async def test_only_the_newest_are_held_and_bad_rows_are_skipped(db: Database) -> None:
    rng = np.random.default_rng(5)
    store = ObjectLogStore(db.engine)
    vectors = unit(rng, 300)
    ids = await store.add_many(faces(vectors))
    bad = [
        ObjectRecord(at_ms=1, chid=1, obj_id=1, type="face", embedding=b"short"),
        ObjectRecord(
            at_ms=1, chid=1, obj_id=2, type="face", embedding=np.full(DIM, np.nan, "<f4").tobytes()
        ),
        ObjectRecord(at_ms=1, chid=1, obj_id=3, type="human", embedding=pack([0.0] * DIM)),
    ]
    await store.add_many(bad)
    index = FaceIndex(store, capacity=100)
    total, hits = await index.search(FaceQuery(pack(vectors[0].tolist()), 5.0, limit=1000))
    assert total == 100 and {h.id for h in hits} == set(ids[200:])
