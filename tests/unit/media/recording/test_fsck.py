"""The consistency check on real files and a real index: each invariant broken, then repaired."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Literal

from nvrd.config import StorageSettings
from nvrd.media.recording.fsck import check_all, check_root
from nvrd.media.recording.indexer import Finished, index_finished
from nvrd.media.recording.segments import Journal, final_name, writing_dir
from nvrd.store.recordings import RecordingIndex

START = 1_772_366_400_000


def storage(root: Path, usage: Literal[-1, 0, 1, 2] = 2) -> StorageSettings:
    return StorageSettings(path=root, usage=usage)


async def indexed(root: Path, src: Path, index: RecordingIndex, start: int) -> Path:
    d = writing_dir(root / "ch1")
    d.mkdir(parents=True, exist_ok=True)
    f = d / f"r1-{start % 1000:06d}.mp4"
    shutil.copyfile(src, f)
    file_id = await index_finished(index, Finished(1, root, f, start, 1000, run="r1"))
    row = await index.get(file_id or 0)
    assert row is not None
    return root / row.rel_path


async def test_a_clean_store_has_no_findings(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    await indexed(tmp_path, segment_files[0], index, START)
    assert await check_root(index, storage(tmp_path), repair=False) == []


async def test_every_kind_of_damage_is_found_then_repaired(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    kept = await indexed(tmp_path, segment_files[0], index, START)
    gone = await indexed(tmp_path, segment_files[1], index, START + 1000)
    marked = await indexed(tmp_path, segment_files[2], index, START + 2000)
    gone.unlink()  # a row without a file
    rows = {r.rel_path: r for r in await index.in_root(str(tmp_path))}
    await index.mark_deleting([rows[marked.relative_to(tmp_path).as_posix()].file_id])
    with kept.open("ab") as f:
        f.write(b"\x00" * 8)  # the file grew after its row: a size mismatch
    chdir = tmp_path / "ch1"
    # a crash left: the segment being written (journalled), one without a journal line,
    # an old-style finished file without a row, and the journal
    w = writing_dir(chdir)
    journalled = w / "r2-000000.mp4"
    shutil.copyfile(segment_files[0], journalled)
    orphan = w / "r2-000001.mp4"
    shutil.copyfile(segment_files[1], orphan)
    mtime = (START + 60_000) / 1000
    os.utime(orphan, (mtime, mtime))
    old = chdir / "2026-03-01" / "20260301T120500Z-r0.mp4"
    shutil.copyfile(segment_files[2], old)
    j = Journal(chdir, "r2")
    j.append(journalled.relative_to(tmp_path).as_posix(), START + 30_000)

    found = await check_root(index, storage(tmp_path), repair=False)
    kinds = sorted(f.kind for f in found)
    assert kinds == ["journal", "marked-row", "missing-file"] + ["orphan-file"] * 3 + [
        "size-mismatch"
    ]
    assert not any(f.repaired for f in found)
    assert journalled.exists() and j.path.exists()  # a check alone changes nothing

    fixed = await check_all(index, [storage(tmp_path)], repair=True)
    assert {f.kind for f in fixed if f.repaired} == {
        "journal",
        "marked-row",
        "missing-file",
        "orphan-file",
    }
    rows = {r.rel_path: r for r in await index.in_root(str(tmp_path))}
    by_start = {r.start_ms: r for r in rows.values()}
    assert START + 30_000 in by_start  # from the journal, renamed to its start
    assert by_start[START + 30_000].rel_path == "ch1/" + final_name(START + 30_000, "r2")
    assert START + 59_000 in by_start  # no journal line: it ended when last written
    assert any(r.rel_path.endswith("20260301T120500Z-r0.mp4") for r in rows.values())
    assert not list(w.iterdir()) and not j.path.exists() and not marked.exists()
    again = await check_root(index, storage(tmp_path), repair=True)
    assert [f.kind for f in again] == ["size-mismatch"]  # reported, never "repaired"


async def test_read_only_storage_is_only_reported(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    w = writing_dir(tmp_path / "ch1")
    w.mkdir(parents=True)
    shutil.copyfile(segment_files[0], w / "r1-000000.mp4")
    found = await check_root(index, storage(tmp_path, usage=0), repair=True)
    assert [(f.kind, f.repaired) for f in found] == [("orphan-file", False)]
    assert (w / "r1-000000.mp4").exists()
    assert await check_all(index, [storage(tmp_path / "nope", usage=-1)], repair=True) == []


async def test_an_unplayable_orphan_is_removed(tmp_path: Path, index: RecordingIndex) -> None:
    w = writing_dir(tmp_path / "ch1")
    w.mkdir(parents=True)
    (w / "r1-000000.mp4").write_bytes(b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00")
    found = await check_root(index, storage(tmp_path), repair=True)
    assert [f.kind for f in found] == ["orphan-file"]
    assert "removed" in found[0].detail and not list(w.iterdir())


async def test_a_sub_stream_file_without_a_row_is_indexed_as_the_sub_stream(
    tmp_path: Path, segment_files: list[Path], index: RecordingIndex
) -> None:
    """Files under ``ch<N>sub/`` are the recorded sub stream: an orphan there is indexed
    with ``stream = sub`` and kept under ``ch<N>sub/``, never mixed into the main stream."""
    main = await indexed(tmp_path, segment_files[0], index, START)
    w = writing_dir(tmp_path / "ch1sub")
    w.mkdir(parents=True)
    orphan = w / "r3-000000.mp4"
    shutil.copyfile(segment_files[1], orphan)
    Journal(tmp_path / "ch1sub", "r3").append(orphan.relative_to(tmp_path).as_posix(), START)
    found = await check_root(index, storage(tmp_path), repair=True)
    assert sorted(f.kind for f in found) == ["journal", "orphan-file"]
    rows = {r.stream: r for r in await index.in_root(str(tmp_path))}
    assert rows["main"].rel_path == main.relative_to(tmp_path).as_posix()
    sub = rows["sub"]
    assert sub.rel_path == f"ch1sub/{final_name(START, 'r3')}" and sub.chid == 1
    assert await check_root(index, storage(tmp_path), repair=False) == []
