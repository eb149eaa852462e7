"""A face's gender and age group from the packaged age and gender networks, on real faces
(package-shipped photos, cropped where the face detector and the tracker put the crop)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nvrd.recognition.objects.faceattrs import (
    FaceAttributeModel,
    FaceAttributeSettings,
    age_group,
)
from tests.support.pictures import BAD, face_crop, picture


@pytest.fixture(scope="module")
def model() -> Iterator[FaceAttributeModel]:
    yield FaceAttributeModel()


def test_the_astronaut_is_a_woman_and_an_adult(model: FaceAttributeModel) -> None:
    assert model.attributes(face_crop(picture("astronaut.png"))) == {
        "gender": "female",
        "age": "adult",
    }


def test_the_cameraman_is_a_man_in_a_grey_picture(model: FaceAttributeModel) -> None:
    got = model.attributes(face_crop(picture("camera.png")))
    assert got.get("gender") == "male" and got.get("age") in ("young", "adult")


def test_a_face_too_small_gets_nothing(model: FaceAttributeModel) -> None:
    crop = face_crop(picture("astronaut.png"))
    small = crop[::4, ::4].copy()  # about 27 px wide
    assert small.shape[1] < 40 and model.attributes(small) == {}
    assert FaceAttributeModel.attributes(model, crop[:5, :5]) == {}


def test_a_stricter_gender_confidence_drops_an_unsure_gender() -> None:
    strict = FaceAttributeModel(FaceAttributeSettings(min_gender_confidence=99))
    got = strict.attributes(face_crop(picture("astronaut.png")))  # 87 % sure
    assert got == {"age": "adult"}


@pytest.mark.parametrize("bad", BAD, ids=range(len(BAD)))
def test_what_is_no_picture_gets_nothing_and_does_not_fail(
    model: FaceAttributeModel, bad: object
) -> None:
    assert model.attributes(bad) == {}


@pytest.mark.parametrize(
    ("years", "group"),
    [
        (0, "young"),
        (19.9, "young"),
        (20, "adult"),
        (39.9, "adult"),
        (40, "middle"),
        (59.9, "middle"),
        (60, "senior"),
        (120, "senior"),
    ],
)
def test_age_groups(years: float, group: str) -> None:
    assert age_group(years) == group


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError):
        FaceAttributeSettings(min_gender_confidence=40)
    with pytest.raises(ValueError):
        FaceAttributeSettings(min_face_px=2)
