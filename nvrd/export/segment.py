"""The fragment table of one recorded segment (blocking reads; call from a thread).

A segment is ``ftyp``, ``moov`` (no samples: ``empty_moov``), then one
``moof``+``mdat`` per keyframe (``frag_keyframe``, ``default_base_moof``).
:func:`scan` reads the init boxes whole and, of every fragment, only its
``moof`` and the ``mdat`` header: enough to know every sample's duration,
size, flags and where its bytes are, without reading the video itself.
A fragment cut short (a file still being written or damaged) ends the table.
"""

from __future__ import annotations

import os
import struct
import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from nvrd.export.boxes import Box, BoxError, children, find, need, parse_header, version_flags

#: ``sample_is_non_sync_sample`` in the sample flags.
NON_SYNC = 0x00010000
_READ = 4096


@dataclass(frozen=True)
class Fragment:
    """One ``moof``+``mdat`` of a segment, its samples in decode order."""

    offset: int  # of the moof in the file
    end: int  # end of its mdat
    decode_time: int  # tfdt, in the segment's timescale
    entry: int  # sample description index (1-based, in the segment's stsd)
    durations: array[int]
    sizes: array[int]
    flags: array[int]
    ctos: array[int]  # composition time offsets (signed)
    data: tuple[tuple[int, int], ...]  # (file offset, length) of the sample bytes, in order

    @property
    def count(self) -> int:
        return len(self.sizes)

    @property
    def duration(self) -> int:
        return sum(self.durations)

    @property
    def keyframe(self) -> bool:
        return bool(self.flags) and not self.flags[0] & NON_SYNC


@dataclass(frozen=True)
class SegmentTable:
    path: Path
    size: int
    mtime_ns: int
    ftyp: bytes
    moov: bytes
    timescale: int
    entries: tuple[bytes, ...]  # the raw sample entries of stsd (avc1, hvc1, ...)
    fragments: tuple[Fragment, ...]
    trex: tuple[int, int, int, int] = (1, 0, 0, 0)  # defaults: entry, duration, size, flags

    @property
    def first_decode_time(self) -> int:
        return self.fragments[0].decode_time if self.fragments else 0


@dataclass(frozen=True)
class _Defaults:
    track_id: int
    entry: int
    duration: int
    size: int
    flags: int


def _u32(data: bytes, offset: int) -> int:
    return int(struct.unpack_from(">I", data, offset)[0])


def _read_init(fd: int, size: int) -> tuple[bytes, bytes, int]:
    """``ftyp`` and ``moov`` bytes, and the offset of the first box after them."""
    ftyp = moov = b""
    offset = 0
    while offset < size and not (ftyp and moov):
        head = os.pread(fd, 16, offset)
        b = parse_header(head, 0, size - offset)
        if b.type in (b"ftyp", b"moov"):
            if b.size > 16 * 1024 * 1024:
                raise BoxError(f"{b.type!r} box too large ({b.size} bytes)")
            whole = os.pread(fd, b.size, offset)
            if len(whole) != b.size:
                raise BoxError(f"{b.type!r} cut short")
            if b.type == b"ftyp":
                ftyp = whole
            else:
                moov = whole
        elif b.type == b"moof":
            break
        offset += b.size
    if not moov:
        raise BoxError("no moov box")
    return ftyp, moov, offset


def _track(moov: bytes) -> tuple[int, tuple[bytes, ...], _Defaults]:
    top = parse_header(moov, 0, len(moov))
    trak = need(moov, top, b"trak")
    mdia = need(moov, trak, b"mdia")
    mdhd = need(moov, mdia, b"mdhd")
    version, _ = version_flags(moov, mdhd)
    timescale = _u32(moov, mdhd.body + (20 if version == 1 else 12))
    stbl = need(moov, need(moov, mdia, b"minf"), b"stbl")
    stsd = need(moov, stbl, b"stsd")
    entries = tuple(moov[b.offset : b.end] for b in children(moov, stsd.body + 8, stsd.end))
    tkhd = need(moov, trak, b"tkhd")
    tv, _ = version_flags(moov, tkhd)
    track_id = _u32(moov, tkhd.body + (20 if tv == 1 else 12))
    defaults = _Defaults(track_id, 1, 0, 0, 0)
    mvex = find(moov, top, b"mvex")
    if mvex is not None:
        for trex in children(moov, mvex.body, mvex.end):
            if trex.type == b"trex" and _u32(moov, trex.body + 4) == track_id:
                vals = struct.unpack_from(">IIII", moov, trex.body + 8)
                defaults = _Defaults(track_id, *vals)
    if timescale <= 0 or not entries:
        raise BoxError("track without timescale or sample entry")
    return timescale, entries, defaults


