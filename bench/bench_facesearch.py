"""Face search: ranking stored faces by similarity to a photo's face, on a large log.

The object log (SQLite, through ``ObjectLogStore.add_many``) is filled with
``NVRD_BENCH_FACES`` (default 100,000) faces over 30 days on 16 channels:
random unit-norm embeddings, plus the real embeddings of one photo of each
person available (``tests/support/faces.py``: Obama, Biden, the astronaut,
and scikit-image's cameraman). Timed (p50/p99, ms): loading the index, the
index search over all faces / one day / two channels, the search with the
page's rows read from the log (what ``/api/searchFace`` does after the
photo), and the photo's face detection + embedding (in this process; the
server does it in its helper).

Accuracy: probes are the other photos of each person and altered copies of
every photo (mirrored, the face scaled to 48 px, JPEG quality 30); top-1 is
right when the nearest of all stored faces is the probe's person, and
"passes" counts probes whose own person is above the default threshold.

Environment: ``NVRD_BENCH_FACES``, ``NVRD_BENCH_QUERIES`` (default 200).
"""

from __future__ import annotations

import asyncio
import functools
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from nvrd.core.faces import DEFAULT_THRESHOLD, max_distance, pack
from nvrd.objectlog.faceindex import FaceHit, FaceIndex, FaceQuery
from nvrd.recognition.objects.embedding import FaceEmbedder
from nvrd.recognition.objects.faces import FaceDetector
from nvrd.store.db import Database
from nvrd.store.objects import ObjectLogStore, ObjectRecord
from tests.support.faces import PEOPLE, photo
from tests.support.pictures import picture

START_MS = 1_700_000_000_000
SPAN_MS = 30 * 86_400_000
DAY_MS = 86_400_000
CHANNELS = 16
BATCH = 5000


def images() -> dict[str, dict[str, np.ndarray]]:
    """person -> photo name -> picture (BGR)."""
    out = {person: {n: photo(n) for n in names} for person, names in PEOPLE.items()}
    grey = picture("camera.png")
    out["cameraman"] = {"camera.png": cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)}
    return out


def altered(image: np.ndarray, face_height: int) -> dict[str, np.ndarray]:
    """The mirrored picture, the picture with its face scaled to 48 px, a poor JPEG."""
    f = 48 / face_height
    small = cv2.resize(image, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    canvas = np.full((max(small.shape[0], 240), max(small.shape[1], 320), 3), 90, np.uint8)
    canvas[: small.shape[0], : small.shape[1]] = small
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 30])
    coarse = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert ok and coarse is not None
    return {
        "mirrored": np.ascontiguousarray(image[:, ::-1]),
        "48px": canvas,
        "jpeg30": coarse,
    }


class Faces:
    def __init__(self) -> None:
        self.detector = FaceDetector()
        self.embedder = FaceEmbedder()
        self.ms: list[float] = []

    def embed(self, image: np.ndarray) -> tuple[np.ndarray, int] | None:
        started = time.perf_counter()
        found = self.detector.detect(image)
        if not found:
            return None
        values = self.embedder.embed(image, found[0].box)
        self.ms.append((time.perf_counter() - started) * 1000)
        return (values, found[0].height) if values is not None else None


def probes(faces: Faces) -> tuple[dict[str, np.ndarray], list[tuple[str, str, np.ndarray]]]:
    """(person -> stored embedding, [(person, probe name, embedding)])."""
    stored: dict[str, np.ndarray] = {}
    out: list[tuple[str, str, np.ndarray]] = []
    for person, photos in images().items():
        for i, (name, image) in enumerate(photos.items()):
            got = faces.embed(image)
            if got is None:
                print(f"  no face in {name}")
                continue
            values, height = got
            if i == 0:
                stored[person] = values
            else:
                out.append((person, name, values))
            for how, variant in altered(image, height).items():
                found = faces.embed(variant)
                if found is None:
                    out.append((person, f"{name} {how} (no face found)", np.zeros(0)))
                else:
                    out.append((person, f"{name} {how}", found[0]))
    return stored, out


def random_faces(n: int, rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=(n, 128)).astype(np.float32)
    out: np.ndarray = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


