"""Reading a child's pipe at a pace: in one go a few times a second, or at once when eager."""

from __future__ import annotations

import asyncio
import os

from nvrd.media.pipes import read_pipe_paced


async def test_idle_reads_take_everything_waiting_in_one_go() -> None:
    r, w = os.pipe()
    got: list[bytes] = []
    naps: list[float] = []

    async def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 1:
            for i in range(5):
                os.write(w, bytes([i]) * 1000)  # five writes while the reader sleeps
        else:
            os.close(w)
        await asyncio.sleep(0)

    await asyncio.wait_for(read_pipe_paced(r, got.append, lambda: False, nap, 0.25), 5)
    assert naps == [0.25, 0.25]
    assert len(got) == 1 and len(got[0]) == 5000  # one read, not five


async def test_eager_reads_wake_on_data_and_end_at_eof() -> None:
    r, w = os.pipe()
    got: list[bytes] = []
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, os.write, w, b"abc")
    loop.call_later(0.10, os.close, w)

    async def never(seconds: float) -> None:
        raise AssertionError("an eager reader does not sleep")

    await asyncio.wait_for(read_pipe_paced(r, got.append, lambda: True, never), 5)
    assert b"".join(got) == b"abc"
