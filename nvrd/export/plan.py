"""An assembled MP4 as a list of pieces with known lengths, and reading any byte range of it.

A :class:`Plan` is the init segment followed by pieces: bytes held in
memory (a rebuilt ``moof`` and its ``mdat`` header), byte ranges of source
files (sample data), and whole runs of a source segment's fragments copied
with their ``moof`` patched on the way (:class:`CopiedRun`). Every length is
known when the plan is made, so the total is the exact ``Content-Length``
and any range can be served by seeking to the piece that holds it.

Reading is blocking (``os.pread``); :func:`read` is meant to run in a thread.
A source file that has disappeared since the plan was made raises
:class:`SourceGone`: the bytes promised can no longer be delivered.
"""

from __future__ import annotations

import bisect
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nvrd.export.boxes import BoxError, parse_header
from nvrd.export.moof import SEQUENCE_AT, patch

CHUNK = 1024 * 1024


class SourceGone(OSError):
    """A source segment vanished (retention) or changed while being read."""


@dataclass(frozen=True)
class Bytes:
    data: bytes
    #: a rebuilt ``moof`` (+ ``mdat`` header) whose sequence number is set when read
    moof: bool = False

    @property
    def length(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FileRange:
    source: int  # index into Plan.sources
    offset: int
    length: int


@dataclass(frozen=True)
class CopiedRun:
    """Fragments ``[start, end)`` of a source file, decode times moved by ``shift``."""

    source: int
    start: int
    end: int
    shift: int

    @property
    def length(self) -> int:
        return self.end - self.start


Piece = Bytes | FileRange | CopiedRun


@dataclass
class Plan:
    sources: list[Path]
    pieces: list[Piece]
    start_ms: int = 0  # wall-clock time of the first presented instant
    duration_ms: int = 0
    offsets: list[int] = field(default_factory=list)
    #: fragments in each copied run, learnt when first needed
    counts: dict[int, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.offsets = []
        total = 0
        for p in self.pieces:
            self.offsets.append(total)
            total += p.length
        self.size = total


class _Files:
    def __init__(self, sources: list[Path]):
        self.sources = sources
        self.fds: dict[int, int] = {}

    def fd(self, index: int) -> int:
        fd = self.fds.get(index)
        if fd is None:
            try:
                fd = os.open(self.sources[index], os.O_RDONLY)
            except FileNotFoundError:
                raise SourceGone(f"{self.sources[index]} is gone") from None
            self.fds[index] = fd
        return fd

    def pread(self, index: int, length: int, offset: int) -> bytes:
        data = os.pread(self.fd(index), length, offset)
        if len(data) != length:
            raise SourceGone(f"{self.sources[index]} is shorter than planned")
        return data

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()


#: ``(source, offset, length)``: bytes to take from a source file.
Span = tuple[int, int, int]


def _file_range(files: _Files, src: int, offset: int, length: int) -> Iterator[Span]:
    if length > 0:
        yield (src, offset, length)


class _Sequence:
    def __init__(self, value: int):
        self.value = value


def _copied(
    files: _Files, run: CopiedRun, lo: int, hi: int, seq: _Sequence, count_only: bool = False
) -> Iterator[bytes | Span]:
    """Bytes ``[lo, hi)`` (relative to the run) of a copied run; ``seq`` is the sequence
    number of the run's first fragment and ends as the one after its last."""
    pos = run.start
    sequence = seq.value
    while pos < run.end and (pos - run.start < hi or count_only):
        head = files.pread(run.source, min(16, run.end - pos), pos)
        try:
            b = parse_header(head, 0, run.end - pos)
        except BoxError as exc:
            raise SourceGone(f"{files.sources[run.source]}: {exc}") from None
        rel, rel_end = pos - run.start, pos - run.start + b.size
        if b.type == b"moof":
            if rel_end > lo and rel < hi:
                try:
                    moof, _ = patch(files.pread(run.source, b.size, pos), sequence, run.shift)
                except BoxError as exc:
                    raise SourceGone(f"{files.sources[run.source]}: {exc}") from None
                yield moof[max(0, lo - rel) : min(b.size, hi - rel)]
            sequence += 1
        elif rel_end > lo and rel < hi:
            a, z = max(rel, lo), min(rel_end, hi)
            yield from _file_range(files, run.source, run.start + a, z - a)
        pos += b.size
    seq.value = sequence


def _count(files: _Files, run: CopiedRun) -> int:
    seq = _Sequence(0)
    for _ in _copied(files, run, 0, 0, seq, count_only=True):
        pass
    return seq.value


def _sequence_before(plan: Plan, files: _Files, index: int) -> int:
    n = 1
    for i, piece in enumerate(plan.pieces[:index]):
        if isinstance(piece, Bytes) and piece.moof:
            n += 1
        elif isinstance(piece, CopiedRun):
            if i not in plan.counts:
                plan.counts[i] = _count(files, piece)
            n += plan.counts[i]
    return n


def _parts(plan: Plan, files: _Files, start: int, stop: int) -> Iterator[bytes | Span]:
    """The bytes ``[start, stop)`` as data held in memory and spans of source files."""
    i = bisect.bisect_right(plan.offsets, start) - 1
    seq = _Sequence(_sequence_before(plan, files, i))
    while i < len(plan.pieces) and plan.offsets[i] < stop:
        piece, base = plan.pieces[i], plan.offsets[i]
        lo, hi = max(0, start - base), min(piece.length, stop - base)
        if isinstance(piece, Bytes):
            data = piece.data
            if piece.moof:
                number = seq.value.to_bytes(4, "big")
                data = data[:SEQUENCE_AT] + number + data[SEQUENCE_AT + 4 :]
                seq.value += 1
            yield data[lo:hi]
        elif isinstance(piece, FileRange):
            yield from _file_range(files, piece.source, piece.offset + lo, hi - lo)
        else:
            first = seq.value
            yield from _copied(files, piece, lo, hi, seq)
            if hi == piece.length:
                plan.counts.setdefault(i, seq.value - first)
        i += 1


def read(plan: Plan, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """The bytes ``[start, end)`` of the assembled file, in chunks of at most ``CHUNK``."""
    stop = plan.size if end is None else min(end, plan.size)
    if start >= stop:
        return
    files = _Files(plan.sources)
    try:
        for part in _parts(plan, files, start, stop):
            if isinstance(part, bytes):
                yield part
                continue
            src, offset, length = part
            done = 0
            while done < length:
                n = min(CHUNK, length - done)
                yield files.pread(src, n, offset + done)
                done += n
    finally:
        files.close()


def copy_to(plan: Plan, out: int, tick: Callable[[int], bool]) -> None:
    """Write the whole file to the file descriptor ``out`` at its position, copying the
    video bytes inside the kernel (``copy_file_range``) where it can. ``tick(n)`` is told
    of each chunk written; it returns False to stop (then :class:`Stopped` is raised)."""
    files = _Files(plan.sources)
    kernel = hasattr(os, "copy_file_range")
    try:
        for part in _parts(plan, files, 0, plan.size):
            if isinstance(part, bytes):
                _write_all(out, part)
                if not tick(len(part)):
                    raise Stopped
                continue
            src, offset, length = part
            done = 0
            while done < length:
                n = min(8 * CHUNK, length - done)
                copied = 0
                if kernel:
                    try:
                        copied = os.copy_file_range(files.fd(src), out, n, offset + done)
                    except OSError:
                        kernel = False
                if not copied:
                    _write_all(out, files.pread(src, n, offset + done))
                    copied = n
                done += copied
                if not tick(copied):
                    raise Stopped
    finally:
        files.close()


class Stopped(Exception):
    """:func:`copy_to` was told to stop."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