def _tfhd(data: bytes, b: Box, moof_offset: int, d: _Defaults) -> tuple[int, _Defaults, int]:
    """Track id, this fragment's defaults, and the data base offset."""
    _, flags = version_flags(data, b)
    pos = b.body + 4
    track_id = _u32(data, pos)
    pos += 4
    base = moof_offset
    if flags & 0x01:
        base = int(struct.unpack_from(">Q", data, pos)[0])
        pos += 8
    entry, duration, size, sflags = d.entry, d.duration, d.size, d.flags
    if flags & 0x02:
        entry = _u32(data, pos)
        pos += 4
    if flags & 0x08:
        duration = _u32(data, pos)
        pos += 4
    if flags & 0x10:
        size = _u32(data, pos)
        pos += 4
    if flags & 0x20:
        sflags = _u32(data, pos)
        pos += 4
    if pos > b.end:
        raise BoxError("tfhd cut short")
    return track_id, _Defaults(track_id, entry, duration, size, sflags), base


def _trun(data: bytes, b: Box, d: _Defaults, base: int, frag: _Samples) -> None:
    version, flags = version_flags(data, b)
    count = _u32(data, b.body + 4)
    pos = b.body + 8
    if flags & 0x01:
        start = base + struct.unpack_from(">i", data, pos)[0]
        pos += 4
    else:
        start = frag.next_data if frag.next_data is not None else base
    first_flags = None
    if flags & 0x04:
        first_flags = _u32(data, pos)
        pos += 4
    fields = [(0x100, "d"), (0x200, "s"), (0x400, "f"), (0x800, "c")]
    present = [name for bit, name in fields if flags & bit]
    width = 4 * len(present)
    if count > 1_000_000 or pos + count * width > b.end:
        raise BoxError("trun cut short")
    fmt = "".join("i" if (n == "c" and version == 1) else "I" for n in present)
    values = struct.unpack(">" + fmt * count, data[pos : pos + count * width])
    step = len(present)

    def column(name: str, default: int) -> list[int]:
        if name in present:
            return list(values[present.index(name) :: step])
        return [default] * count

    sizes = column("s", d.size)
    sflags = column("f", d.flags)
    if count and first_flags is not None:
        sflags[0] = first_flags
    frag.durations.extend(column("d", d.duration))
    frag.sizes.extend(sizes)
    frag.flags.extend(sflags)
    frag.ctos.extend(column("c", 0))
    total = sum(sizes)
    frag.add_data(start, total)


class _Samples:
    def __init__(self) -> None:
        self.durations: array[int] = array("I")
        self.sizes: array[int] = array("I")
        self.flags: array[int] = array("I")
        self.ctos: array[int] = array("i")
        self.data: list[tuple[int, int]] = []
        self.next_data: int | None = None

    def add_data(self, start: int, length: int) -> None:
        if length:
            if self.data and self.data[-1][0] + self.data[-1][1] == start:
                off, n = self.data[-1]
                self.data[-1] = (off, n + length)
            else:
                self.data.append((start, length))
        self.next_data = start + length


def _fragment(moof: bytes, offset: int, end: int, d: _Defaults) -> Fragment | None:
    top = parse_header(moof, 0, len(moof))
    for traf in children(moof, top.body, top.end):
        if traf.type != b"traf":
            continue
        tfhd = need(moof, traf, b"tfhd")
        track_id, fd, base = _tfhd(moof, tfhd, offset, d)
        if track_id != d.track_id:
            continue
        tfdt = need(moof, traf, b"tfdt")
        v, _ = version_flags(moof, tfdt)
        decode = (
            int(struct.unpack_from(">Q", moof, tfdt.body + 4)[0])
            if v == 1
            else _u32(moof, tfdt.body + 4)
        )
        samples = _Samples()
        for trun in children(moof, traf.body, traf.end):
            if trun.type == b"trun":
                _trun(moof, trun, fd, base, samples)
        for start, length in samples.data:
            if start < offset or start + length > end:
                raise BoxError("sample data outside its fragment")
        if samples.sizes:
            return Fragment(
                offset,
                end,
                decode,
                fd.entry,
                samples.durations,
                samples.sizes,
                samples.flags,
                samples.ctos,
                tuple(samples.data),
            )
    return None


