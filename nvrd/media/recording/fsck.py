"""The consistency check between recording files and the index (``nvrd check``).

Invariants (docs/design/storage.md):

1. every row points at an existing file of the row's size;
2. every segment file under a storage root has a row;
3. no row is left marked for deletion;
4. no run journal is left over.

At start-up, and with ``nvrd check --repair``, violations are repaired: a
file without a row is cut back to its last complete fragment and indexed
(start from its run's journal, else from its name; a file still under its
``writing/`` name is renamed to its start), or removed when nothing in it is
playable; a row without a file is removed; a marked row has its
file and row deleted; journals are removed once their segments are indexed.
Read-only storage is only reported, never changed.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from nvrd.config import StorageSettings
from nvrd.media.recording.indexer import Finished, index_finished
from nvrd.media.recording.mp4 import scan
from nvrd.media.recording.probe import probe
from nvrd.media.recording.segments import (
    Journal,
    fsync_dir,
    is_segment_name,
    is_writing_name,
    name_time_ms,
    run_of,
)
from nvrd.store.recordings import DELETING, RecordingIndex

log = logging.getLogger("nvrd.fsck")
_CHDIR = re.compile(r"^ch(\d+)(sub)?$")


@dataclass(frozen=True)
class Finding:
    kind: str  # "orphan-file", "missing-file", "size-mismatch", "marked-row", "journal"
    path: str
    detail: str = ""
    repaired: bool = False


def _segment_files(root: Path) -> list[tuple[int, str, Path]]:
    """Every segment file under a root: its channel, its stream and its path."""
    out: list[tuple[int, str, Path]] = []
    if not root.is_dir():
        return out
    for chdir in sorted(root.iterdir()):
        m = _CHDIR.match(chdir.name)
        if not m or not chdir.is_dir():
            continue
        for f in sorted(chdir.glob("*/*.mp4")):
            if is_segment_name(f) or is_writing_name(f):
                out.append((int(m.group(1)), m.group(2) or "main", f))
    return out


def _start_from_mtime(path: Path) -> int | None:
    """A file ffmpeg was writing when nvrd died, with no journal line: it ends about when it
    was last written, so it starts that long before (blocking)."""
    if scan(path).complete == 0:
        return path.stat().st_mtime_ns // 1_000_000
    return path.stat().st_mtime_ns // 1_000_000 - probe(path, count_packets=True).duration_ms


async def _orphan_start(f: Path, journals: dict[str, int], rel: str) -> int | None:
    start = journals.get(rel) or name_time_ms(f)
    if start is None and is_writing_name(f):
        try:
            start = await asyncio.to_thread(_start_from_mtime, f)
        except Exception as exc:  # PyAV raises several kinds for a corrupt file
            log.error("segment unreadable", extra={"path": str(f), "error": str(exc)})
    return start


async def check_root(
    index: RecordingIndex, storage: StorageSettings, repair: bool
) -> list[Finding]:
    root = storage.path
    repair = repair and storage.usage != 0
    findings: list[Finding] = []
    rows = await index.in_root(str(root))
    by_path = {r.rel_path: r for r in rows}
    for r in rows:
        path = root / r.rel_path
        if r.state == DELETING:
            if repair:
                path.unlink(missing_ok=True)
                await index.remove([r.file_id])
            findings.append(Finding("marked-row", r.rel_path, "deletion unfinished", repair))
        elif not path.exists():
            if repair:
                await index.remove([r.file_id])
            findings.append(Finding("missing-file", r.rel_path, f"fileId {r.file_id}", repair))
        elif path.stat().st_size != r.size:
            findings.append(
                Finding("size-mismatch", r.rel_path, f"{path.stat().st_size} != {r.size}")
            )
    journals: dict[str, int] = {}
    journal_files: list[Path] = []
    for chdir in root.glob("ch*"):
        for jf in Journal.all_in(chdir):
            journal_files.append(jf)
            journals.update(Journal.read_file(jf))
    for chid, stream, f in await asyncio.to_thread(_segment_files, root):
        rel = f.relative_to(root).as_posix()
        if rel in by_path:
            continue
        detail = "indexed"
        start = await _orphan_start(f, journals, rel) if repair else None
        if start is not None:
            run = run_of(f) if is_writing_name(f) else None
            file_id = await index_finished(index, Finished(chid, root, f, start, None, run, stream))
            detail = f"indexed as fileId {file_id}" if file_id else "removed (nothing playable)"
        findings.append(Finding("orphan-file", rel, detail if repair else "no row", repair))
    for jf in journal_files:
        if repair:
            jf.unlink(missing_ok=True)
            fsync_dir(jf.parent)
        findings.append(Finding("journal", jf.relative_to(root).as_posix(), "", repair))
    return findings


async def check_all(
    index: RecordingIndex, paths: list[StorageSettings], repair: bool
) -> list[Finding]:
    findings: list[Finding] = []
    for storage in paths:
        if storage.usage == -1:
            continue
        found = await check_root(index, storage, repair)
        for f in found:
            log.warning(
                "storage check",
                extra={"kind": f.kind, "path": f.path, "detail": f.detail, "repaired": f.repaired},
            )
        findings.extend(found)
    return findings
