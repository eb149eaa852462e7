"""Object tracks across frames from synthetic detections: one id per object, faces linked
to their person, bags counted for their person, the best crop kept."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from nvrd.recognition.geometry import Box
from nvrd.recognition.objects.tracker import (
    MAX_TRACKS,
    ObjectTracker,
    TrackedObject,
    TrackerSettings,
)
from nvrd.recognition.objects.types import Detection, Kind, VehicleType


def det(kind: Kind, box: Box, score: float = 0.9, vt: VehicleType | None = None) -> Detection:
    return Detection(kind, box, score, vt)


def person(x: int, y: int = 100, w: int = 60, h: int = 160, score: float = 0.9) -> Detection:
    return det("human", (x, y, x + w, y + h), score)


def run(
    tracker: ObjectTracker, frames: list[list[Detection]], t0: int = 0, step: int = 500
) -> tuple[list[TrackedObject], list[TrackedObject]]:
    started: list[TrackedObject] = []
    ended: list[TrackedObject] = []
    for i, detections in enumerate(frames):
        up = tracker.update(t0 + i * step, detections)
        started += up.started
        ended += up.ended
    return started, ended


def test_a_moving_box_keeps_one_id() -> None:
    tracker = ObjectTracker()
    started, ended = run(tracker, [[person(100 + 15 * i)] for i in range(20)] + [[]] * 6)
    assert [s.obj_id for s in started] == [1]
    assert started[0].time_begin_ms == 0 and started[0].time_end_ms == 500
    assert len(ended) == 1
    track = ended[0]
    assert (track.obj_id, track.kind, track.hits) == (1, "human", 20)
    assert (track.time_begin_ms, track.time_end_ms) == (0, 19 * 500)
    assert track.box == person(100 + 15 * 19).box


def test_the_track_ends_after_max_missed_frames() -> None:
    tracker = ObjectTracker(TrackerSettings(max_missed=3))
    run(tracker, [[person(100)], [person(105)]])
    for i in range(3):
        assert tracker.update(2000 + i, []).ended == []
        assert len(tracker.tracks) == 1
    assert [t.obj_id for t in tracker.update(3000, []).ended] == [1]
    assert tracker.tracks == []


def test_a_gap_shorter_than_max_missed_keeps_the_id() -> None:
    tracker = ObjectTracker(TrackerSettings(max_missed=2))
    frames = [[person(100)], [person(110)], [], [], [person(130)], [person(140)]]
    started, ended = run(tracker, frames)
    assert [s.obj_id for s in started] == [1]
    assert ended == []
    assert [t.hits for t in tracker.tracks] == [4]


def test_a_fast_object_without_overlap_is_followed_by_its_centre() -> None:
    # 40 px a frame for a 60x160 box: IoU 0.2, below min_iou; the centres 40 px apart
    tracker = ObjectTracker()
    started, _ = run(tracker, [[person(100 + 40 * i)] for i in range(6)])
    assert [s.obj_id for s in started] == [1]
    assert tracker.tracks[0].hits == 6


def test_a_jump_too_far_is_another_object() -> None:
    tracker = ObjectTracker()
    run(tracker, [[person(100)], [person(105)], [person(600)], [person(605)]])
    assert sorted(t.obj_id for t in tracker.tracks) == [1, 2]


def test_a_box_of_another_size_is_another_object() -> None:
    tracker = ObjectTracker(TrackerSettings(min_iou=0.9))
    run(
        tracker,
        [[person(100)], [person(100)], [person(80, 60, 160, 400)], [person(80, 60, 160, 400)]],
    )
    assert sorted(t.obj_id for t in tracker.tracks) == [1, 2]


def test_two_people_walking_side_by_side_keep_their_ids() -> None:
    tracker = ObjectTracker()
    frames = [[person(100 + 20 * i), person(300 + 20 * i, score=0.7)] for i in range(10)]
    frames[4].reverse()  # the detector's order does not matter
    run(tracker, frames)
    tracks = sorted(tracker.tracks, key=lambda t: t.obj_id)
    assert [t.hits for t in tracks] == [10, 10]
    assert tracks[0].box[0] == 280 and tracks[1].box[0] == 480


def test_one_frame_is_not_an_object() -> None:
    tracker = ObjectTracker()
    started, ended = run(tracker, [[person(100)], [], [], [], [], [], [], []])
    assert started == [] and ended == [] and tracker.tracks == []
    assert tracker.flush() == []


def test_kinds_do_not_mix() -> None:
    tracker = ObjectTracker()
    box = (100, 100, 300, 250)
    run(tracker, [[det("human", box), det("vehicle", box, vt="car")]] * 3)
    assert sorted((t.kind, t.obj_id) for t in tracker.tracks) == [("human", 1), ("vehicle", 2)]


def test_the_vehicle_type_is_the_best_voted() -> None:
    tracker = ObjectTracker()
    box = (100, 100, 300, 250)
    votes = [("car", 0.6), ("truck", 0.9), ("car", 0.5), ("car", 0.4), ("truck", 0.3)]
    run(tracker, [[det("vehicle", box, s, vt)] for vt, s in votes])  # type: ignore[arg-type]
    assert tracker.tracks[0].vehicle_type == "car"  # 1.5 against 1.2


def test_a_face_is_linked_to_the_person_holding_it() -> None:
    tracker = ObjectTracker()
    frames = [
        [person(100 + 10 * i), det("face", (115 + 10 * i, 105, 145 + 10 * i, 140))]
        for i in range(4)
    ]
    started, _ = run(tracker, frames)
    by_kind = {t.kind: t for t in started}
    assert by_kind["face"].parent_id == by_kind["human"].obj_id == 1


def test_a_face_of_no_person_has_no_parent() -> None:
    tracker = ObjectTracker()
    frames = [[person(100), det("face", (400, 100, 440, 140))]] * 3
    started, _ = run(tracker, frames)
    assert [t.parent_id for t in started if t.kind == "face"] == [None]


def test_a_face_half_outside_the_person_has_no_parent() -> None:
    tracker = ObjectTracker()
    frames = [[person(100), det("face", (140, 100, 180, 140))]] * 3  # 20 of 40 px inside
    run(tracker, frames)
    assert [t.parent_id for t in tracker.tracks if t.kind == "face"] == [None]


def test_of_nested_people_the_face_goes_to_the_tightest() -> None:
    tracker = ObjectTracker()
    near = det("human", (50, 50, 450, 700))  # a person close to the camera
    far = person(200, 120, 60, 160)  # one standing behind, inside the first box
    face = det("face", (215, 125, 245, 160))
    run(tracker, [[near, far, face]] * 3)
    tracks = {t.obj_id: t for t in tracker.tracks}
    faces = [t for t in tracks.values() if t.kind == "face"]
    assert tracks[faces[0].parent_id or 0].box == far.box


def test_the_parent_is_kept_when_the_person_is_missed() -> None:
    tracker = ObjectTracker()
    face = det("face", (115, 105, 145, 140))
    run(tracker, [[person(100), face], [person(100), face], [face], [face]])
    assert [t.parent_id for t in tracker.tracks if t.kind == "face"] == [1]


def test_a_face_seen_before_its_person_gets_the_parent_later() -> None:
    tracker = ObjectTracker()
    face = det("face", (115, 105, 145, 140))
    run(tracker, [[face], [face], [person(100), face], [person(100), face]])
    by_kind = {t.kind: t for t in tracker.tracks}
    assert by_kind["face"].parent_id == by_kind["human"].obj_id == 2


def test_a_bag_counts_for_the_person_carrying_it() -> None:
    tracker = ObjectTracker()
    bag = det("bag", (150, 180, 180, 230), 0.5)  # sticks out of the person's box a little
    other = det("bag", (500, 400, 540, 450), 0.5)  # on the ground, far away
    frames = [[person(100), bag, other], [person(100), bag], [person(100)], [person(100), bag]]
    run(tracker, frames)
    (carrier,) = tracker.tracks
    assert carrier.bag_hits == 3
    assert all(t.kind != "bag" for t in tracker.tracks)


def _frame(level: int) -> np.ndarray:
    return np.full((720, 1280, 3), level, np.uint8)


def test_the_best_crop_is_the_surest_largest_one() -> None:
    tracker = ObjectTracker(TrackerSettings(crop_margin=0.0))
    shots = [(0.9, person(100, w=40, h=100), 10), (0.6, person(100, w=80, h=200), 20)]
    shots += [(0.95, person(100, w=50, h=120), 30), (0.3, person(100, w=90, h=220), 40)]
    for i, (score, d, level) in enumerate(shots):
        tracker.update(i, [Detection("human", d.box, score)], _frame(level))
    (track,) = tracker.tracks
    assert track.score == 0.6 and track.best_box == (100, 100, 180, 300)  # 0.6 x 80 x 200
    assert track.crop is not None and track.crop.shape == (200, 80, 3)
    assert int(track.crop[0, 0, 0]) == 20


def test_the_crop_has_its_margin_within_the_frame() -> None:
    tracker = ObjectTracker(TrackerSettings(crop_margin=0.25))
    edge = det("human", (0, 600, 100, 720))
    for i in range(2):
        tracker.update(i, [edge], _frame(5))
    crop = tracker.tracks[0].crop
    assert crop is not None and crop.shape == (150, 125, 3)  # 570..720 x 0..125
    assert tracker.tracks[0].crop_box == (0, 30, 100, 150)  # the box, in the crop


def test_without_frames_there_is_no_crop() -> None:
    tracker = ObjectTracker()
    run(tracker, [[person(100)]] * 2)
    assert tracker.tracks[0].crop is None


def test_ids_come_from_the_given_source() -> None:
    ids = itertools.count(1000, 7)
    tracker = ObjectTracker(ids=lambda: next(ids))
    run(tracker, [[person(100), person(500)]] * 2)
    assert sorted(t.obj_id for t in tracker.tracks) == [1000, 1007]


def test_flush_ends_every_counted_track() -> None:
    tracker = ObjectTracker()
    run(tracker, [[person(100), person(500)]] * 2 + [[person(900)]])
    assert sorted(t.obj_id for t in tracker.flush()) == [1, 2]
    assert tracker.tracks == []


def test_open_tracks_are_bounded() -> None:
    tracker = ObjectTracker()
    crowd = [person(x * 3, y * 3, 2, 2) for x in range(30) for y in range(30)]
    tracker.update(0, crowd)
    assert len(tracker._tracks) == MAX_TRACKS


@pytest.mark.parametrize("kwargs", [{"max_missed": -1}, {"min_hits": 0}])
def test_bad_settings(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        TrackerSettings(**kwargs)


def test_a_missed_frame_of_a_moving_object_is_bridged_by_its_movement() -> None:
    # a 60x60 box moving 25 px a frame (within reach: half its side, 30 px); missed in
    # frame 3, it is 50 px on in frame 4: out of reach of its last box, at its guess
    tracker = ObjectTracker()
    frames: list[list[Detection]] = [[person(100 + 25 * i, w=60, h=60)] for i in range(3)]
    frames += [[], [person(100 + 25 * 4, w=60, h=60)], [person(100 + 25 * 5, w=60, h=60)]]
    run(tracker, frames)
    assert [(t.obj_id, t.hits) for t in tracker.tracks] == [(1, 5)]


def test_a_face_follows_its_person_beyond_its_own_reach() -> None:
    # the person (120x300) moves 100 px a frame: within its reach (150 px); its 40x40
    # face moves as much, five times its own reach, and is guessed from the person
    tracker = ObjectTracker()
    frames = [
        [
            person(100 + 100 * i, 100, 120, 300),
            det("face", (140 + 100 * i, 110, 180 + 100 * i, 150)),
        ]
        for i in range(5)
    ]
    run(tracker, frames)
    tracks = sorted(tracker.tracks, key=lambda t: t.obj_id)
    assert [(t.kind, t.hits, t.parent_id) for t in tracks] == [("human", 5, None), ("face", 5, 1)]


def test_frames_that_are_no_picture_or_miss_the_box_give_no_crop() -> None:
    tracker = ObjectTracker()
    tracker.update(0, [person(100)], np.zeros((0, 0, 3), np.uint8))
    tracker.update(1, [person(100)], "not a frame")
    assert tracker.tracks[0].crop is None
    tracker.update(2, [person(100, score=1.0)], np.zeros((50, 80, 3), np.uint8))  # too small
    assert tracker.tracks[0].crop is None and tracker.tracks[0].hits == 3
    tracker.update(3, [person(100, score=1.0)], np.zeros((200, 130, 3), np.uint8))  # a part
    crop = tracker.tracks[0].crop
    assert crop is not None and crop.shape == (116, 36, 3)  # rows 84..200, columns 94..130