def _fragments(fd: int, start: int, size: int, d: _Defaults) -> list[Fragment]:
    out: list[Fragment] = []
    offset = start
    while offset + 8 <= size:
        buf = os.pread(fd, _READ, offset)
        try:
            b = parse_header(buf, 0, size - offset)
        except BoxError:
            break
        if b.type != b"moof":
            offset += b.size
            continue
        if b.size + 16 > len(buf):
            buf = os.pread(fd, b.size + 16, offset)
        if len(buf) < b.size + 8:
            break
        try:
            mdat = parse_header(buf, b.size, size - offset)
        except BoxError:
            break
        if mdat.type != b"mdat":
            offset += b.size
            continue
        frag = _fragment(buf[: b.size], offset, offset + mdat.end, d)
        if frag is not None:
            out.append(frag)
        offset += mdat.end
    return out


def scan(path: Path) -> SegmentTable:
    """The fragment table of a recorded segment file. Raises OSError or BoxError."""
    fd = os.open(path, os.O_RDONLY)
    try:
        st = os.fstat(fd)
        ftyp, moov, first = _read_init(fd, st.st_size)
        timescale, entries, defaults = _track(moov)
        frags = _fragments(fd, first, st.st_size, defaults)
    finally:
        os.close(fd)
    trex = (defaults.entry, defaults.duration, defaults.size, defaults.flags)
    return SegmentTable(
        path, st.st_size, st.st_mtime_ns, ftyp, moov, timescale, entries, tuple(frags), trex
    )


class SegmentCache:
    """Fragment tables of recent segments (a file is immutable once indexed; a changed
    size or mtime reads it again). Thread-safe, bounded."""

    def __init__(self, max_entries: int = 1024):
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._tables: OrderedDict[Path, SegmentTable] = OrderedDict()

    def get(self, path: Path) -> SegmentTable:
        st = path.stat()
        with self._lock:
            table = self._tables.get(path)
            if table is not None and (table.size, table.mtime_ns) == (st.st_size, st.st_mtime_ns):
                self._tables.move_to_end(path)
                return table
        table = scan(path)
        with self._lock:
            self._tables[path] = table
            self._tables.move_to_end(path)
            while len(self._tables) > self.max_entries:
                self._tables.popitem(last=False)
        return table


@dataclass(frozen=True)
class SegmentHead:
    """What :func:`head` learns from the start of a segment without walking its fragments."""

    path: Path
    size: int
    ftyp: bytes
    moov: bytes
    timescale: int
    entries: tuple[bytes, ...]
    first_moof: int  # offset of the first fragment
    first_decode_time: int
    patchable: bool  # one track, 64-bit tfdt: fragments can be copied with patched moofs
    trex: tuple[int, int, int, int]


def head(path: Path) -> SegmentHead:
    """The init boxes and the first fragment's decode time. Raises OSError or BoxError."""
    from nvrd.export.moof import patch_points

    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        ftyp, moov, first = _read_init(fd, size)
        timescale, entries, d = _track(moov)
        buf = os.pread(fd, _READ, first)
        b = parse_header(buf, 0, size - first)
        if b.type != b"moof":
            raise BoxError("no fragment after the init boxes")
        if b.size > len(buf):
            buf = os.pread(fd, b.size, first)
        moof = buf[: b.size]
        try:
            _, _, dt_at = patch_points(moof)
            decode = int(struct.unpack_from(">Q", moof, dt_at)[0])
            patchable = True
        except BoxError:
            patchable = False
            decode = 0
    finally:
        os.close(fd)
    trex = (d.entry, d.duration, d.size, d.flags)
    return SegmentHead(path, size, ftyp, moov, timescale, entries, first, decode, patchable, trex)
