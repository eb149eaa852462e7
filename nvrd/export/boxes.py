"""ISO BMFF (MP4) boxes: read headers and children, write boxes (pure).

Only what evidence export needs: walking a recorded segment's top-level
boxes and the ``moov`` tree, and writing plain and full boxes. Every size
read from a file is checked against the bytes that hold it, so a damaged
file raises :class:`BoxError` instead of reading past its end.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

#: Boxes whose payload is a sequence of boxes (those export looks into).
CONTAINERS = frozenset(
    {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"mvex", b"moof", b"traf", b"edts", b"dinf"}
)

#: Seconds from 1904-01-01 (the MP4 epoch) to 1970-01-01.
MP4_EPOCH_OFFSET = 2_082_844_800


class BoxError(ValueError):
    """A box whose size or content does not fit the bytes that hold it."""


@dataclass(frozen=True)
class Box:
    type: bytes
    offset: int  # of the header, relative to the buffer or file walked
    header: int  # header length (8, or 16 for a 64-bit size)
    size: int  # header included

    @property
    def end(self) -> int:
        return self.offset + self.size

    @property
    def body(self) -> int:
        return self.offset + self.header


def parse_header(data: bytes, offset: int, limit: int) -> Box:
    """The box header at ``offset`` in ``data``; the box must end by ``limit``."""
    if offset + 8 > len(data) or offset + 8 > limit:
        raise BoxError(f"box header cut short at {offset}")
    size, kind = struct.unpack_from(">I4s", data, offset)
    header = 8
    if size == 1:
        if offset + 16 > len(data):
            raise BoxError(f"64-bit box size cut short at {offset}")
        size = struct.unpack_from(">Q", data, offset + 8)[0]
        header = 16
    elif size == 0:
        size = limit - offset
    if size < header or offset + size > limit:
        raise BoxError(f"box {kind!r} at {offset} claims {size} bytes")
    return Box(kind, offset, header, size)


def children(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes laid one after another in ``data[start:end]``."""
    limit = len(data) if end is None else end
    offset = start
    while offset < limit:
        box = parse_header(data, offset, limit)
        yield box
        offset = box.end


def find(data: bytes, parent: Box | None, kind: bytes) -> Box | None:
    """The first child of ``parent`` (``None``: top level of ``data``) of type ``kind``."""
    start, end = (0, len(data)) if parent is None else (parent.body, parent.end)
    for box in children(data, start, end):
        if box.type == kind:
            return box
    return None


def need(data: bytes, parent: Box | None, kind: bytes) -> Box:
    box = find(data, parent, kind)
    if box is None:
        raise BoxError(f"no {kind!r} box")
    return box


def box(kind: bytes, *payload: bytes) -> bytes:
    body = b"".join(payload)
    if len(body) + 8 > 0xFFFFFFFF:
        return struct.pack(">I4sQ", 1, kind, len(body) + 16) + body
    return struct.pack(">I4s", len(body) + 8, kind) + body


def full_box(kind: bytes, version: int, flags: int, *payload: bytes) -> bytes:
    return box(kind, struct.pack(">I", (version << 24) | (flags & 0xFFFFFF)), *payload)


def version_flags(data: bytes, b: Box) -> tuple[int, int]:
    if b.body + 4 > b.end:
        raise BoxError(f"full box {b.type!r} cut short")
    word = struct.unpack_from(">I", data, b.body)[0]
    return word >> 24, word & 0xFFFFFF


def mp4_time(epoch_ms: int) -> int:
    """Seconds since 1904 (``creation_time`` of ``mvhd``/``tkhd``/``mdhd``)."""
    return epoch_ms // 1000 + MP4_EPOCH_OFFSET
