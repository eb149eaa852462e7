"""Grouping plate reads of successive frames into passages."""

from __future__ import annotations

from nvrd.recognition.lpr.tracker import PassageTracker, Read, TrackerSettings


def read(text: str, t: int, y: int = 100, score: float = 0.9, picture: object = "img") -> Read:
    return Read(text, score, (100, y, 200, y + 30), t, picture)


def test_one_passage_per_car_with_the_voted_text() -> None:
    tr = PassageTracker(TrackerSettings(gap_ms=1000, min_reads=2, max_images=2))
    assert tr.update(0, [read("AB12CDE", 0, 100, 0.8)]) == []
    assert tr.update(500, [read("A812CDE", 500, 140, 0.95)]) == []  # a misread, same car
    assert tr.update(1000, [read("AB12CDE", 1000, 180, 0.9)]) == []
    assert tr.update(1400, []) == []
    (p,) = tr.update(2100, [])
    assert (p.kind, p.text, p.time_begin_ms, p.time_end_ms, p.reads) == (
        "done",
        "AB12CDE",
        0,
        1000,
        3,
    )
    assert p.score == 0.9 and p.box == (100, 180, 200, 210)
    assert len(p.best) == 2 and p.best[0].text == "AB12CDE"  # pictures of the voted text first
    assert tr.open_tracks == 0


def test_a_single_read_is_not_a_passage_and_two_cars_are_two() -> None:
    tr = PassageTracker(TrackerSettings(gap_ms=1000, min_reads=2))
    tr.update(0, [read("XY99ZZZ", 0, score=0.8)])
    assert tr.update(5000, []) == []  # one read only, not sure enough
    tr.update(5000, [read("XY99ZZZ", 5000, score=0.95)])
    assert [p.text for p in tr.update(5100, []) + tr.update(7000, [])] == ["XY99ZZZ"]
    tr.update(6000, [read("AB12CDE", 6000, 100), read("QQ55RRR", 6000, 400)])
    tr.update(6500, [read("AB12CDE", 6500, 120), read("QQ55RRR", 6500, 420)])
    done = tr.update(9000, [])
    assert sorted(p.text for p in done) == ["AB12CDE", "QQ55RRR"]


def test_direction_from_the_zone_or_the_movement() -> None:
    fixed = PassageTracker(TrackerSettings(direction="exit"))
    fixed.update(0, [read("AB12CDE", 0)])
    fixed.update(200, [read("AB12CDE", 200)])
    assert fixed.expire(10_000)[0].direction == "exit"
    moving = PassageTracker(TrackerSettings(entry_movement="down"))
    for t, y in ((0, 100), (300, 160), (600, 220)):
        moving.update(t, [read("AB12CDE", t, y)])
    assert moving.expire(10_000)[0].direction == "entry"
    for t, y in ((20_000, 220), (20_300, 160), (20_600, 100)):
        moving.update(t, [read("AB12CDE", t, y)])
    assert moving.expire(30_000)[0].direction == "exit"
    still = PassageTracker(TrackerSettings(entry_movement="down"))
    still.update(0, [read("AB12CDE", 0, 100)])
    still.update(300, [read("AB12CDE", 300, 105)])
    assert still.expire(10_000)[0].direction is None


def test_parking_is_one_entry_per_parked_car() -> None:
    tr = PassageTracker(TrackerSettings(mode="parking", gap_ms=60_000, min_reads=2))
    assert tr.update(0, [read("AB12CDE", 0)]) == []
    (parked,) = tr.update(5000, [read("AB12CDE", 5000)])
    assert (parked.kind, parked.time_begin_ms) == ("parked", 0)
    for t in range(10_000, 600_000, 5000):  # ten minutes parked: nothing new
        assert tr.update(t, [read("AB12CDE", t)]) == []
    assert tr.update(600_000, []) == []
    (left,) = tr.update(700_000, [])
    assert (left.kind, left.key, left.time_begin_ms, left.time_end_ms) == (
        "left",
        parked.key,
        0,
        595_000,
    )


def test_pictures_are_bounded() -> None:
    tr = PassageTracker(TrackerSettings(max_images=3))
    for t in range(0, 10_000, 100):
        tr.update(t, [read("AB12CDE", t, score=0.5 + t / 100_000)])
    (p,) = tr.expire(100_000)
    assert len(p.best) == 3 and p.reads == 100
    assert [r.time_ms for r in p.best] == [9900, 9800, 9700]


def test_a_plate_read_for_ever_is_bounded() -> None:
    tr = PassageTracker(TrackerSettings(max_track_ms=60_000, max_images=2))
    out = []
    for t in range(0, 150_000, 100):  # a sign in the zone, read at 10 frames a second
        out += tr.update(t, [read("AB12CDE", t, picture=None if t % 1000 else "img")])
        assert all(len(track.reads) <= 256 for track in tr._tracks)
    assert [p.kind for p in out] == ["done", "done"]
    assert out[0].reads == 601 and out[0].time_end_ms - out[0].time_begin_ms == 60_000
    assert 1 <= len(out[0].best) <= 2
