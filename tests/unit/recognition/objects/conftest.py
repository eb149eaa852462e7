"""The object detectors' test pictures (see pictures.py)."""

from __future__ import annotations

import pytest

from tests.support.pictures import Scene, make_scene


@pytest.fixture(scope="module")
def scene() -> Scene:
    return make_scene()
