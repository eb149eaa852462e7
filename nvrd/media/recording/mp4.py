"""Just enough ISO BMFF (MP4) to find where a fragmented file stops being whole.

A recorder segment is ``ftyp``, ``moov``, then ``moof``+``mdat`` pairs, one
per keyframe. A crash can cut the file anywhere; everything up to the end of
the last complete ``mdat`` that follows a ``moof`` is playable.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Layout:
    size: int  # bytes on disk
    complete: int  # bytes up to the end of the last complete fragment (0: nothing usable)
    fragments: int  # complete moof+mdat pairs
    has_moov: bool


def scan(path: Path) -> Layout:
    size = path.stat().st_size
    complete = 0
    fragments = 0
    has_moov = False
    pending_moof = False
    offset = 0
    with path.open("rb") as f:
        while offset + 8 <= size:
            f.seek(offset)
            header = f.read(16)
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if box_size == 1:
                if len(header) < 16:
                    break
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:
                box_size = size - offset
            if box_size < 8 or offset + box_size > size:
                break  # a box cut short: the file ends being whole here
            end = offset + box_size
            if box_type == b"moov":
                has_moov = True
                complete = end
            elif box_type == b"moof":
                pending_moof = True
            elif box_type == b"mdat" and pending_moof:
                pending_moof = False
                fragments += 1
                complete = end
            elif box_type == b"ftyp" or (box_type in (b"mfra", b"free", b"skip") and complete):
                complete = max(complete, end)
            offset = end
    if not has_moov or fragments == 0:
        complete = 0
    return Layout(size, complete, fragments, has_moov)


def truncate_to_complete(path: Path) -> Layout:
    """Cut a segment back to its last complete fragment and fsync it."""
    layout = scan(path)
    if layout.complete and layout.complete < layout.size:
        fd = os.open(path, os.O_WRONLY)
        try:
            os.ftruncate(fd, layout.complete)
            os.fsync(fd)
        finally:
            os.close(fd)
        return Layout(layout.complete, layout.complete, layout.fragments, layout.has_moov)
    return layout
