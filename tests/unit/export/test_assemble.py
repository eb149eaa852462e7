"""Assembling MP4s from real recorded segments (ffmpeg's segment muxer with the recorder's
options): one streamed MP4 over any range, export files split by size, byte ranges,
durations, decode times and sequence numbers, gaps."""

from __future__ import annotations

import itertools
import random
import struct
from pathlib import Path

import av
import pytest

from nvrd.export.assemble import Source, export_parts, export_runs, view_plan
from nvrd.export.boxes import children, parse_header
from nvrd.export.plan import Plan, read
from nvrd.export.segment import SegmentCache, scan
from tests.support.recordings import make_segments

T0 = 1_700_000_000_000


def title(ms: int) -> tuple[str, str]:
    return f"start {ms}", "CH1 test"


@pytest.fixture(scope="module")
def segments(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> list[tuple[Path, int]]:
    """Six segments of about 4 s (cam1: 25 fps, a keyframe a second)."""
    folder = tmp_path_factory.mktemp("segs")
    return make_segments(media_dir / "cam1.mp4", folder, 24, 4, "s")


def sources(
    segs: list[tuple[Path, int]], gap_after: int | None = None, gap: int = 0
) -> list[Source]:
    out, t = [], T0
    for i, (path, dur) in enumerate(segs):
        out.append(Source(path, t, t + dur))
        t += dur + (gap if i == gap_after else 0)
    return out


def write(plan: Plan, path: Path) -> Path:
    with path.open("wb") as f:
        for chunk in read(plan):
            f.write(chunk)
    assert path.stat().st_size == plan.size
    return path


def presented(path: Path) -> tuple[float, int]:
    """Seconds presented (frames with pts >= 0; the edit list hides the pre-roll) and frames
    decoded."""
    with av.open(str(path)) as c:
        s = c.streams.video[0]
        tb = s.time_base
        assert tb is not None
        pts = []
        frames = 0
        for frame in c.decode(s):
            frames += 1
            if frame.pts is not None and frame.pts >= 0:
                pts.append(frame.pts)
        step = sorted(pts)[1] - sorted(pts)[0]
        return float((max(pts) + step - min(pts)) * tb), frames


def moofs(path: Path) -> list[tuple[int, int]]:
    """(sequence number, decode time) of every fragment."""
    data = path.read_bytes()
    out = []
    for b in children(data):
        if b.type == b"moof":
            mfhd = parse_header(data, b.body, b.end)
            seq = struct.unpack_from(">I", data, mfhd.body + 4)[0]
            traf = parse_header(data, mfhd.end, b.end)
            for c in children(data, traf.body, traf.end):
                if c.type == b"tfdt":
                    out.append((seq, struct.unpack_from(">Q", data, c.body + 4)[0]))
    return out


@pytest.mark.parametrize(
    ("begin", "end"),
    [(1_300, 2_900), (2_500, 15_250), (0, 24_000), (5_000, 21_999)],
    ids=["inside-one", "across-four", "everything", "to-the-last-ms"],
)
def test_view_plan_decodes_with_the_requested_duration(
    segments: list[tuple[Path, int]], tmp_path: Path, begin: int, end: int
) -> None:
    srcs = sources(segments)
    total = srcs[-1].end_ms - T0
    end = min(end, total)
    plan = view_plan(srcs, T0 + begin, T0 + end, SegmentCache(), title)
    assert plan is not None
    assert plan.start_ms == T0 + begin
    assert plan.duration_ms == pytest.approx(end - begin, abs=45)
    out = write(plan, tmp_path / "v.mp4")
    seconds, frames = presented(out)
    assert seconds == pytest.approx((end - begin) / 1000, abs=0.05)
    assert frames >= seconds * 25 - 1
    with av.open(str(out)) as c:
        assert c.metadata["date"] == f"start {T0 + begin}"
        assert c.metadata["title"] == "CH1 test"
    found = moofs(out)
    assert [s for s, _ in found] == list(range(1, len(found) + 1))
    times = [t for _, t in found]
    assert times == sorted(times) and len(set(times)) == len(times)


def test_view_plan_copies_the_middle_segments(
    segments: list[tuple[Path, int]], tmp_path: Path
) -> None:
    from nvrd.export.plan import CopiedRun

    srcs = sources(segments)
    plan = view_plan(srcs, T0 + 1_000, T0 + 23_000, SegmentCache(), title)
    assert plan is not None
    copied = [p for p in plan.pieces if isinstance(p, CopiedRun)]
    assert len(copied) == len(segments) - 2  # only the first and last are rebuilt
    # the copied runs hold every byte of those segments' fragments
    for run in copied:
        assert run.end == plan.sources[run.source].stat().st_size


def test_a_gap_stays_a_gap(segments: list[tuple[Path, int]], tmp_path: Path) -> None:
    srcs = sources(segments, gap_after=2, gap=7_000)
    plan = view_plan(srcs, T0, srcs[-1].end_ms, SegmentCache(), title)
    assert plan is not None
    assert plan.duration_ms == pytest.approx(srcs[-1].end_ms - T0, abs=45)
    out = write(plan, tmp_path / "gap.mp4")
    with av.open(str(out)) as c:
        s = c.streams.video[0]
        tb = s.time_base
        assert tb is not None
        pts = sorted(float(p.pts * tb) for p in c.demux(s) if p.pts is not None)
    steps = [b - a for a, b in itertools.pairwise(pts)]
    assert max(steps) == pytest.approx(7.04, abs=0.1)  # the outage, not invented video
    assert sum(1 for d in steps if d > 0.1) == 1
    recorded = sum(d for _, d in segments) / 1000
    assert len(pts) == pytest.approx(recorded * 25, abs=2)


def test_byte_ranges_are_slices_of_the_whole(
    segments: list[tuple[Path, int]], tmp_path: Path
) -> None:
    plan = view_plan(sources(segments), T0 + 700, T0 + 22_500, SegmentCache(), title)
    assert plan is not None
    whole = b"".join(read(plan))
    rng = random.Random(7)
    cuts = [(0, 1), (0, plan.size), (plan.size - 1, plan.size), (100, 5000)]
    for _ in range(25):
        lo, hi = sorted(rng.sample(range(plan.size + 1), 2))
        cuts.append((lo, hi))
    for a, b in cuts:
        assert b"".join(read(plan, a, b)) == whole[a:b], (a, b)


def test_export_parts_split_by_size_and_cover_the_range(
    segments: list[tuple[Path, int]], tmp_path: Path
) -> None:
    srcs = sources(segments, gap_after=3, gap=5_000)
    begin, end = T0 + 2_200, srcs[-1].end_ms - 1_300
    runs = export_runs(srcs, begin, end, SegmentCache())
    assert len(runs) == 2  # the outage splits the export
    limit = 600_000
    parts = [p for r in runs for p in export_parts(r, limit, title)]
    assert len(parts) >= 4
    covered = 0
    for i, p in enumerate(parts):
        out = write(p.plan, tmp_path / f"p{i}.mp4")
        assert out.stat().st_size <= limit or len(moofs(out)) == 1
        seconds, _ = presented(out)
        assert seconds == pytest.approx(p.plan.duration_ms / 1000, abs=0.05)
        covered += p.plan.duration_ms
    for a, b in itertools.pairwise(parts):
        assert b.plan.start_ms >= a.plan.start_ms + a.plan.duration_ms - 1
    assert parts[0].plan.start_ms == begin
    recorded = (end - begin) - 5_000
    assert covered == pytest.approx(recorded, abs=100)


def test_a_missing_segment_is_left_out(segments: list[tuple[Path, int]], tmp_path: Path) -> None:
    srcs = sources(segments)
    gone = Source(tmp_path / "nope.mp4", srcs[2].start_ms, srcs[2].end_ms)
    srcs[2] = gone
    runs = export_runs(srcs, T0, srcs[-1].end_ms, SegmentCache())
    assert len(runs) == 2


def test_scan_reads_every_fragment(segments: list[tuple[Path, int]]) -> None:
    table = scan(segments[0][0])
    assert table.timescale > 0 and len(table.entries) == 1
    assert all(f.keyframe for f in table.fragments)
    assert sum(f.count for f in table.fragments) == pytest.approx(segments[0][1] / 40, abs=1)


def test_a_truncated_segment_ends_its_table(
    segments: list[tuple[Path, int]], tmp_path: Path
) -> None:
    src = segments[1][0]
    cut = tmp_path / "cut.mp4"
    data = src.read_bytes()
    cut.write_bytes(data[: len(data) * 2 // 3])
    whole, partial = scan(src), scan(cut)
    assert 0 < len(partial.fragments) < len(whole.fragments)


def test_garbage_is_a_box_error(tmp_path: Path) -> None:
    from nvrd.export.boxes import BoxError

    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00\x00\x00\x10moov" + b"\xff" * 64)
    with pytest.raises(BoxError):
        scan(bad)


def test_kernel_copy_writes_the_same_bytes(
    segments: list[tuple[Path, int]], tmp_path: Path
) -> None:
    import os

    from nvrd.export.plan import Stopped, copy_to

    plan = view_plan(sources(segments), T0 + 700, T0 + 22_500, SegmentCache(), title)
    assert plan is not None
    out = tmp_path / "k.mp4"
    seen: list[int] = []

    def tick(n: int) -> bool:  # and go on
        seen.append(n)
        return True

    with out.open("wb") as f:
        copy_to(plan, f.fileno(), tick)
    assert out.read_bytes() == b"".join(read(plan))
    assert sum(seen) == plan.size
    with (tmp_path / "stop.mp4").open("wb") as f, pytest.raises(Stopped):
        copy_to(plan, f.fileno(), lambda n: False)
    assert os.path.getsize(tmp_path / "stop.mp4") < plan.size
