"""Object-log retention on a fake clock: keep_days or the channel's oldest recording,
whichever is shorter; entries, tags, crop files and old day folders go; nothing
outside the objects folder is touched."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert

from nvrd.core.clock import FakeClock
from nvrd.core.supervisor import Supervisor
from nvrd.objectlog.retention import DAY_MS, ObjectRetention
from nvrd.store.db import Database
from nvrd.store.objects import ObjectLogStore, ObjectQuery, ObjectRecord
from nvrd.store.schema import recordings

NOW = datetime(2026, 3, 10, 12, tzinfo=UTC)
NOW_MS = int(NOW.timestamp() * 1000)


def crop(root: Path, chid: int, at_ms: int, obj: int) -> str:
    day = datetime.fromtimestamp(at_ms / 1000, UTC).strftime("%Y-%m-%d")
    rel = f"{chid}/{day}/{at_ms}-{obj}.jpg"
    (root / rel).parent.mkdir(parents=True, exist_ok=True)
    (root / rel).write_bytes(b"\xff\xd8jpeg")
    return "objects/" + rel


async def test_keep_days_and_recording_retention(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "objects"
    store = ObjectLogStore(db.engine)
    ages_days = {1: [10, 5, 1], 2: [10, 5, 1]}
    rows = []
    for chid, ages in ages_days.items():
        for n, age in enumerate(ages):
            at = NOW_MS - age * DAY_MS
            rows.append(
                ObjectRecord(
                    at_ms=at,
                    chid=chid,
                    obj_id=n,
                    type="human",
                    attributes={"bag": True},
                    image=crop(root, chid, at, n),
                )
            )
    rows.append(
        ObjectRecord(
            at_ms=NOW_MS - 20 * DAY_MS, chid=3, obj_id=1, type="face", image="https://cam/a.jpg"
        )
    )
    await store.add_many(rows)
    # channel 2's oldest recording is 3 days old: its objects older than that go too
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(recordings),
            [
                {
                    "chid": 2,
                    "root": "/r",
                    "rel_path": "a.mp4",
                    "start_ms": NOW_MS - 3 * DAY_MS,
                    "end_ms": NOW_MS,
                    "size": 1,
                }
            ],
        )
    orphan = root / "1" / "2026-02-01" / "1-1.jpg"  # a crop without an entry, 37 days old
    orphan.parent.mkdir(parents=True)
    orphan.write_bytes(b"x")
    outside = tmp_path / "keep.jpg"
    outside.write_bytes(b"x")
    (root / "1" / "2026-01-02").symlink_to(tmp_path, target_is_directory=True)

    clock = FakeClock(NOW)
    retention = ObjectRetention(store, root, keep_days=7, clock=clock, batch=1)
    assert await retention.once() == 4
    _, left = await store.search(ObjectQuery(ascending=True))
    assert sorted((r.chid, r.obj_id) for r in left) == [(1, 1), (1, 2), (2, 2)]
    total, _ = await store.search(ObjectQuery(tags=["human.bag=true"]))
    assert total == 3
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*.jpg"))
    assert len(files) == 3 and all(f.startswith(("1/", "2/")) for f in files)
    assert not orphan.parent.exists()
    assert outside.exists() and (root / "1" / "2026-01-02").is_symlink()

    # 3 days later, the supervised task: channel 1's entry of 5 days (now 8) goes; channel
    # 2's of 1 day (now 4) stays, its oldest recording is older still
    sup = Supervisor(clock)
    clock.advance(3 * 86400)
    task = sup.spawn("object-retention", retention.run)
    for _ in range(50):
        _, left = await store.search(ObjectQuery())
        if len(left) == 2:
            break
        await clock.sleep(0)
    await sup.cancel("object-retention")
    assert not task.running
    assert sorted((r.chid, r.obj_id) for r in left) == [(1, 2), (2, 2)]


async def test_hostile_image_references_are_not_deleted(db: Database, tmp_path: Path) -> None:
    root = tmp_path / "objects"
    root.mkdir()
    victim = tmp_path / "victim.jpg"
    victim.write_bytes(b"x")
    store = ObjectLogStore(db.engine)
    old = NOW_MS - 100 * DAY_MS
    refs = ["objects/../victim.jpg", str(victim), "objects/1/../../victim.jpg", "/etc/passwd"]
    await store.add_many(
        [
            ObjectRecord(at_ms=old, chid=1, obj_id=i, type="face", image=r)
            for i, r in enumerate(refs)
        ]
    )
    link = root / "1" / "2025-01-01" / "5-5.jpg"
    link.parent.mkdir(parents=True)
    os.symlink(victim, link)
    retention = ObjectRetention(store, root, keep_days=1, clock=FakeClock(NOW))
    assert await retention.once() == 4
    assert victim.exists()
