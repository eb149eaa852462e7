"""Searches over the recording index by time (the read side of ``recordings``).

Only rows with ``state == NORMAL`` are found: a row that retention is
deleting is already gone for clients. Every query filters on ``chid`` and a
``start_ms`` range so that ``ix_recordings_chid_start`` serves it.

The recorder cuts segments of at most 15 minutes (``segment_seconds <= 900``),
ending at the next keyframe, so a little longer. :data:`MAX_SEGMENT_MS`
bounds that generously and turns "overlaps ``[begin, end)``" into a
``start_ms`` range (``begin - MAX_SEGMENT_MS < start_ms < end``) the index
can scan.

recDays over unlimited time groups in SQL on 15-minute UTC buckets
(:meth:`RecordingSearch.day_buckets`): the buckets holding the first and the
last millisecond of each segment's part inside the window. A segment of up
to 15 minutes touches no other bucket; a longer one (up to a day) may skip
middle buckets, but never a local day, because every local day it touches
also holds its first or its last millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Select, and_, case, literal, literal_column, or_, select, union
from sqlalchemy.ext.asyncio import AsyncEngine

from nvrd.core.recbuckets import BUCKET_MS
from nvrd.store.recordings import MAIN, NORMAL, Segment, row_segment
from nvrd.store.schema import recordings

#: Longer than any segment the recorder writes (15 minutes plus a keyframe interval).
MAX_SEGMENT_MS = 3_600_000

_r = recordings.c


def _window(begin_ms: int | None, end_ms: int | None, stream: str = MAIN) -> list[Any]:
    """Conditions for "overlaps ``[begin_ms, end_ms)``" (``None`` = unbounded), in one
    stream of the channels (the main one unless asked)."""
    cond: list[Any] = [_r.state == NORMAL, _r.stream == stream]
    if begin_ms is not None:
        cond.append(_r.end_ms > begin_ms)
        cond.append(_r.start_ms > begin_ms - MAX_SEGMENT_MS)
    if end_ms is not None:
        cond.append(_r.start_ms < end_ms)
    return cond


def _channels(chids: Sequence[int] | None) -> list[Any]:
    return [] if chids is None else [_r.chid.in_(list(chids))]


class RecordingSearch:
    def __init__(self, engine: AsyncEngine):
        self._engine = engine

    async def _segments(self, query: Select[Any]) -> list[Segment]:
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return [row_segment(r) for r in rows]

    async def intervals(
        self, chids: Sequence[int] | None, begin_ms: int | None, end_ms: int | None
    ) -> dict[int, list[tuple[int, int]]]:
        """Per channel, ``(start_ms, end_ms)`` of the segments overlapping the window,
        ordered by start (meant for windows of a few days: recMinutes)."""
        query = (
            select(_r.chid, _r.start_ms, _r.end_ms)
            .where(*_channels(chids), *_window(begin_ms, end_ms))
            .order_by(_r.chid, _r.start_ms)
        )
        out: dict[int, list[tuple[int, int]]] = {}
        async with self._engine.connect() as conn:
            for chid, start, end in (await conn.execute(query)).all():
                out.setdefault(int(chid), []).append((int(start), int(end)))
        return out

    async def day_buckets(
        self, chids: Sequence[int] | None, begin_ms: int | None, end_ms: int | None
    ) -> dict[int, list[int]]:
        """Per channel, the sorted start times (ms) of the 15-minute UTC buckets that hold
        the first or the last recorded millisecond, inside the window, of each segment
        overlapping it (recDays over any time span).

        The database does the grouping (``UNION`` of both bucket lists; integer ``/`` on
        integer operands truncates on SQLite and PostgreSQL alike), so a year of
        recording returns at most 35,040 rows per channel, not every segment. Buckets
        may stick out of the window: clip them to it.
        """
        # Typed integer literals: ``//`` then renders as the plain integer ``/`` of both
        # engines (no FLOOR, no NUMERIC cast).
        size = literal_column(str(BUCKET_MS), BigInteger)
        one = literal_column("1", BigInteger)
        start: Any = _r.start_ms
        end: Any = _r.end_ms
        if begin_ms is not None:
            start = case((_r.start_ms < begin_ms, literal(begin_ms, BigInteger)), else_=start)
        if end_ms is not None:
            end = case((_r.end_ms > end_ms, literal(end_ms, BigInteger)), else_=end)
        cond = [*_channels(chids), *_window(begin_ms, end_ms), _r.end_ms > _r.start_ms]
        first = select(_r.chid.label("chid"), (start // size).label("bucket"))
        last = select(_r.chid.label("chid"), ((end - one) // size).label("bucket"))
        both = union(first.where(*cond), last.where(*cond)).subquery()
        query = select(both.c.chid, both.c.bucket).order_by(both.c.chid, both.c.bucket)
        out: dict[int, list[int]] = {}
        async with self._engine.connect() as conn:
            for chid, bucket in (await conn.execute(query)).all():
                out.setdefault(int(chid), []).append(int(bucket) * BUCKET_MS)
        return out

    async def file(self, file_id: int) -> Segment | None:
        """One file by ``fileId`` (``None`` if unknown or being deleted)."""
        found = await self._segments(
            select(recordings).where(_r.file_id == file_id, _r.state == NORMAL)
        )
        return found[0] if found else None

    async def overlapping(
        self, chid: int, begin_ms: int, end_ms: int, limit: int, stream: str = MAIN
    ) -> list[Segment]:
        """Files of ``chid`` (of ``stream``) overlapping ``[begin_ms, end_ms)``, oldest first."""
        return await self._segments(
            select(recordings)
            .where(_r.chid == chid, *_window(begin_ms, end_ms, stream))
            .order_by(_r.start_ms, _r.file_id)
            .limit(limit)
        )

    async def from_id(self, file_id: int, limit: int) -> list[Segment]:
        """That file and the following files of its channel (by ``start_ms``, ``fileId``)."""
        ref = await self.file(file_id)
        if ref is None:
            return []
        return [ref, *await self._following(ref, limit - 1)] if limit > 0 else []

    async def after(self, chid: int, file_id: int, limit: int) -> list[Segment]:
        """The files of ``chid`` after that file, oldest first (``[]`` if the file is
        unknown or belongs to another channel)."""
        ref = await self.file(file_id)
        if ref is None or ref.chid != chid:
            return []
        return await self._following(ref, limit)

    async def before(self, chid: int, file_id: int, limit: int) -> list[Segment]:
        """The files of ``chid`` before that file, **nearest first** (descending time),
        for continuous backward playback (``[]`` if the file is unknown or of another
        channel)."""
        ref = await self.file(file_id)
        if ref is None or ref.chid != chid or limit <= 0:
            return []
        earlier = or_(
            _r.start_ms < ref.start_ms,
            and_(_r.start_ms == ref.start_ms, _r.file_id < ref.file_id),
        )
        return await self._segments(
            select(recordings)
            .where(_r.chid == ref.chid, _r.stream == ref.stream, _r.state == NORMAL, earlier)
            .order_by(_r.start_ms.desc(), _r.file_id.desc())
            .limit(limit)
        )

    async def _following(self, ref: Segment, limit: int) -> list[Segment]:
        if limit <= 0:
            return []
        later = or_(
            _r.start_ms > ref.start_ms,
            and_(_r.start_ms == ref.start_ms, _r.file_id > ref.file_id),
        )
        return await self._segments(
            select(recordings)
            .where(_r.chid == ref.chid, _r.stream == ref.stream, _r.state == NORMAL, later)
            .order_by(_r.start_ms, _r.file_id)
            .limit(limit)
        )

    async def nearest_before(
        self, chid: int, t_ms: int, limit: int, stream: str = MAIN
    ) -> list[Segment]:
        """Files of ``chid`` starting before ``t_ms``, nearest first (descending time)."""
        return await self._segments(
            select(recordings)
            .where(_r.chid == chid, _r.stream == stream, _r.state == NORMAL, _r.start_ms < t_ms)
            .order_by(_r.start_ms.desc(), _r.file_id.desc())
            .limit(limit)
        )

    async def nearest_after(
        self, chid: int, t_ms: int, limit: int, stream: str = MAIN
    ) -> list[Segment]:
        """Files of ``chid`` starting at or after ``t_ms``, nearest first (ascending)."""
        return await self._segments(
            select(recordings)
            .where(_r.chid == chid, _r.stream == stream, _r.state == NORMAL, _r.start_ms >= t_ms)
            .order_by(_r.start_ms, _r.file_id)
            .limit(limit)
        )
