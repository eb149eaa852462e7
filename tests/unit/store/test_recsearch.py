"""Searches over the recording index, on SQLite and on PostgreSQL (each test runs on both)."""

from sqlalchemy import update

from nvrd.core import recbuckets as rb
from nvrd.store.db import Database
from nvrd.store.recordings import NewSegment, RecordingIndex, Segment
from nvrd.store.recsearch import RecordingSearch
from nvrd.store.schema import recordings

MIN = 60_000
Q = rb.BUCKET_MS  # 15 minutes
# 2018-01-08T00:00:00Z, a multiple of 15 minutes.
T0 = 1515369600000


async def add(db: Database, chid: int, start: int, end: int, name: str = "") -> int:
    index = RecordingIndex(db.engine)
    rel = name or f"ch{chid}/{start}-{end}.mp4"
    return await index.add(NewSegment(chid, "/rec", rel, start, end, 1000, "h264", 1920, 1080))


def ids(segments: list[Segment]) -> list[int]:
    return [s.file_id for s in segments]


async def test_integer_division_matches_python(db: Database) -> None:
    # Bucket edges: exactly on a bucket, one ms before, a long way from the epoch.
    cases = [
        (T0, T0 + 1),
        (T0 - 1, T0),  # ends exactly on a bucket edge: one bucket only
        (T0 + Q - 1, T0 + Q + 1),
        (T0 + 5 * MIN, T0 + 20 * MIN),
        (4102444800000 + 7, 4102444800000 + Q),  # year 2100
    ]
    for i, (s, e) in enumerate(cases):
        await add(db, 10 + i, s, e)
    got = await RecordingSearch(db.engine).day_buckets(None, None, None)
    expected = {10 + i: sorted({s // Q * Q, (e - 1) // Q * Q}) for i, (s, e) in enumerate(cases)}
    assert got == expected


async def test_day_buckets_group_and_filter(db: Database) -> None:
    for k in range(8):  # eight 5-minute files in a row: 40 minutes, buckets 0, 1, 2
        await add(db, 1, T0 + k * 5 * MIN, T0 + (k + 1) * 5 * MIN)
    await add(db, 2, T0 + 10 * Q, T0 + 10 * Q + MIN)
    await add(db, 2, T0 + 10 * Q, T0 + 10 * Q)  # empty file: no bucket
    deleting = await add(db, 3, T0, T0 + MIN)
    async with db.engine.begin() as conn:
        await conn.execute(
            update(recordings).where(recordings.c.file_id == deleting).values(state=1)
        )
    search = RecordingSearch(db.engine)
    assert await search.day_buckets(None, None, None) == {
        1: [T0, T0 + Q, T0 + 2 * Q],
        2: [T0 + 10 * Q],
    }
    assert await search.day_buckets([2], None, None) == {2: [T0 + 10 * Q]}
    assert await search.day_buckets([1], T0 + 31 * MIN, None) == {1: [T0 + 2 * Q]}
    assert await search.day_buckets(None, None, T0 + 5 * MIN) == {1: [T0]}
    assert await search.day_buckets([4], None, None) == {}


async def test_intervals_overlap_window(db: Database) -> None:
    await add(db, 1, T0, T0 + 10 * MIN)
    await add(db, 1, T0 + 10 * MIN, T0 + 20 * MIN)
    await add(db, 2, T0 + 5 * MIN, T0 + 6 * MIN)
    search = RecordingSearch(db.engine)
    assert await search.intervals(None, None, None) == {
        1: [(T0, T0 + 10 * MIN), (T0 + 10 * MIN, T0 + 20 * MIN)],
        2: [(T0 + 5 * MIN, T0 + 6 * MIN)],
    }
    # End exclusive on both sides.
    assert await search.intervals([1], T0 + 10 * MIN, T0 + 11 * MIN) == {
        1: [(T0 + 10 * MIN, T0 + 20 * MIN)]
    }
    assert await search.intervals(None, T0 + 20 * MIN, None) == {}
    assert await search.intervals([1, 2], T0 + 5 * MIN + 30_000, T0 + 5 * MIN + 40_000) == {
        1: [(T0, T0 + 10 * MIN)],
        2: [(T0 + 5 * MIN, T0 + 6 * MIN)],
    }


async def test_overlapping_ordered_and_limited(db: Database) -> None:
    a = await add(db, 1, T0 + 2 * MIN, T0 + 3 * MIN)
    b = await add(db, 1, T0, T0 + MIN)
    c = await add(db, 1, T0 + MIN, T0 + 2 * MIN)
    await add(db, 2, T0, T0 + MIN)
    search = RecordingSearch(db.engine)
    assert ids(await search.overlapping(1, T0, T0 + 10 * MIN, 10)) == [b, c, a]
    assert ids(await search.overlapping(1, T0, T0 + 10 * MIN, 2)) == [b, c]
    assert ids(await search.overlapping(1, T0 + MIN, T0 + MIN + 1000, 10)) == [c]
    assert ids(await search.overlapping(1, T0 + 3 * MIN, T0 + 4 * MIN, 10)) == []
    got = (await search.overlapping(1, T0, T0 + 1, 1))[0]
    assert got == Segment(1, "/rec", f"ch1/{T0}-{T0 + MIN}.mp4", T0, T0 + MIN, 1000, "h264",
                          1920, 1080, file_id=b, state=0)  # fmt: skip


async def test_navigation_by_file_id(db: Database) -> None:
    f = [await add(db, 1, T0 + k * MIN, T0 + (k + 1) * MIN) for k in range(5)]
    twin = await add(db, 1, T0 + 2 * MIN, T0 + 3 * MIN, "ch1/twin.mp4")  # same start as f[2]
    other = await add(db, 2, T0 + 2 * MIN, T0 + 3 * MIN)
    search = RecordingSearch(db.engine)
    assert ids(await search.from_id(f[1], 10)) == [f[1], f[2], twin, f[3], f[4]]
    assert ids(await search.from_id(f[1], 2)) == [f[1], f[2]]
    assert ids(await search.from_id(twin, 10)) == [twin, f[3], f[4]]
    assert await search.from_id(9999, 10) == []
    assert ids(await search.after(1, f[2], 10)) == [twin, f[3], f[4]]
    assert ids(await search.after(1, f[4], 10)) == []
    assert ids(await search.after(1, f[0], 2)) == [f[1], f[2]]
    # Previous files: nearest first.
    assert ids(await search.before(1, f[3], 10)) == [twin, f[2], f[1], f[0]]
    assert ids(await search.before(1, twin, 2)) == [f[2], f[1]]
    assert ids(await search.before(1, f[0], 10)) == []
    # Unknown file or a file of another channel: nothing.
    assert await search.after(1, other, 10) == []
    assert await search.before(2, f[3], 10) == []
    assert await search.after(1, 9999, 10) == []
    assert (await search.file(other)) is not None
    assert await search.file(9999) is None


async def test_nearest(db: Database) -> None:
    f = [await add(db, 1, T0 + k * 10 * MIN, T0 + k * 10 * MIN + MIN) for k in range(4)]
    search = RecordingSearch(db.engine)
    assert ids(await search.nearest_before(1, T0 + 25 * MIN, 10)) == [f[2], f[1], f[0]]
    assert ids(await search.nearest_before(1, T0 + 25 * MIN, 1)) == [f[2]]
    assert ids(await search.nearest_before(1, T0, 10)) == []
    assert ids(await search.nearest_after(1, T0 + 15 * MIN, 10)) == [f[2], f[3]]
    assert ids(await search.nearest_after(1, T0 + 20 * MIN, 1)) == [f[2]]
    assert ids(await search.nearest_after(1, T0 + 31 * MIN, 10)) == []
    assert await search.nearest_after(2, T0, 10) == []


async def test_rows_being_deleted_are_invisible(db: Database) -> None:
    keep = await add(db, 1, T0, T0 + MIN)
    gone = await add(db, 1, T0 + MIN, T0 + 2 * MIN)
    await RecordingIndex(db.engine).mark_deleting([gone])
    search = RecordingSearch(db.engine)
    assert await search.file(gone) is None
    assert ids(await search.overlapping(1, T0, T0 + 5 * MIN, 10)) == [keep]
    assert ids(await search.after(1, keep, 10)) == []
    assert await search.intervals(None, None, None) == {1: [(T0, T0 + MIN)]}


async def test_day_buckets_take_the_part_inside_the_window(db: Database) -> None:
    # A segment longer than 15 minutes (the recorder cuts at the next keyframe).
    await add(db, 1, T0 - 5 * MIN, T0 + 40 * MIN)
    search = RecordingSearch(db.engine)
    assert await search.day_buckets([1], None, None) == {1: [T0 - Q, T0 + 2 * Q]}
    # A window inside the segment's middle bucket still finds it.
    assert await search.day_buckets([1], T0 + 20 * MIN, T0 + 21 * MIN) == {1: [T0 + Q]}
    assert await search.day_buckets([1], T0, None) == {1: [T0, T0 + 2 * Q]}
    assert await search.day_buckets([1], None, T0 + 15 * MIN) == {1: [T0 - Q, T0]}
    assert await search.intervals([1], T0 + 39 * MIN, T0 + 41 * MIN) == {
        1: [(T0 - 5 * MIN, T0 + 40 * MIN)]
    }


async def test_the_sub_stream_is_searched_apart(db: Database) -> None:
    """A recorded sub stream's rows are found only when asked for (``stream="sub"``);
    every other search (recDays, recMinutes, export, ``/api/vod``) sees the main stream,
    and next/previous stay within the file's stream."""
    index = RecordingIndex(db.engine)
    main = [await add(db, 1, T0 + k * MIN, T0 + (k + 1) * MIN) for k in range(3)]
    sub = [
        await index.add(
            NewSegment(
                1,
                "/rec",
                f"ch1sub/{k}.mp4",
                T0 + k * MIN,
                T0 + (k + 1) * MIN,
                10,
                "h264",
                320,
                180,
                stream="sub",
            )
        )
        for k in range(3)
    ]
    search = RecordingSearch(db.engine)
    assert ids(await search.overlapping(1, T0, T0 + 3 * MIN, 10)) == main
    assert ids(await search.overlapping(1, T0, T0 + 3 * MIN, 10, "sub")) == sub
    assert ids(await search.nearest_before(1, T0 + 3 * MIN, 1, "sub")) == sub[2:]
    assert ids(await search.nearest_after(1, T0 + MIN, 1, "sub")) == sub[1:2]
    assert ids(await search.nearest_after(1, T0 + MIN, 1)) == main[1:2]
    assert ids(await search.after(1, sub[0], 5)) == sub[1:]
    assert ids(await search.before(1, main[2], 5)) == main[1::-1]
    assert ids(await search.from_id(sub[1], 5)) == sub[1:]
    assert (await search.intervals([1], None, None))[1] == [
        (T0 + k * MIN, T0 + (k + 1) * MIN) for k in range(3)
    ]
    assert await search.day_buckets([1], None, None) == {1: [T0]}
    found = await search.file(sub[0])
    assert found is not None and found.stream == "sub" and found.width == 320
