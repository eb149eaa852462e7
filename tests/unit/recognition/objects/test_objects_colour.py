"""Vehicle colours from synthetic vehicle pictures: a painted body, dark windows and
tyres, sensor noise."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from nvrd.core.objects import COLORS
from nvrd.recognition.objects.colour import colour_name, vehicle_colours
from tests.support.paints import PAINTS
from tests.support.pictures import BAD


def vehicle(
    paint: tuple[int, int, int], seed: int = 0, size: tuple[int, int] = (180, 320)
) -> np.ndarray:
    """A side view: the body painted, a dark window band, two tyres, road at the bottom,
    noise of a camera sensor."""
    h, w = size
    image = np.zeros((h, w, 3), np.uint8)
    image[:] = (110, 110, 105)  # road and background
    image[h // 6 : h - h // 5, w // 10 : w - w // 10] = paint  # body
    image[h // 6 : h // 3, w // 4 : w - w // 4] = (35, 35, 40)  # windows
    for cx in (w // 4, 3 * w // 4):  # tyres
        image[h - h // 4 : h - h // 10, cx - w // 14 : cx + w // 14] = (15, 15, 15)
    noise = np.random.default_rng(seed).normal(0, 6, image.shape)
    return np.clip(image.astype(float) + noise, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("name", list(PAINTS))
def test_each_paint_is_named(name: str) -> None:
    for seed in range(3):
        assert vehicle_colours(vehicle(PAINTS[name], seed))[0] == name


def test_dark_windows_do_not_make_a_red_car_black() -> None:
    assert vehicle_colours(vehicle(PAINTS["red"])) == ["red"]


def test_two_tone() -> None:
    image = np.zeros((120, 240, 3), np.uint8)
    image[:, :120], image[:, 120:] = PAINTS["white"], PAINTS["blue"]
    assert vehicle_colours(image) == ["blue", "white"]  # the chromatic one first
    image[:, 150:] = PAINTS["white"]  # blue on a fifth of the middle: one colour
    assert vehicle_colours(image) == ["white"]


def test_small_large_and_odd_crops() -> None:
    for size in [(12, 20), (9, 9), (1080, 1921), (301, 17)]:
        colours = vehicle_colours(vehicle(PAINTS["green"], size=size))
        assert colours and set(colours) <= set(COLORS)
    assert vehicle_colours(np.full((40, 60, 3), PAINTS["yellow"], np.uint8)) == ["yellow"]


def test_the_same_picture_gives_the_same_answer() -> None:
    image = vehicle(PAINTS["brown"], 7)
    assert len({tuple(vehicle_colours(image)) for _ in range(5)}) == 1


def test_grey_pictures_are_achromatic() -> None:
    grey = vehicle(PAINTS["red"])[:, :, 1]
    assert vehicle_colours(grey)[0] in ("black", "gray", "white")


@pytest.mark.parametrize("image", BAD, ids=lambda b: str(getattr(b, "shape", b)))
def test_what_is_no_picture_has_no_colour(image: Any) -> None:
    assert vehicle_colours(image) == []


@pytest.mark.parametrize(
    ("lab", "name"),
    [
        ((50, 0, 0), "gray"),
        ((10, 3, -3), "black"),
        ((95, 2, 2), "white"),
        ((53, 80, 67), "red"),
        ((37, 26, 41), "brown"),
        ((87, 2, 20), "beige"),
        ((30, 59, -37), "purple"),
        ((60, 98, -61), "magenta"),
        ((83, 24, 3), "pink"),
        ((29, 53, -83), "blue"),
    ],
)
def test_colour_names(lab: tuple[float, float, float], name: str) -> None:
    assert colour_name(*lab) == name
