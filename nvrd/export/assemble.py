"""From index rows to assembled MP4s: which fragments, at which decode times (blocking).

Times come from the index rows (``start_ms`` of a segment is the wall-clock
time of its first sample) and the fragments' own decode times inside a
segment. Consecutive segments whose wall-clock edges meet (within
:data:`CONTINUOUS_MS`) are placed edge to edge, exactly, in one timeline; a
larger hole is a gap. The start is cut at the keyframe at or before the
requested instant and the pre-roll hidden by the edit list (presentation
starts exactly at the requested instant); the end is cut at the sample.

Two products:

- :func:`export_parts`: files for ``/wsapi/dataExport`` and event backup.
  Every segment is read whole (its fragment table) and every ``moof``
  rebuilt; a gap, or a change of codec parameters or timescale, starts a
  new file, and a file is split before it would exceed ``max_bytes``.
- :func:`view_plan`: one MP4 of a whole range, streamed. Only the first and
  the last segment are read whole; the fragments of the segments between
  are copied with their ``moof`` patched (sequence number, decode time),
  their length being the file's, so the plan is ready after reading the
  head of each file. A gap stays a gap in the decode timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nvrd.export.boxes import BoxError
from nvrd.export.initseg import InitSpec, build_init
from nvrd.export.moof import build_moof, mdat_header, moof_size
from nvrd.export.plan import Bytes, CopiedRun, FileRange, Piece, Plan
from nvrd.export.segment import Fragment, SegmentCache, SegmentHead, SegmentTable, head

log = logging.getLogger("nvrd.export")

#: Segments whose wall-clock edges are this close continue one another.
CONTINUOUS_MS = 250


@dataclass(frozen=True)
class Source:
    """One index row: a finished segment file and its wall-clock span."""

    path: Path
    start_ms: int
    end_ms: int


@dataclass
class Placed:
    source: int  # index into the product's sources
    frag: Fragment
    keep: int  # samples kept (the end may cut a fragment)
    out: int  # decode time in the output timeline (output timescale)
    wall_ms: float  # wall-clock time of its first sample
    seg_first: bool  # first placed fragment of its segment
    scale: tuple[int, int] = (1, 1)  # output / source timescale

    @property
    def durations(self) -> list[int]:
        return _scaled(self.frag.durations[: self.keep], self.scale)

    @property
    def duration(self) -> int:
        return sum(self.durations)

    @property
    def data_length(self) -> int:
        return sum(self.frag.sizes[: self.keep])


@dataclass
class Run:
    """Continuous video of one channel with one set of codec parameters."""

    table: SegmentTable  # of the first segment (init template)
    entry: bytes
    sources: list[Path] = field(default_factory=list)
    placed: list[Placed] = field(default_factory=list)
    preroll: int = 0  # hidden at the start of the first fragment (output timescale)
    out_end: int = 0

    @property
    def timescale(self) -> int:
        return self.table.timescale


@dataclass
class Part:
    """One export file: its plan, and the presented-time -> wall-clock anchors."""

    plan: Plan
    anchors: list[tuple[int, int]]  # (presented ms, wall-clock epoch ms)
    end_ms: int  # wall-clock end of what it presents


def _scaled(values: Sequence[int], scale: tuple[int, int]) -> list[int]:
    """Durations rescaled by ``num/den`` with the rounding carried, so sums stay exact."""
    num, den = scale
    if num == den:
        return list(values)
    out: list[int] = []
    acc = done = 0
    for v in values:
        acc += v
        t = (acc * num + den // 2) // den
        out.append(t - done)
        done = t
    return out


def _keep(frag: Fragment, wall0: float, ts: int, end_ms: int) -> int:
    """How many samples of ``frag`` (first sample at ``wall0``) start before ``end_ms``."""
    t = wall0
    for i, d in enumerate(frag.durations):
        if t >= end_ms:
            return i
        t += d * 1000 / ts
    return frag.count


def _selected(
    table: SegmentTable, src: Source, begin_ms: int, end_ms: int
) -> list[tuple[Fragment, int, float]]:
    """Fragments of a segment overlapping ``[begin_ms, end_ms)``: (fragment, kept, wall)."""
    ts, first = table.timescale, table.first_decode_time
    out: list[tuple[Fragment, int, float]] = []
    for f in table.fragments:
        w0 = src.start_ms + (f.decode_time - first) * 1000 / ts
        w1 = w0 + f.duration * 1000 / ts
        if w1 <= begin_ms:
            continue
        if w0 >= end_ms:
            break
        keep = _keep(f, w0, ts, end_ms)
        if keep:
            out.append((f, keep, w0))
    return out


def _load(cache: SegmentCache, src: Source) -> SegmentTable | None:
    try:
        return cache.get(src.path)
    except (OSError, BoxError) as exc:
        log.warning(
            "segment unreadable; left out", extra={"path": str(src.path), "error": str(exc)}
        )
        return None


def _fragment_pieces(p: Placed, out: int, entry: int | None) -> list[Piece]:
    f = p.frag
    durations = p.durations
    ctos = _scaled(f.ctos[: p.keep], p.scale) if p.scale[0] != p.scale[1] else f.ctos[: p.keep]
    moof = build_moof(0, out, durations, f.sizes[: p.keep], f.flags[: p.keep], ctos, entry)
    pieces: list[Piece] = [Bytes(moof + mdat_header(p.data_length), moof=True)]
    left = p.data_length
    for offset, length in f.data:
        if left <= 0:
            break
        n = min(length, left)
        pieces.append(FileRange(p.source, offset, n))
        left -= n
    return pieces


def _fragment_length(p: Placed, with_entry: bool) -> int:
    with_cto = any(p.frag.ctos[: p.keep])
    return moof_size(p.keep, with_cto, with_entry) + len(mdat_header(p.data_length)) + p.data_length


# ---------------------------------------------------------------- export files


def export_runs(
    sources: Sequence[Source], begin_ms: int, end_ms: int, cache: SegmentCache
) -> list[Run]:
    """The continuous runs of recorded video in ``[begin_ms, end_ms)`` of one channel."""
    runs: list[Run] = []
    cur: Run | None = None
    prev_wall_end = float("-inf")
    for src in sources:
        table = _load(cache, src)
        if table is None:
            cur = None
            continue
        sel = _selected(table, src, begin_ms, end_ms)
        if not sel:
            continue
        entry = table.entries[min(sel[0][0].entry, len(table.entries)) - 1]
        continuous = (
            cur is not None
            and cur.entry == entry
            and cur.timescale == table.timescale
            and abs(sel[0][2] - prev_wall_end) <= CONTINUOUS_MS
        )
        if not continuous:
            while sel and not sel[0][0].keyframe:
                sel = sel[1:]
            if not sel:
                continue
            cur = Run(table, entry)
            runs.append(cur)
            w0 = sel[0][2]
            if begin_ms > w0:
                cur.preroll = round((begin_ms - w0) * table.timescale / 1000)
        assert cur is not None
        cur.sources.append(src.path)
        index = len(cur.sources) - 1
        seg_out = cur.out_end
        base_dt = sel[0][0].decode_time
        for i, (f, keep, w0) in enumerate(sel):
            p = Placed(index, f, keep, seg_out + f.decode_time - base_dt, w0, i == 0)
            cur.placed.append(p)
            cur.out_end = p.out + p.duration
            prev_wall_end = w0 + p.duration * 1000 / table.timescale
    return runs


def _part_plan(run: Run, placed: list[Placed], title: Callable[[int], tuple[str, str]]) -> Part:
    ts = run.timescale
    first = placed[0]
    preroll = run.preroll if first is run.placed[0] else 0
    base = first.out
    media = placed[-1].out + placed[-1].duration - base
    presented_ms = max(0, (media - preroll) * 1000 // ts)
    start_ms = round(first.wall_ms + preroll * 1000 / ts)
    start_text, name = title(start_ms)
    spec = InitSpec(
        run.table.ftyp, run.table.moov, ts, (run.entry,), media, preroll,
        presented_ms, start_ms, start_text, name, run.table.trex[1:],
    )  # fmt: skip
    pieces: list[Piece] = [Bytes(build_init(spec))]
    anchors: list[tuple[int, int]] = [(0, start_ms)]
    for p in placed:
        pieces.extend(_fragment_pieces(p, p.out - base, None))
        if p.seg_first and p is not first:
            anchors.append(((p.out - base - preroll) * 1000 // ts, round(p.wall_ms)))
    plan = Plan(list(run.sources), pieces, start_ms, presented_ms)
    return Part(plan, anchors, start_ms + presented_ms)


def export_parts(run: Run, max_bytes: int, title: Callable[[int], tuple[str, str]]) -> list[Part]:
    """A run cut into files of at most ``max_bytes`` (at least one fragment each).

    ``title(start_ms)`` gives the ``©day`` text and the title of a file starting then.
    """
    init_room = _part_plan(run, run.placed[:1], title).plan.pieces[0].length + 256
    groups: list[list[Placed]] = [[]]
    size = init_room
    for p in run.placed:
        n = _fragment_length(p, False)
        if groups[-1] and size + n > max_bytes:
            groups.append([])
            size = init_room
        groups[-1].append(p)
        size += n
    return [_part_plan(run, g, title) for g in groups if g]


# ---------------------------------------------------------------- one streamed MP4


@dataclass
class _ViewSeg:
    src: Source
    table: SegmentTable | None = None  # read whole: fragments rebuilt
    head: SegmentHead | None = None  # only its head: fragments copied
    sel: list[tuple[Fragment, int, float]] = field(default_factory=list)


def _copyable(h: SegmentHead, base: SegmentTable) -> bool:
    entry = base.entries[base.trex[0] - 1] if base.trex[0] <= len(base.entries) else b""
    return (
        h.patchable
        and h.timescale == base.timescale
        and h.entries[:1] == (entry,)
        and h.trex[1:] == base.trex[1:]
        and h.trex[0] == 1
    )


def _view_segments(
    sources: Sequence[Source], begin_ms: int, end_ms: int, cache: SegmentCache
) -> list[_ViewSeg]:
    """The segments of the range: the first and last (and any that cannot be copied as
    they are) read whole, the others by their head."""
    inside = [s for s in sources if s.end_ms > begin_ms and s.start_ms < end_ms]
    segs: list[_ViewSeg] = []
    for i, src in enumerate(inside):
        seg = _ViewSeg(src)
        try:
            if segs and i != len(inside) - 1 and segs[0].table is not None:
                h = head(src.path)
                if _copyable(h, segs[0].table):
                    seg.head = h
            if seg.head is None:
                seg.table = cache.get(src.path)
                seg.sel = _selected(seg.table, src, begin_ms, end_ms)
                if not segs:  # the first: begin at a keyframe
                    while seg.sel and not seg.sel[0][0].keyframe:
                        seg.sel.pop(0)
                if not seg.sel:
                    continue
        except (OSError, BoxError) as exc:
            log.warning(
                "segment unreadable; left out", extra={"path": str(src.path), "error": str(exc)}
            )
            continue
        segs.append(seg)
    return segs


def _place(wall: float, prev_wall_end: float, out_end: int, origin_wall: float, ts: int) -> int:
    """Output decode time of a segment's first fragment: right after the previous one when
    they meet, at its wall-clock distance from the origin after a gap."""
    if abs(wall - prev_wall_end) <= CONTINUOUS_MS:
        return out_end
    return max(out_end, round((wall - origin_wall) * ts / 1000))


class _ViewBuilder:
    def __init__(self, first: SegmentTable, begin_ms: int):
        self.ts = first.timescale
        self.entries: list[bytes] = []
        self.body: list[Piece] = []
        self.out_end = 0
        self.preroll = 0
        self.origin = 0.0
        self.prev_wall_end = float("-inf")
        self.begin_ms = begin_ms

    def entry_index(self, raw: bytes) -> int:
        if raw not in self.entries:
            self.entries.append(raw)
        return self.entries.index(raw) + 1

    def rebuilt(self, k: int, t: SegmentTable, sel: list[tuple[Fragment, int, float]]) -> None:
        scale = (self.ts, t.timescale)
        f0, _, w0 = sel[0]
        if k == 0:
            self.origin = w0
            self.prev_wall_end = w0
            if self.begin_ms > w0:
                self.preroll = round((self.begin_ms - w0) * self.ts / 1000)
        seg_out = _place(w0, self.prev_wall_end, self.out_end, self.origin, self.ts)
        for f, keep, wall in sel:
            entry = self.entry_index(t.entries[min(f.entry, len(t.entries)) - 1])
            out = seg_out + _scaled([f.decode_time - f0.decode_time], scale)[0]
            p = Placed(k, f, keep, out, wall, False, scale)
            self.body.extend(_fragment_pieces(p, out, entry if entry != 1 else None))
            self.out_end = out + p.duration
            self.prev_wall_end = wall + p.duration * 1000 / self.ts

    def copied(self, k: int, h: SegmentHead, src: Source) -> None:
        seg_out = _place(src.start_ms, self.prev_wall_end, self.out_end, self.origin, self.ts)
        self.body.append(CopiedRun(k, h.first_moof, h.size, seg_out - h.first_decode_time))
        # the index row's duration is rounded to the millisecond: one more keeps the next
        # segment from overlapping this one's last sample
        self.out_end = seg_out + (src.end_ms - src.start_ms + 1) * self.ts // 1000
        self.prev_wall_end = float(src.end_ms)


def view_plan(
    sources: Sequence[Source],
    begin_ms: int,
    end_ms: int,
    cache: SegmentCache,
    title: Callable[[int], tuple[str, str]],
) -> Plan | None:
    """One MP4 of everything recorded in ``[begin_ms, end_ms)``, or ``None`` if nothing."""
    segs = _view_segments(sources, begin_ms, end_ms, cache)
    if not segs or segs[0].table is None:
        return None
    first = segs[0].table
    b = _ViewBuilder(first, begin_ms)
    for k, seg in enumerate(segs):
        if seg.table is not None:
            b.rebuilt(k, seg.table, seg.sel)
        else:
            assert seg.head is not None
            b.copied(k, seg.head, seg.src)
    ts = b.ts
    start_ms = round(b.origin + b.preroll * 1000 / ts)
    presented_ms = max(0, (b.out_end - b.preroll) * 1000 // ts)
    start_text, name = title(start_ms)
    spec = InitSpec(
        first.ftyp, first.moov, ts, tuple(b.entries), b.out_end, b.preroll,
        presented_ms, start_ms, start_text, name, first.trex[1:],
    )  # fmt: skip
    paths = [s.src.path for s in segs]
    return Plan(paths, [Bytes(build_init(spec)), *b.body], start_ms, presented_ms)
