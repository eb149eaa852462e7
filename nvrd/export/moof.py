"""Movie fragments of an assembled MP4: rebuilt from a fragment table, or patched in place.

A rebuilt ``moof`` names every sample explicitly (duration, size, flags and,
when any is non-zero, the composition offset), so it depends on nothing in
the ``trex`` defaults of the source file; its size follows from the sample
count alone (:func:`moof_size`), which is what lets a plan know its exact
length before a byte is read. A copied fragment keeps its bytes and only has
its sequence number and decode time overwritten (:func:`patch`), which needs
the source's ``tfdt`` to be 64-bit (ffmpeg always writes version 1).
"""

from __future__ import annotations

import struct
import sys
from array import array
from collections.abc import Sequence

from nvrd.export.boxes import BoxError, box, children, full_box, need, parse_header, version_flags

TRACK_ID = 1
#: Offset of the sequence number in a rebuilt moof (moof header, mfhd header, version/flags).
SEQUENCE_AT = 20
_TFHD_DEFAULT_BASE_IS_MOOF = 0x020000
_TFHD_SAMPLE_DESCRIPTION = 0x000002
_TRUN_FLAGS = 0x000001 | 0x000100 | 0x000200 | 0x000400
_TRUN_CTO = 0x000800


def moof_size(count: int, with_cto: bool, with_entry: bool) -> int:
    """Bytes of :func:`build_moof`'s ``moof`` for ``count`` samples."""
    per = 16 if with_cto else 12
    tfhd = 16 + (4 if with_entry else 0)
    trun = 20 + per * count
    return 8 + 16 + 8 + tfhd + 20 + trun


def mdat_header(length: int) -> bytes:
    if length + 8 > 0xFFFFFFFF:
        return struct.pack(">I4sQ", 1, b"mdat", length + 16)
    return struct.pack(">I4s", length + 8, b"mdat")


def build_moof(
    sequence: int,
    decode_time: int,
    durations: Sequence[int],
    sizes: Sequence[int],
    flags: Sequence[int],
    ctos: Sequence[int],
    entry: int | None,
) -> bytes:
    """``moof`` for samples whose bytes follow in the next ``mdat`` (header included by the
    caller). ``entry``: the sample description index, or ``None`` for the default (1)."""
    count = len(sizes)
    with_cto = any(ctos)
    tf_flags = _TFHD_DEFAULT_BASE_IS_MOOF | (_TFHD_SAMPLE_DESCRIPTION if entry else 0)
    tfhd_body = struct.pack(">I", TRACK_ID) + (struct.pack(">I", entry) if entry else b"")
    tfhd = full_box(b"tfhd", 0, tf_flags, tfhd_body)
    tfdt = full_box(b"tfdt", 1, 0, struct.pack(">Q", decode_time))
    size = moof_size(count, with_cto, entry is not None)
    data_offset = size + 8  # the samples start right after this moof and the mdat header
    if with_cto:
        rows = array("I")
        for d, s, f, c in zip(durations, sizes, flags, ctos, strict=True):
            rows.extend((d, s, f, c & 0xFFFFFFFF))
        trun_flags = _TRUN_FLAGS | _TRUN_CTO
    else:
        rows = array("I", [0]) * (3 * count)
        rows[0::3] = array("I", durations)
        rows[1::3] = array("I", sizes)
        rows[2::3] = array("I", flags)
        trun_flags = _TRUN_FLAGS
    if sys.byteorder == "little":
        rows.byteswap()
    trun = full_box(b"trun", 1, trun_flags, struct.pack(">Ii", count, data_offset), rows.tobytes())
    mfhd = full_box(b"mfhd", 0, 0, struct.pack(">I", sequence))
    out = box(b"moof", mfhd, box(b"traf", tfhd, tfdt, trun))
    if len(out) != size:
        raise AssertionError("moof size mismatch")
    return out


def patch_points(moof: bytes) -> tuple[int, int, int]:
    """Offsets (in ``moof``) of the ``mfhd`` sequence number, the ``tfhd`` track id and
    the 64-bit ``tfdt`` decode time. Raises BoxError when the fragment cannot be patched
    in place (more than one track, a 32-bit ``tfdt``, an explicit sample entry)."""
    top = parse_header(moof, 0, len(moof))
    if top.type != b"moof":
        raise BoxError("not a moof")
    mfhd = need(moof, top, b"mfhd")
    trafs = [b for b in children(moof, top.body, top.end) if b.type == b"traf"]
    if len(trafs) != 1:
        raise BoxError("a fragment with other than one track")
    tfhd = need(moof, trafs[0], b"tfhd")
    _, tf_flags = version_flags(moof, tfhd)
    if tf_flags & _TFHD_SAMPLE_DESCRIPTION:
        raise BoxError("explicit sample description")
    tfdt = need(moof, trafs[0], b"tfdt")
    version, _ = version_flags(moof, tfdt)
    if version != 1:
        raise BoxError("32-bit tfdt")
    return mfhd.body + 4, tfhd.body + 4, tfdt.body + 4


def patch(moof: bytes, sequence: int, shift: int) -> tuple[bytes, int]:
    """``moof`` with its sequence number set and its decode time moved by ``shift``;
    also returns the new decode time."""
    seq_at, track_at, dt_at = patch_points(moof)
    buf = bytearray(moof)
    struct.pack_into(">I", buf, seq_at, sequence)
    struct.pack_into(">I", buf, track_at, TRACK_ID)
    decode = int(struct.unpack_from(">Q", buf, dt_at)[0]) + shift
    if decode < 0:
        raise BoxError("negative decode time")
    struct.pack_into(">Q", buf, dt_at, decode)
    return bytes(buf), decode
