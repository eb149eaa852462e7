"""Search tags of object attributes, the crop path form, and the detected catalogue."""

from __future__ import annotations

from nvrd.core.objects import (
    COLORS,
    DETECTED_ATTRIBUTES,
    OBJECT_ATTRIBUTES,
    crop_path,
    object_tags,
)


def test_tags_of_the_guides_examples() -> None:
    face = {"gender": "female", "age": "middle", "glasses": True, "mask": False}
    assert object_tags("face", face) == [
        "face.age=middle",
        "face.gender=female",
        "face.glasses=true",
        "face.mask=false",
    ]
    human = {
        "gender": "male",
        "clothes": [
            {"type": "tops", "length": "long", "colors": ["red"]},
            {"type": "bottoms", "length": "long", "colors": ["red"]},
        ],
    }
    assert object_tags("human", human) == [
        "human.bottom.color=red",
        "human.bottom.length=long",
        "human.gender=male",
        "human.top.color=red",
        "human.top.length=long",
    ]
    vehicle = {"vehicleType": "car", "colors": ["gray"]}
    assert object_tags("vehicle", vehicle) == ["vehicle.color=gray", "vehicle.vehicleType=car"]


def test_values_outside_the_catalogue_give_no_tags() -> None:
    assert object_tags("face", {"gender": "robot", "mask": 1, "age": True, "hat": "yes"}) == []
    assert object_tags("human", {"clothes": [{"type": "hats"}, "x", {"type": "tops"}]}) == []
    assert object_tags("human", {"clothes": {"type": "tops"}, "bag": None}) == []
    assert object_tags("vehicle", {"colors": ["teal", 3], "vehicleType": "plane"}) == []
    assert object_tags("cat", {"gender": "male"}) == []
    assert object_tags("vehicle", {"gender": "male"}) == []


def test_crop_paths() -> None:
    assert (
        crop_path("objects/1/2026-01-02/1767312000000-7.jpg") == "1/2026-01-02/1767312000000-7.jpg"
    )
    for bad in (
        None,
        "https://cam/a.jpg",
        "/storage/objects/1/2026-01-02/1-7.jpg",
        "objects/../secret.jpg",
        "objects/1/2026-01-02/../../x-1.jpg",
        "objects/0/2026-01-02/1-7.jpg",
        "objects/1/2026-01-02/1-7.png",
        "objects//etc/passwd",
    ):
        assert crop_path(bad) is None, bad


def test_detected_attributes_are_what_the_models_give() -> None:
    assert set(DETECTED_ATTRIBUTES["face"]) == {"age", "gender", "mask"}
    assert set(DETECTED_ATTRIBUTES["human"]) == {"bag", "clothes", "gender"}
    clothes = DETECTED_ATTRIBUTES["human"]["clothes"]
    assert clothes == {"type": ["tops", "bottoms"], "colors": list(COLORS)}  # no length
    assert "length" in OBJECT_ATTRIBUTES["human"]["clothes"]  # pushed objects may have it
    assert DETECTED_ATTRIBUTES["vehicle"] == OBJECT_ATTRIBUTES["vehicle"]
