"""The face-search helper process seen from the server: a photo's face comes back from
the real spawned helper; more photos than may wait are refused; a photo over the time
limit is given up, the helper killed and started again for the next."""

from __future__ import annotations

import asyncio

import pytest

from nvrd.core.clock import SystemClock
from nvrd.core.faces import EMBEDDING_BYTES
from nvrd.recognition.objects.photos import PhotoBusy, PhotoFaces, PhotoFailed
from tests.support.faces import photo_bytes


async def test_the_helper_reads_a_photo_and_refuses_what_cannot_wait() -> None:
    faces = PhotoFaces(SystemClock(), timeout_seconds=60, queue=2)
    try:
        data = photo_bytes("obama2.jpg")
        first = await faces.face(data)
        assert first.problem is None and first.embedding is not None
        assert len(first.embedding) == EMBEDDING_BYTES
        assert (await faces.face(b"nothing")).problem == "undecodable"
        results = await asyncio.gather(
            *(faces.face(data) for _ in range(4)), return_exceptions=True
        )
        assert sum(isinstance(r, PhotoBusy) for r in results) == 2
        assert [r.embedding for r in results if not isinstance(r, BaseException)] == [
            first.embedding
        ] * 2
        assert faces.refused == 2 and faces.starts == 1
    finally:
        await faces.close()


async def test_a_slow_photo_is_given_up_and_the_helper_started_again() -> None:
    faces = PhotoFaces(SystemClock(), timeout_seconds=0.05)
    try:
        with pytest.raises(PhotoBusy):
            await faces.face(photo_bytes("obama.jpg"))  # starting the helper alone takes longer
        assert faces.timeouts == 1 and faces._pool is None
        faces.timeout = 60
        found = await faces.face(photo_bytes("obama.jpg"))
        assert found.problem is None and faces.starts == 2
    finally:
        await faces.close()


async def test_a_failure_in_the_helper_is_reported_not_raised() -> None:
    # int(b"...") fails in the helper: a reader of the wrong type on purpose
    faces = PhotoFaces(SystemClock(), read=int)  # type: ignore[arg-type]
    try:
        with pytest.raises(PhotoFailed, match="ValueError"):
            await faces.face(b"no number")
        assert faces.read == 0 and faces.starts == 1
    finally:
        await faces.close()
