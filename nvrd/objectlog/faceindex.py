"""The face-search index: every stored face embedding in one numpy matrix, in memory.

``/api/searchFace`` compares the photo's embedding with every stored face of
the asked time range and channels. Reading 100,000 embeddings from the
database for each search would take seconds; the index holds them as a
float32 matrix (512 bytes a face, with its id, time and channel beside it)
and answers with one matrix-vector product.

Kept in step with the object log: before each search the rows written
since the last one are read (by id: the one object-log writer inserts in id
order), and the store tells the index the ids retention deleted, which are
then marked gone (the matrix is compacted when more than half is gone). The
first search loads the whole log's faces. At most ``capacity`` faces (the
newest) are held; the rest is not searched. The search itself runs in a
thread (numpy releases the GIL), so the event loop is not held by it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nvrd.core.faces import DIMENSIONS, EMBEDDING_BYTES
from nvrd.store.objects import ObjectLogStore, StoredFace

log = logging.getLogger("nvrd.objects")

#: faces held (about 530 MB): the newest are kept
CAPACITY = 1_000_000
#: rows read from the database at a time
BATCH = 10_000


@dataclass(frozen=True)
class FaceQuery:
    embedding: bytes
    max_distance: float
    begin_ms: int | None = None
    end_ms: int | None = None
    chids: Sequence[int] | None = None
    #: the nearest this many are answered (all are counted)
    limit: int = 50


@dataclass(frozen=True)
class FaceHit:
    id: int
    distance: float


class FaceIndex:
    def __init__(
        self, store: ObjectLogStore, *, capacity: int = CAPACITY, batch: int = BATCH
    ) -> None:
        self.store = store
        self.capacity = capacity
        self.batch = batch
        self._vectors = np.zeros((0, DIMENSIONS), np.float32)
        self._norms = np.zeros(0, np.float32)
        self._ids = np.zeros(0, np.int64)
        self._at = np.zeros(0, np.int64)
        self._chid = np.zeros(0, np.int64)
        self._alive = np.zeros(0, bool)
        self._size = 0
        self._gone = 0
        self._last_id = 0
        self._lock = asyncio.Lock()
        #: entries were written since the last refresh (or none was made yet)
        self._stale = True
        store.on_delete(self.forget)
        store.on_add(self._written)

    def _written(self) -> None:
        self._stale = True

    @property
    def faces(self) -> int:
        """Faces held and not deleted."""
        return self._size - self._gone

    async def refresh(self) -> int:
        """Read the faces written since the last refresh; how many came."""
        came = 0
        self._stale = False
        while True:
            rows = await self.store.faces_after(self._last_id, self.batch)
            if rows:
                self._last_id = rows[-1].id
                came += self._add(rows)
            if len(rows) < self.batch:
                return came

    def _add(self, rows: list[StoredFace]) -> int:
        good = [r for r in rows if r.type == "face" and len(r.embedding) == EMBEDDING_BYTES]
        if not good:
            return 0
        vectors = np.frombuffer(b"".join(r.embedding for r in good), "<f4").reshape(-1, DIMENSIONS)
        finite = np.isfinite(vectors).all(axis=1)
        good = [r for r, ok in zip(good, finite, strict=True) if ok]
        vectors = vectors[finite]
        n = len(good)
        self._reserve(n)
        s = slice(self._size, self._size + n)
        self._vectors[s] = vectors
        self._norms[s] = np.einsum("ij,ij->i", vectors, vectors)
        self._ids[s] = [r.id for r in good]
        self._at[s] = [r.at_ms for r in good]
        self._chid[s] = [r.chid for r in good]
        self._alive[s] = True
        self._size += n
        if self._size > self.capacity:
            self._alive[: self._size - self.capacity] = False
            self._gone = int(self._size - np.count_nonzero(self._alive[: self._size]))
            self._compact()
        return n

    def _reserve(self, n: int) -> None:
        need = self._size + n
        if need <= len(self._ids):
            return
        room = max(need, 2 * len(self._ids), 1024)
        self._vectors = _grown(self._vectors, room, self._size)
        self._norms = _grown(self._norms, room, self._size)
        self._ids = _grown(self._ids, room, self._size)
        self._at = _grown(self._at, room, self._size)
        self._chid = _grown(self._chid, room, self._size)
        self._alive = _grown(self._alive, room, self._size)

    def forget(self, ids: Sequence[int]) -> None:
        """These entries were deleted (the ids held are ascending)."""
        if not ids or not self._size:
            return
        pos = _positions(self._ids[: self._size], np.asarray(sorted(ids), np.int64))
        newly = pos[self._alive[pos]]
        self._alive[newly] = False
        self._gone += len(newly)
        if self._gone > 1000 and self._gone * 2 > self._size:
            self._compact()

    def _compact(self) -> None:
        keep = np.flatnonzero(self._alive[: self._size])
        self._vectors = self._vectors[keep].copy()
        self._norms = self._norms[keep].copy()
        self._ids = self._ids[keep].copy()
        self._at = self._at[keep].copy()
        self._chid = self._chid[keep].copy()
        self._alive = np.ones(len(keep), bool)
        self._size, self._gone = len(keep), 0

    async def search(self, q: FaceQuery) -> tuple[int, list[FaceHit]]:
        """(how many faces lie within ``q.max_distance``, the nearest ``q.limit`` of them
        nearest first)."""
        async with self._lock:
            if self._stale:
                await self.refresh()
            n = self._size
            arrays = (
                self._vectors[:n],
                self._norms[:n],
                self._ids[:n],
                self._at[:n],
                self._chid[:n],
                self._alive[:n].copy(),
            )
        return await asyncio.to_thread(_nearest, q, *arrays)


def _grown(a: np.ndarray, room: int, used: int) -> np.ndarray:
    out = np.zeros((room, *a.shape[1:]), a.dtype)
    out[:used] = a[:used]
    return out


def _positions(held: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """Where the ``wanted`` ids are in the ascending ``held`` (those that are there)."""
    pos = np.searchsorted(held, wanted)
    ok = pos < len(held)
    pos, wanted = pos[ok], wanted[ok]
    found: np.ndarray = pos[held[pos] == wanted]
    return found


def _nearest(
    q: FaceQuery,
    vectors: np.ndarray,
    norms: np.ndarray,
    ids: np.ndarray,
    at: np.ndarray,
    chid: np.ndarray,
    alive: np.ndarray,
) -> tuple[int, list[FaceHit]]:
    mask = alive
    if q.begin_ms is not None:
        mask &= at >= q.begin_ms
    if q.end_ms is not None:
        mask &= at <= q.end_ms
    if q.chids is not None:
        mask &= np.isin(chid, np.asarray(list(q.chids), np.int64))
    if not mask.any():
        return 0, []
    probe = np.frombuffer(q.embedding, "<f4").astype(np.float32)
    squared = norms - 2.0 * (vectors @ probe) + float(probe @ probe)
    distances = np.sqrt(np.maximum(squared, 0.0))
    near = np.flatnonzero(mask & (distances <= q.max_distance))
    total = len(near)
    if total > q.limit > 0:
        near = near[np.argpartition(distances[near], q.limit - 1)[: q.limit]]
    order = near[np.lexsort((ids[near], distances[near]))]
    return total, [FaceHit(int(ids[i]), float(distances[i])) for i in order]
