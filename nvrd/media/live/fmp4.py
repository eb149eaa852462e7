"""Reading a fragmented-MP4 byte stream as it arrives (pure).

ffmpeg writes the live stream as ``ftyp`` + ``moov`` (the init segment),
then one ``moof`` + ``mdat`` pair per frame. :class:`BoxSplitter` cuts the
stream into those pieces; :func:`is_keyframe` tells whether a fragment
starts with a sync sample (a viewer must start there); :func:`codec_string`
and :func:`video_size` read what a browser's Media Source needs from the
init segment; :func:`timescale` and :func:`decode_time` give a fragment's
media time (the hub's wall-clock anchor of the stream).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes in ``data[start:end]``."""
    end = len(data) if end is None else end
    pos = start
    while pos + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if pos + 16 > end:
                return
            size = struct.unpack_from(">Q", data, pos + 8)[0]
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            return
        yield kind, pos + header, pos + size
        pos += size


def find(
    data: bytes, path: list[bytes], start: int = 0, end: int | None = None
) -> tuple[int, int] | None:
    """Payload span of the first box along ``path`` (e.g. ``[b"moov", b"trak"]``)."""
    for kind, body, box_end in boxes(data, start, end):
        if kind == path[0]:
            if len(path) == 1:
                return body, box_end
            return find(data, path[1:], body, box_end)
    return None


@dataclass(frozen=True)
class Piece:
    kind: str  # "init" or "fragment"; the hub also tells its taps "end" (stream over)
    data: bytes
    keyframe: bool = False


class BoxSplitter:
    """Feed bytes as they arrive; get init segments and fragments back.

    Each piece is copied out of the buffer once (a fragment is its ``moof`` and
    ``mdat`` together, adjacent in the stream), and the consumed bytes are dropped
    once per feed, so a chunk of many fragments costs one pass.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._ftyp = b""

    def feed(self, chunk: bytes) -> list[Piece]:
        buf = self._buf
        buf += chunk
        out: list[Piece] = []
        pos = 0
        with memoryview(buf) as mv:
            while True:
                head = _box_head(buf, pos)
                if head is None:
                    break
                size, kind = head
                end = pos + size
                if kind == b"moof":
                    mdat = _box_head(buf, end)
                    if mdat is None or end + mdat[0] > len(buf):
                        break
                    if mdat[1] != b"mdat":  # a moof without its media: skip it
                        pos = end
                        continue
                    frag = bytes(mv[pos : end + mdat[0]])
                    out.append(Piece("fragment", frag, is_keyframe(frag)))
                    pos = end + mdat[0]
                    continue
                if end > len(buf):
                    break
                if kind == b"ftyp":
                    self._ftyp = bytes(mv[pos:end])
                elif kind == b"moov":
                    out.append(Piece("init", self._ftyp + bytes(mv[pos:end])))
                pos = end
        if pos:
            del buf[:pos]
        return out


def _box_head(buf: bytearray, pos: int) -> tuple[int, bytes] | None:
    """(size, type) of the box at ``pos`` when its header is there; raises on a corrupt one."""
    if len(buf) - pos < 8:
        return None
    size, kind = struct.unpack_from(">I4s", buf, pos)
    if size == 1:
        if len(buf) - pos < 16:
            return None
        size = struct.unpack_from(">Q", buf, pos + 8)[0]
    if size < 8:
        raise ValueError("corrupt MP4 stream")
    return int(size), bytes(kind)


_NON_SYNC = 0x00010000


def is_keyframe(moof: bytes) -> bool:
    """Whether the first sample of this ``moof`` is a sync sample."""
    traf = find(moof, [b"moof", b"traf"])
    if traf is None:
        return False
    default_flags: int | None = None
    for kind, body, _ in boxes(moof, *traf):
        if kind == b"tfhd":
            flags = int.from_bytes(moof[body + 1 : body + 4], "big")
            pos = body + 8  # version/flags, track_ID
            if flags & 0x01:
                pos += 8
            if flags & 0x02:
                pos += 4
            if flags & 0x08:
                pos += 4
            if flags & 0x10:
                pos += 4
            if flags & 0x20:
                default_flags = struct.unpack_from(">I", moof, pos)[0]
        elif kind == b"trun":
            flags = int.from_bytes(moof[body + 1 : body + 4], "big")
            pos = body + 8  # version/flags, sample_count
            if flags & 0x01:
                pos += 4
            if flags & 0x04:
                return not struct.unpack_from(">I", moof, pos)[0] & _NON_SYNC
            if flags & 0x400:  # per-sample flags: the first sample's
                pos += 4
                if flags & 0x100:
                    pos += 4
                if flags & 0x200:
                    pos += 4
                return not struct.unpack_from(">I", moof, pos)[0] & _NON_SYNC
    if default_flags is not None:
        return not default_flags & _NON_SYNC
    return False


def codec_string(init: bytes) -> str:
    """The RFC 6381 codec of the first video track, e.g. ``avc1.64001f``."""
    stsd = find(init, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    if stsd is None:
        return ""
    entries = stsd[0] + 8  # version/flags, entry_count
    for kind, body, end in boxes(init, entries, stsd[1]):
        name = kind.decode("latin-1")
        if kind in (b"avc1", b"avc3"):
            cfg = find(init, [b"avcC"], body + 78, end)
            if cfg is None:
                return name
            p, c, lvl = init[cfg[0] + 1], init[cfg[0] + 2], init[cfg[0] + 3]
            return f"{name}.{p:02x}{c:02x}{lvl:02x}"
        if kind in (b"hvc1", b"hev1"):
            return f"{name}.1.6.L93.B0"
        return name
    return ""


def video_size(init: bytes) -> tuple[int, int]:
    """Width and height from the first track header (``tkhd``)."""
    tkhd = find(init, [b"moov", b"trak", b"tkhd"])
    if tkhd is None:
        return 0, 0
    body, _ = tkhd
    version = init[body]
    off = body + (88 if version == 1 else 76)
    width, height = struct.unpack_from(">II", init, off)
    return width >> 16, height >> 16


def timescale(init: bytes) -> int:
    """Ticks a second of the first track's media time (``mdhd``); 0 when not found."""
    mdhd = find(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if mdhd is None:
        return 0
    body, end = mdhd
    off = body + (20 if init[body] == 1 else 12)  # version/flags, creation, modification
    if off + 4 > end:
        return 0
    return int(struct.unpack_from(">I", init, off)[0])


def decode_time(moof: bytes) -> int | None:
    """The fragment's first decode time (``tfdt``, in the track's ticks); None without one."""
    tfdt = find(moof, [b"moof", b"traf", b"tfdt"])
    if tfdt is None:
        return None
    body, end = tfdt
    if moof[body] == 1:
        return int(struct.unpack_from(">Q", moof, body + 4)[0]) if body + 12 <= end else None
    return int(struct.unpack_from(">I", moof, body + 4)[0]) if body + 8 <= end else None
