"""Segment names (new to the ms, old to the second) and the run journal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from nvrd.core.clock import ms_from_datetime
from nvrd.media.recording.segments import (
    Journal,
    final_name,
    is_segment_name,
    is_writing_name,
    name_time_ms,
    run_of,
    writing_template,
)

MS = ms_from_datetime(datetime(2026, 10, 25, 0, 59, 59, 987_000, tzinfo=UTC))


def test_final_name_is_utc_to_the_millisecond() -> None:
    assert final_name(MS, "mhx8") == "2026-10-25/20261025T005959.987Z-mhx8.mp4"
    assert name_time_ms(Path(final_name(MS, "mhx8"))) == MS


def test_two_segments_in_one_second_get_two_names() -> None:
    assert final_name(MS, "r") != final_name(MS + 1, "r")


def test_names_of_older_versions_are_still_read() -> None:
    old = Path("ch1/2026-10-25/20261025T005959Z-mhx8.mp4")
    assert is_segment_name(old) and run_of(old) == "mhx8"
    assert name_time_ms(old) == MS - 987


def test_writing_names() -> None:
    chdir = Path("/r/ch3")
    pattern = writing_template(chdir, "abc")
    assert pattern == "/r/ch3/writing/abc-%06d.mp4"
    f = Path(pattern % 12)
    assert is_writing_name(f) and not is_segment_name(f)
    assert run_of(f) == "abc" and name_time_ms(f) is None
    assert not is_writing_name(Path("/r/ch3/2026-01-01/abc-000012.mp4"))


def test_other_names_are_not_segments() -> None:
    for name in ("x.mp4", "20261025T005959.98Z-a.mp4", "20261025T005959Z-.mp4", "a.journal"):
        assert not is_segment_name(Path(name)) and run_of(Path(name)) is None


@given(
    st.integers(min_value=0, max_value=4_102_444_800_000),
    st.from_regex(r"[a-z0-9]{1,9}", fullmatch=True),
)
def test_name_round_trip(ms: int, run: str) -> None:
    name = Path(final_name(ms, run))
    assert is_segment_name(name) and name_time_ms(name) == ms and run_of(name) == run
    assert name.parent.name == f"{datetime.fromtimestamp(ms // 1000, UTC):%Y-%m-%d}"


def test_journal_skips_lines_cut_by_a_crash(tmp_path: Path) -> None:
    j = Journal(tmp_path, "run1")
    j.append("ch1/writing/run1-000000.mp4", 1000)
    j.append("ch1/writing/run1-000001.mp4", 3000)
    with j.path.open("a") as f:
        f.write('{"path": "ch1/writing/run1-000002.mp4", "sta')  # the crash
    assert Journal.read_file(j.path) == {
        "ch1/writing/run1-000000.mp4": 1000,
        "ch1/writing/run1-000001.mp4": 3000,
    }
    assert Journal.all_in(tmp_path) == [j.path]
    assert Journal.read_file(tmp_path / "gone.journal") == {}
