"""Finding where a fragmented segment stops being whole, on real ffmpeg output cut short."""

from __future__ import annotations

import shutil
from pathlib import Path

from nvrd.media.recording.mp4 import scan, truncate_to_complete


def test_a_whole_segment(segment_files: list[Path]) -> None:
    layout = scan(segment_files[0])
    assert layout.has_moov and layout.fragments == 1
    assert layout.complete == layout.size == segment_files[0].stat().st_size


def test_cut_anywhere_keeps_only_whole_fragments(tmp_path: Path, segment_files: list[Path]) -> None:
    whole = segment_files[1].read_bytes()
    kept = 0
    for cut in [*range(0, len(whole), max(1, len(whole) // 60)), len(whole)]:
        f = tmp_path / "cut.mp4"
        f.write_bytes(whole[:cut])
        layout = truncate_to_complete(f)
        assert kept <= layout.complete <= cut  # more bytes never keep less
        kept = layout.complete
        if layout.complete == 0:
            assert f.stat().st_size == cut  # nothing usable: left for the caller to remove
        else:
            again = scan(f)  # what is left is whole: a playable segment
            assert again.complete == again.size == layout.complete and again.fragments >= 1
    assert kept == len(whole)


def test_truncate_cuts_back_to_the_last_fragment(tmp_path: Path, segment_files: list[Path]) -> None:
    f = tmp_path / "s.mp4"
    shutil.copyfile(segment_files[0], f)
    whole = f.stat().st_size
    with f.open("ab") as out:
        out.write(b"\x00\x00\x10\x00moof" + b"\x01" * 100)  # a fragment cut by a crash
    layout = truncate_to_complete(f)
    assert layout.complete == whole and f.stat().st_size == whole


def test_not_an_mp4(tmp_path: Path) -> None:
    f = tmp_path / "junk.mp4"
    f.write_bytes(b"garbage" * 10)
    assert scan(f).complete == 0
    f.write_bytes(b"")
    assert scan(f).complete == 0
