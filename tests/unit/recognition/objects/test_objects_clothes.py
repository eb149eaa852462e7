"""A person's clothes colours: the body regions from keypoints (pure geometry), the colours
of solid and shaded regions, and MoveNet on the package's people, as they are and with
their clothes painted a known colour (tests/support/clothes.py)."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest

from nvrd.core.objects import COLORS
from nvrd.recognition.objects.clothes import (
    INPUT_SIDE,
    LEFT_HIP,
    LEFT_KNEE,
    LEFT_SHOULDER,
    RIGHT_HIP,
    RIGHT_KNEE,
    RIGHT_SHOULDER,
    ClothesModel,
    ClothesSettings,
    keypoints_in_crop,
    region_colours,
    region_mask,
    square_input,
    strip,
    thigh_polygons,
    torso_polygon,
)
from nvrd.recognition.objects.models import MOVENET
from tests.support.clothes import (
    CLOTHS,
    TWO_PIECES,
    WORN,
    astronaut_in,
    cameraman_in,
    cameraman_in_two,
    person,
)
from tests.support.models import prepared
from tests.support.pictures import BAD


def standing(score: float = 0.9) -> np.ndarray:
    """Keypoints (x, y, score) of a person standing upright facing the camera in a
    100 x 200 crop: shoulders at y 40, hips at y 100, knees at y 150."""
    points = np.zeros((17, 3))
    points[:, 2] = 0.05
    for index, x, y in (
        (LEFT_SHOULDER, 70, 40),
        (RIGHT_SHOULDER, 30, 40),
        (LEFT_HIP, 62, 100),
        (RIGHT_HIP, 38, 100),
        (LEFT_KNEE, 62, 150),
        (RIGHT_KNEE, 38, 150),
    ):
        points[index] = (x, y, score)
    return points


# -- geometry ---------------------------------------------------------------------------


def test_the_input_is_the_crop_padded_to_a_square_in_its_middle() -> None:
    crop = np.zeros((200, 100, 3), np.uint8)
    crop[:] = (255, 0, 0)  # blue, BGR
    tensor, side = square_input(crop)
    assert tensor.shape == (1, INPUT_SIDE, INPUT_SIDE, 3) and tensor.dtype == np.int32
    assert side == 200
    assert tensor[0, 96, 96].tolist() == [0, 0, 255]  # RGB
    assert tensor[0, 96, 10].tolist() == [0, 0, 0]  # padding at the sides
    assert tensor[0, 96, 181].tolist() == [0, 0, 0]


def test_keypoints_come_back_in_the_crops_pixels() -> None:
    raw = np.zeros((1, 1, 17, 3), np.float32)
    raw[0, 0, 0] = (0.5, 0.5, 0.8)  # the square's middle
    raw[0, 0, 1] = (0.0, 0.25, 0.4)  # y, x: top, the left padding's edge
    points = keypoints_in_crop(raw, 100, 200)
    assert points[0].tolist() == pytest.approx([50, 100, 0.8])
    assert points[1].tolist() == pytest.approx([0, 0, 0.4])
    wide = keypoints_in_crop(raw, 300, 100)  # padded above and below
    assert wide[0].tolist() == pytest.approx([150, 50, 0.8])
    assert wide[1, :2].tolist() == pytest.approx([75, -100])


def test_the_torso_is_between_shoulders_and_hips_narrowed() -> None:
    torso = torso_polygon(standing())
    assert torso is not None and torso.shape == (4, 2)
    xs, ys = torso[:, 0], torso[:, 1]
    assert ys.min() == pytest.approx(50) and ys.max() == pytest.approx(94)  # neck, belt
    assert xs.min() > 30 + 5 and xs.max() < 70 - 5  # the arms stay out
    assert (xs.min() + xs.max()) / 2 == pytest.approx(50)
    wider = torso_polygon(standing(), width=1.0)
    assert wider is not None and wider[:, 0].min() < xs.min()


def test_no_torso_without_sure_shoulders_or_hips() -> None:
    points = standing()
    points[LEFT_SHOULDER, 2] = 0.2
    assert torso_polygon(points) is None
    assert torso_polygon(points, min_score=0.1) is not None
    points = standing()
    points[LEFT_HIP, 2] = 0.1  # one hip hidden: where it is guessed is used
    assert torso_polygon(points) is not None
    points[RIGHT_HIP, 2] = 0.1
    assert torso_polygon(points) is None


def test_thighs_are_strips_from_hip_to_knee() -> None:
    thighs = thigh_polygons(standing())
    assert len(thighs) == 2
    left = thighs[0]
    assert left[:, 1].min() == pytest.approx(105) and left[:, 1].max() == pytest.approx(145)
    assert left[:, 0].min() == pytest.approx(62 - 5) and left[:, 0].max() == pytest.approx(67)
    points = standing()
    points[RIGHT_KNEE, 2] = 0.1
    assert len(thigh_polygons(points)) == 1
    points[LEFT_HIP, 2] = points[RIGHT_HIP, 2] = 0.1
    assert thigh_polygons(points) == []


def test_a_strip_follows_a_slanted_limb() -> None:
    found = strip(np.array([0.0, 0.0]), np.array([30.0, 40.0]), 0.2)
    assert found is not None
    centre = found.mean(axis=0)
    assert centre.tolist() == pytest.approx([15, 20])
    side = np.linalg.norm(found[0] - found[3])
    assert side == pytest.approx(10)  # a fifth of 50
    assert strip(np.array([5.0, 5.0]), np.array([5.2, 5.0]), 0.2) is None


def test_regions_are_masks_of_the_crop() -> None:
    square = np.array([[10.0, 10.0], [19.0, 10.0], [19.0, 19.0], [10.0, 19.0]])
    mask = region_mask([square, square + 100], 50, 40)  # the second is outside
    assert mask.shape == (40, 50) and mask.dtype == bool
    assert int(mask.sum()) == 100 and mask[15, 15] and not mask[5, 5]


# -- colours of regions -------------------------------------------------------------------


def noisy(colour: tuple[int, int, int], n: int = 2000, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    pixels = np.array(colour, float)[None, :] + rng.normal(0, 6, (n, 3))
    return np.clip(pixels, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", list(CLOTHS))
def test_solid_regions_are_named(name: str) -> None:
    for seed in range(3):
        assert region_colours(noisy(CLOTHS[name], seed=seed)) == [name]


def test_two_colours_the_larger_first() -> None:
    pixels = np.concatenate([noisy(CLOTHS["white"], 1200), noisy(CLOTHS["blue"], 800)])
    assert region_colours(pixels) == ["white", "blue"]
    logo = np.concatenate([noisy(CLOTHS["green"], 1500), noisy(CLOTHS["yellow"], 500)])
    assert region_colours(logo) == ["green"]  # a quarter is a print, not a colour
    rng = np.random.default_rng(1)
    mixture = rng.integers(0, 256, (800, 3)).astype(np.uint8)  # badges, straps, a patch
    assert region_colours(np.concatenate([noisy(CLOTHS["red"], 1200), mixture])) == ["red"]


def test_shade_of_the_same_cloth_and_bare_skin_are_not_second_colours() -> None:
    folds = np.concatenate([noisy((170, 60, 10), 1000), noisy((110, 35, 5), 1000)])
    assert region_colours(folds) == ["blue"]  # lit and shaded blue
    skin = (110, 150, 205)  # BGR: light skin
    neck = np.concatenate([noisy(CLOTHS["black"], 1100), noisy(skin, 900)])
    assert region_colours(neck) == ["black"]


def test_no_pixels_no_colour() -> None:
    assert region_colours(np.zeros((0, 3), np.uint8)) == []
    many = noisy(CLOTHS["red"], 50_000)  # only a sample is clustered
    assert region_colours(many) == ["red"]


# -- the model ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def model() -> ClothesModel:
    return ClothesModel(prepared(MOVENET))


def parts(found: list[dict[str, Any]]) -> dict[str, list[str]]:
    assert all(set(item) == {"type", "colors"} for item in found)  # never a length
    assert all(set(item["colors"]) <= set(COLORS) for item in found)
    assert all(1 <= len(item["colors"]) <= 2 for item in found)
    return {item["type"]: item["colors"] for item in found}


def test_the_cameramans_coat_is_black(model: ClothesModel) -> None:
    found = parts(model.attributes(person("camera.png")))
    assert found["tops"][0] in WORN["camera.png"]["tops"]
    assert "bottoms" not in found  # his knees, at the picture's edge, are unsure


def test_the_astronauts_suit(model: ClothesModel) -> None:
    found = parts(model.attributes(person("astronaut.png")))
    assert set(found) == {"tops"}  # her legs are out of the picture
    # a reddish orange (Lab hue 44-46 degrees): the shared colour rules draw the line
    # between red and orange at 50
    assert WORN["astronaut.png"]["tops"] == ("orange",)
    assert found["tops"] == ["red"]


@pytest.mark.parametrize("name", list(CLOTHS))
def test_painted_clothes_are_named(model: ClothesModel, name: str) -> None:
    for wearer in (astronaut_in, cameraman_in):
        found = parts(model.attributes(wearer(CLOTHS[name])))
        assert found["tops"] == [name], wearer.__name__


def test_tops_and_bottoms_of_two_colours(model: ClothesModel) -> None:
    bottoms = 0
    for top, bottom in TWO_PIECES:
        found = parts(model.attributes(cameraman_in_two(CLOTHS[top], CLOTHS[bottom])))
        assert found["tops"] == [top]
        if "bottoms" in found:  # his knees are at the picture's edge: not always sure
            assert found["bottoms"] == [bottom], (top, bottom)
            bottoms += 1
    assert bottoms >= 3


def test_a_suit_of_two_colours(model: ClothesModel) -> None:
    image = astronaut_in(CLOTHS["white"])
    blue = astronaut_in(CLOTHS["blue"])
    image[:, 200:] = blue[:, 200:]  # her left side blue, about half the torso
    found = parts(model.attributes(image))
    assert set(found["tops"]) == {"white", "blue"}


def test_small_crops_and_the_same_answer(model: ClothesModel) -> None:
    image = cameraman_in(CLOTHS["green"])
    small = cv2.resize(image, (96, 96), interpolation=cv2.INTER_AREA)
    assert parts(model.attributes(small))["tops"] == ["green"]
    for side in (64, 12):  # the keypoints are unsure, the torso has too few pixels
        tiny = cv2.resize(image, (side, side), interpolation=cv2.INTER_AREA)
        assert model.attributes(tiny) == []
    tall = np.zeros((700, 300, 3), np.uint8)  # nobody
    assert model.attributes(tall) == []
    assert len({str(model.attributes(image)) for _ in range(3)}) == 1
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert parts(model.attributes(grey))["tops"][0] in ("black", "gray", "white")


def test_two_threads_give_the_same_answer() -> None:
    image = astronaut_in(CLOTHS["cyan"])
    two = ClothesModel(prepared(MOVENET), threads=2)
    assert parts(two.attributes(image))["tops"] == ["cyan"]


@pytest.mark.parametrize("image", BAD, ids=lambda b: str(getattr(b, "shape", b)))
def test_what_is_no_picture_has_no_clothes(model: ClothesModel, image: Any) -> None:
    assert model.attributes(image) == []


def test_a_region_needs_enough_pixels() -> None:
    image = cameraman_in(CLOTHS["green"])
    fussy = ClothesModel(prepared(MOVENET), settings=ClothesSettings(min_pixels=10**6))
    assert fussy.attributes(image) == []
