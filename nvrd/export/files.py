"""Writing export files (blocking; call from a thread): an assembled MP4, its subtitles,
optionally both in one AES-256 encrypted zip, with their MD5.

:class:`Progress` is shared with the event loop: the thread adds the bytes
it has written and stops at the next chunk once ``cancelled`` is set.

Encryption: WinZip AES (AE-2) with a 256-bit key derived from the password
(PBKDF2-HMAC-SHA1, 1000 rounds, random salt per entry, as the format
defines) through pyzipper; entries are stored (video does not compress).
7-Zip, WinZip, ``bsdtar``/libarchive and pyzipper open it with the password.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyzipper

from nvrd.export.plan import Plan, Stopped, copy_to, read


class Cancelled(Exception):
    """The export was cancelled while a file was being written."""


@dataclass
class Progress:
    done: int = 0
    cancelled: bool = False


@dataclass(frozen=True)
class Written:
    path: Path
    size: int
    md5: str | None = None


@dataclass(frozen=True)
class Member:
    """One file of an export file set: an assembled video or a small text."""

    name: str
    plan: Plan | None = None
    text: bytes = b""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return self.plan.size if self.plan is not None else len(self.text)


class _Sink(Protocol):
    def write(self, data: bytes, /) -> object: ...


def _chunks(m: Member) -> Iterable[bytes]:
    if m.plan is not None:
        yield from read(m.plan)
    elif m.text:
        yield m.text


def _pour(m: Member, sink: _Sink, progress: Progress, digest: hashlib._Hash | None) -> None:
    for chunk in _chunks(m):
        if progress.cancelled:
            raise Cancelled
        sink.write(chunk)
        if digest is not None:
            digest.update(chunk)
        progress.done += len(chunk)


def write_member(m: Member, folder: Path, progress: Progress, md5: bool) -> Written:
    path = folder / m.name
    digest = hashlib.md5(usedforsecurity=False) if md5 else None
    try:
        with path.open("wb") as f:
            if m.plan is not None and digest is None:
                _copy(m.plan, f.fileno(), progress)
            else:
                _pour(m, f, progress, digest)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Written(path, path.stat().st_size, digest.hexdigest() if digest else None)


def _copy(plan: Plan, fd: int, progress: Progress) -> None:
    def tick(n: int) -> bool:
        progress.done += n
        return not progress.cancelled

    try:
        copy_to(plan, fd, tick)
    except Stopped:
        raise Cancelled from None


def write_zip(
    members: list[Member], path: Path, password: bytes, progress: Progress, md5: bool
) -> Written:
    """``members`` in one AES-256 encrypted zip at ``path``.

    A write that fails (the disk is full) raises its own ``OSError``: the zip is written
    into a file nvrd opened, so pyzipper's refusal to close a zip whose member is still
    open (a ``ValueError`` that would hide the ``ENOSPC``) never happens.
    """
    try:
        with path.open("wb") as raw:
            zf = pyzipper.AESZipFile(
                raw, "w", compression=pyzipper.ZIP_STORED, encryption=pyzipper.WZ_AES
            )
            try:
                zf.setpassword(password)
                zf.setencryption(pyzipper.WZ_AES, nbits=256)
                for m in members:
                    info = zf.zipinfo_cls(m.name, date_time=_zip_time(m))
                    info.file_size = m.size
                    info.compress_type = pyzipper.ZIP_STORED
                    info.external_attr = 0o600 << 16
                    with zf.open(info, "w") as dst:
                        _pour(m, dst, progress, None)
                zf.close()
            finally:
                zf.fp = None  # after a failure: nothing more to write (nor on collection)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return Written(path, path.stat().st_size, file_md5(path) if md5 else None)


def _zip_time(m: Member) -> tuple[int, int, int, int, int, int]:
    stamp = m.extra.get("zip_time")
    if stamp:
        y, mo, d, h, mi, s = (int(p) for p in stamp.split(","))
        return (max(1980, y), mo, d, h, mi, s)
    return (1980, 1, 1, 0, 0, 0)


def file_md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def free_bytes(path: Path) -> int:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize
