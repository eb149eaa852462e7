"""The anchor: the smallest ``wall - media`` of the window, kept without keeping the window."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nvrd.media.recording.anchor import Anchor

WINDOW_MS = 1000

steps = st.lists(
    st.tuples(st.integers(0, 400), st.integers(-300, 300)),  # wall step, media jitter
    min_size=1,
    max_size=300,
)


@given(steps)
def test_the_estimate_is_the_smallest_offset_in_the_window(obs: list[tuple[int, int]]) -> None:
    anchor = Anchor(window_ms=WINDOW_MS)
    seen: list[tuple[int, int]] = []
    wall = 10_000
    for step, jitter in obs:
        wall += step
        media = wall - 5000 + jitter
        anchor.observe(wall, media)
        seen.append((wall, wall - media))
        in_window = [o for w, o in seen if w >= wall - WINDOW_MS]
        assert anchor.known
        assert anchor.wall_ms(250) == min(in_window) + 250


def test_a_steady_stream_keeps_few_observations() -> None:
    anchor = Anchor(window_ms=120_000)
    for i in range(3000):  # two minutes of 25 fps, the offset growing by a little jitter
        anchor.observe(1_000 + i * 40 + (i * 7) % 11, i * 40)
    assert len(anchor._obs) <= 11
    assert anchor.wall_ms(0) == 1_000


def test_nothing_observed_is_not_known() -> None:
    anchor = Anchor()
    assert not anchor.known
    with pytest.raises(LookupError):
        anchor.wall_ms(0)
