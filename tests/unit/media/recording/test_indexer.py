"""Indexing finished segments (real files, real SQLite): rename to the start time, rows."""

from __future__ import annotations

import shutil
from pathlib import Path

from nvrd.media.recording.indexer import Finished, index_finished
from nvrd.media.recording.segments import final_name, writing_dir
from nvrd.store.recordings import RecordingIndex

START = 1_772_366_400_123


def writing_copy(root: Path, src: Path, n: int, run: str = "r1") -> Path:
    d = writing_dir(root / "ch1")
    d.mkdir(parents=True, exist_ok=True)
    dest = d / f"{run}-{n:06d}.mp4"
    shutil.copyfile(src, dest)
    return dest


async def test_a_finished_segment_is_renamed_to_its_start_and_indexed(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    f = writing_copy(tmp_path, segment_files[0], 0)
    file_id = await index_finished(index, Finished(1, tmp_path, f, START, 1000, run="r1"))
    assert file_id is not None
    row = await index.get(file_id)
    assert row is not None
    assert row.rel_path == "ch1/" + final_name(START, "r1")
    assert row.rel_path.endswith(".123Z-r1.mp4")
    assert (row.start_ms, row.end_ms) == (START, START + 1000)
    assert (row.codec, row.width, row.height) == ("h264", 320, 180)
    assert not f.exists() and (tmp_path / row.rel_path).stat().st_size == row.size


async def test_two_segments_starting_in_one_second_both_survive(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    a = writing_copy(tmp_path, segment_files[0], 0)
    b = writing_copy(tmp_path, segment_files[1], 1)
    ia = await index_finished(index, Finished(1, tmp_path, a, START, 400, run="r1"))
    ib = await index_finished(index, Finished(1, tmp_path, b, START + 400, 600, run="r1"))
    rows = [await index.get(i) for i in (ia, ib) if i is not None]
    assert len({r.rel_path for r in rows if r}) == 2
    assert len(list((tmp_path / "ch1").glob("*/*.mp4"))) == 2


async def test_a_name_already_taken_moves_to_the_next_millisecond(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    taken = tmp_path / "ch1" / final_name(START, "r1")
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"someone else's")
    f = writing_copy(tmp_path, segment_files[0], 0)
    file_id = await index_finished(index, Finished(1, tmp_path, f, START, 1000, run="r1"))
    row = await index.get(file_id or 0)
    assert row is not None and row.rel_path == "ch1/" + final_name(START + 1, "r1")
    assert taken.read_bytes() == b"someone else's"


async def test_the_last_segment_is_measured_and_a_cut_one_truncated(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    f = writing_copy(tmp_path, segment_files[2], 2)
    whole = f.stat().st_size
    with f.open("ab") as out:
        out.write(b"\x00\x00\x40\x00moof" + b"\x00" * 64)  # killed mid-fragment
    file_id = await index_finished(index, Finished(1, tmp_path, f, START, None, run="r1"))
    row = await index.get(file_id or 0)
    assert row is not None and row.size == whole
    assert row.end_ms - row.start_ms == 1000  # 10 frames at 10 fps, from the packets


async def test_nothing_playable_is_removed_not_indexed(
    tmp_path: Path, index: RecordingIndex
) -> None:
    d = writing_dir(tmp_path / "ch1")
    d.mkdir(parents=True)
    f = d / "r1-000000.mp4"
    f.write_bytes(b"\x00\x00\x00\x18ftypisom")
    assert await index_finished(index, Finished(1, tmp_path, f, START, None, run="r1")) is None
    assert not f.exists()
    gone = d / "r1-000001.mp4"
    assert await index_finished(index, Finished(1, tmp_path, gone, START, 10, run="r1")) is None


async def test_an_existing_final_name_is_indexed_in_place(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    f = tmp_path / "ch1" / "2026-03-01" / "20260301T120000Z-old.mp4"
    f.parent.mkdir(parents=True)
    shutil.copyfile(segment_files[0], f)
    file_id = await index_finished(index, Finished(1, tmp_path, f, START, None))
    row = await index.get(file_id or 0)
    assert row is not None and row.rel_path == "ch1/2026-03-01/20260301T120000Z-old.mp4"