async def fill(store: ObjectLogStore, n: int, real: dict[str, np.ndarray]) -> dict[int, str]:
    """n random faces and the real ones among them; id -> person of the real ones."""
    rng = np.random.default_rng(1)
    people = list(real)
    spots = {
        int(i): p for i, p in zip(rng.choice(n, len(people), replace=False), people, strict=True)
    }
    persons: dict[int, str] = {}
    for start in range(0, n, BATCH):
        count = min(BATCH, n - start)
        vectors = random_faces(count, rng)
        records = []
        for k in range(count):
            i = start + k
            values = real[spots[i]] if i in spots else vectors[k]
            at = START_MS + int(rng.integers(SPAN_MS))
            records.append(
                ObjectRecord(
                    at_ms=at,
                    chid=1 + i % CHANNELS,
                    obj_id=i + 1,
                    type="face",
                    embedding=pack(values.tolist()),
                )
            )
        ids = await store.add_many(records)
        for k, row_id in enumerate(ids):
            if start + k in spots:
                persons[row_id] = spots[start + k]
    return persons


def figures(ms: list[float]) -> str:
    ms = sorted(ms)
    return f"p50 {statistics.median(ms):6.1f}  p99 {ms[int(0.99 * (len(ms) - 1))]:6.1f} ms"


async def timed(run: Callable[[], Awaitable[Any]], queries: int) -> list[float]:
    out = []
    for _ in range(queries):
        started = time.perf_counter()
        await run()
        out.append((time.perf_counter() - started) * 1000)
    return out


async def bench(root: Path, n: int, queries: int) -> None:
    faces = Faces()
    stored, tried = probes(faces)
    print(f"photo face detection + embedding: {figures(faces.ms)} ({len(faces.ms)} pictures)")
    db = Database(f"sqlite+aiosqlite:///{root / 'faces.db'}")
    await db.open()
    try:
        store = ObjectLogStore(db.engine)
        started = time.perf_counter()
        persons = await fill(store, n, stored)
        print(f"{n} faces stored in {time.perf_counter() - started:.1f} s")
        index = FaceIndex(store)
        started = time.perf_counter()
        await index.refresh()
        print(f"index loaded: {index.faces} faces in {time.perf_counter() - started:.2f} s")
        await searches(store, index, stored, queries)
        accuracy(await ranks(index, tried), persons)
    finally:
        await db.close()


async def searches(
    store: ObjectLogStore, index: FaceIndex, stored: dict[str, np.ndarray], queries: int
) -> None:
    probe = pack(next(iter(stored.values())).tolist())
    limit = max_distance(DEFAULT_THRESHOLD)
    cases = {
        "all faces, default threshold": FaceQuery(probe, limit),
        "all faces, threshold 1": FaceQuery(probe, max_distance(1)),
        "one day": FaceQuery(probe, limit, START_MS, START_MS + DAY_MS),
        "two channels": FaceQuery(probe, limit, chids=[1, 2]),
    }
    for name, q in cases.items():
        print(
            f"search {name:30s} {figures(await timed(functools.partial(index.search, q), queries))}"
        )

    async def with_rows() -> None:
        _, hits = await index.search(cases["all faces, threshold 1"])
        await store.get_many([h.id for h in hits[:50]])

    print(f"search + 50 rows read {'':22s} {figures(await timed(with_rows, queries))}")


async def ranks(index: FaceIndex, tried: list[tuple[str, str, np.ndarray]]) -> list[Any]:
    out: list[tuple[str, str, FaceHit | None]] = []
    for person, name, values in tried:
        if not len(values):
            out.append((person, name, None))
            continue
        _, hits = await index.search(FaceQuery(pack(values.tolist()), 10.0, limit=1))
        out.append((person, name, hits[0] if hits else None))
    return out


def accuracy(ranked: list[Any], persons: dict[int, str]) -> None:
    right = passes = 0
    for person, name, hit in ranked:
        nearest = persons.get(hit.id, "a random face") if hit is not None else "-"
        ok = nearest == person
        right += ok
        passes += ok and hit.distance <= max_distance(DEFAULT_THRESHOLD)
        dist = f"{hit.distance:.3f}" if hit is not None else "-"
        print(f"  {person:10s} {name:40s} nearest: {nearest:12s} {dist}")
    print(
        f"top-1: {right}/{len(ranked)} ({100 * right / len(ranked):.0f} %); "
        f"above the default threshold ({DEFAULT_THRESHOLD} %): {passes}/{len(ranked)}"
    )


def main() -> None:
    n = int(os.environ.get("NVRD_BENCH_FACES", "100000"))
    queries = int(os.environ.get("NVRD_BENCH_QUERIES", "200"))
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(bench(Path(tmp), n, queries))


if __name__ == "__main__":
    main()
