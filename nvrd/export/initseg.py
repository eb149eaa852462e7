"""The init segment (``ftyp`` + ``moov``) of an assembled MP4 (pure).

Built from the ``moov`` of the first source segment: the same track
(handler, media information, empty sample tables), but with the durations
of the whole assembly (``mvhd``, ``tkhd``, ``mdhd``, ``mehd``; all version 1,
64-bit, so days of video fit), an edit list that starts presentation at the
requested instant inside the first fragment (``media_time`` = the pre-roll
from the keyframe), every distinct sample entry of the sources in ``stsd``,
and user data holding the wall-clock start (``©day``, ISO 8601 with
milliseconds and offset) and a title (``©nam``).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from nvrd.export.boxes import Box, BoxError, box, children, full_box, mp4_time, need, parse_header
from nvrd.export.moof import TRACK_ID

#: ISO 639-2/T "und" packed as in mdhd and QuickTime text atoms.
_UND = 0x55C4
_MOVIE_TIMESCALE = 1000


@dataclass(frozen=True)
class InitSpec:
    ftyp: bytes
    template_moov: bytes  # moov of the first source segment
    timescale: int  # of the media (the track)
    entries: tuple[bytes, ...]  # sample entries, index 1 first
    media_duration: int  # decode-time span of all samples, in ``timescale`` (pre-roll included)
    preroll: int  # media time hidden at the start, in ``timescale``
    presented_ms: int  # what plays: media_duration - preroll, in ms
    start_ms: int  # wall-clock time of the first presented instant (epoch ms)
    start_text: str  # the same as ISO 8601 in server local time
    title: str
    #: the sources' trex defaults (duration, size, flags) that copied fragments rely on
    trex: tuple[int, int, int] = (0, 0, 0)


def _rest(moov: bytes, b: Box, v0_skip: int, v1_skip: int) -> tuple[int, bytes]:
    """Version of a full box and its payload after the fields that are replaced."""
    version = moov[b.body]
    start = b.body + 4 + (v1_skip if version == 1 else v0_skip)
    if start > b.end:
        raise BoxError(f"{b.type!r} cut short")
    return version, moov[start : b.end]


def _mvhd(moov: bytes, b: Box, spec: InitSpec) -> bytes:
    _, rest = _rest(moov, b, 16, 28)
    if len(rest) < 80:
        raise BoxError("mvhd cut short")
    created = mp4_time(spec.start_ms)
    fields = struct.pack(">QQIQ", created, created, _MOVIE_TIMESCALE, spec.presented_ms)
    return full_box(b"mvhd", 1, 0, fields, rest[:76], struct.pack(">I", TRACK_ID + 1))


def _tkhd(moov: bytes, b: Box, spec: InitSpec) -> bytes:
    _, rest = _rest(moov, b, 20, 32)
    created = mp4_time(spec.start_ms)
    fields = struct.pack(">QQIIQ", created, created, TRACK_ID, 0, spec.presented_ms)
    return full_box(b"tkhd", 1, 3, fields, rest)


def _edts(spec: InitSpec) -> bytes:
    entry = struct.pack(">QqhH", spec.presented_ms, spec.preroll, 1, 0)
    return box(b"edts", full_box(b"elst", 1, 0, struct.pack(">I", 1), entry))


def _mdhd(moov: bytes, b: Box, spec: InitSpec) -> bytes:
    _, rest = _rest(moov, b, 16, 28)
    created = mp4_time(spec.start_ms)
    # what plays, as ffmpeg and players read it (the samples themselves are in fragments)
    presented = max(0, spec.media_duration - spec.preroll)
    fields = struct.pack(">QQIQ", created, created, spec.timescale, presented)
    return full_box(
        b"mdhd", 1, 0, fields, rest[:4] if len(rest) >= 4 else struct.pack(">HH", _UND, 0)
    )


def _stsd(spec: InitSpec) -> bytes:
    return full_box(b"stsd", 0, 0, struct.pack(">I", len(spec.entries)), *spec.entries)


def _rebuild(moov: bytes, parent: Box, spec: InitSpec) -> bytes:
    """A container with its children rebuilt (trak, mdia, minf, stbl levels)."""
    out: list[bytes] = []
    for child in children(moov, parent.body, parent.end):
        kind = child.type
        if kind == b"tkhd":
            out.append(_tkhd(moov, child, spec))
            out.append(_edts(spec))
        elif kind == b"edts":
            continue
        elif kind == b"mdhd":
            out.append(_mdhd(moov, child, spec))
        elif kind == b"stsd":
            out.append(_stsd(spec))
        elif kind in (b"mdia", b"minf", b"stbl"):
            out.append(_rebuild(moov, child, spec))
        else:
            out.append(moov[child.offset : child.end])
    return box(parent.type, *out)


def _text(kind: bytes, text: str) -> bytes:
    raw = text.encode("utf-8")
    return box(kind, struct.pack(">HH", len(raw), _UND), raw)


def _udta(spec: InitSpec) -> bytes:
    return box(b"udta", _text(b"\xa9day", spec.start_text), _text(b"\xa9nam", spec.title))


def _mvex(spec: InitSpec) -> bytes:
    mehd = full_box(b"mehd", 1, 0, struct.pack(">Q", spec.presented_ms))
    trex = full_box(b"trex", 0, 0, struct.pack(">IIIII", TRACK_ID, 1, *spec.trex))
    return box(b"mvex", mehd, trex)


def build_init(spec: InitSpec) -> bytes:
    moov = spec.template_moov
    top = parse_header(moov, 0, len(moov))
    mvhd = need(moov, top, b"mvhd")
    trak = need(moov, top, b"trak")
    body = [_mvhd(moov, mvhd, spec), _rebuild(moov, trak, spec), _mvex(spec), _udta(spec)]
    return spec.ftyp + box(b"moov", *body)
