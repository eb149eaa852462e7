"""What the people/vehicle detectors' tests check of a test scene (``pictures.make_scene``:
the astronaut, the cameraman and a motorcycle), for every network alike."""

from __future__ import annotations

from nvrd.recognition.geometry import LOGICAL_H, LOGICAL_W, Box, inside, iou
from nvrd.recognition.objects.types import Detection
from tests.support.pictures import Scene


def found_in(
    detections: list[Detection], kind: str, where: Box, within: float = 0.0
) -> list[Detection]:
    """Those of ``kind`` overlapping ``where`` (IoU >= 0.3) and at least ``within`` of them
    inside it (a pasted picture holds the person and what stood around him)."""
    return [
        d
        for d in detections
        if d.kind == kind and iou(d.box, where) >= 0.3 and inside(d.box, where) >= within
    ]


def check_scene(
    detections: list[Detection], scene: Scene, min_score: float, within: float = 0.0
) -> None:
    """Both people and the motorcycle, once each, typed right, nothing else human or
    vehicle, every score in [min_score, 1]."""
    people = [d for d in detections if d.kind == "human"]
    assert len(people) == 2, detections
    assert len(found_in(detections, "human", scene.astronaut, within)) == 1, detections
    assert len(found_in(detections, "human", scene.cameraman, within)) == 1, detections
    vehicles = [d for d in detections if d.kind == "vehicle"]
    assert len(vehicles) == 1, detections
    bikes = found_in(detections, "vehicle", scene.motorcycle, within)
    assert len(bikes) == 1, detections
    assert bikes[0].vehicle_type == "motorcycle"
    assert all(min_score <= d.score <= 1.0 for d in detections)


def check_boxes(detections: list[Detection], width: int, height: int) -> None:
    """Every box inside the picture, in pixels and in the guide's logical coordinates."""
    for d in detections:
        x0, y0, x1, y1 = d.box
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        lx0, ly0, lx1, ly1 = d.logical_box(width, height)
        assert 0 <= lx0 < lx1 <= LOGICAL_W and 0 <= ly0 < ly1 <= LOGICAL_H
        assert lx0 == round(x0 * LOGICAL_W / width) and ly1 == round(y1 * LOGICAL_H / height)
