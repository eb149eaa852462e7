"""The per-channel command queue: order, coalescing of motion commands, busy, results."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from nvrd.devices.model import Code, DeviceError
from nvrd.devices.sender import MAX_EXCLUSIVE, CommandSender


async def test_motion_commands_replace_waiting_ones_of_their_kind() -> None:
    sender = CommandSender(1)
    sent: list[str] = []
    gate = asyncio.Event()

    def act(name: str, wait: bool = False) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            if wait:
                await gate.wait()
            sent.append(name)

        return run

    sender.motion("move", act("move 1", wait=True))  # in flight
    sender.start()
    await asyncio.sleep(0)
    sender.motion("move", act("move 2"))
    sender.motion("zoom", act("zoom 1"))
    sender.motion("move", act("move 3"))  # replaces move 2, not the zoom
    gate.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert sent == ["move 1", "zoom 1", "move 3"]
    sender.motion("move", act("move 4"))
    sender.motion("stop", act("stop"))  # replaces every waiting motion command
    for _ in range(20):
        await asyncio.sleep(0)
    assert sent[-1] == "stop" and "move 4" not in sent
    await sender.stop()


async def test_exclusive_commands_run_in_order_and_then_busy() -> None:
    sender = CommandSender(1)
    sent: list[int] = []
    gate = asyncio.Event()

    def act(n: int) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            await gate.wait()
            sent.append(n)

        return run

    for n in range(MAX_EXCLUSIVE):
        sender.exclusive("relay", act(n))
    with pytest.raises(DeviceError) as err:
        sender.exclusive("relay", act(99))
    assert err.value.code == Code.BUSY
    sender.start()
    gate.set()
    for _ in range(50):
        await asyncio.sleep(0)
    assert sent == list(range(MAX_EXCLUSIVE))
    sender.exclusive("relay", act(100))  # room again
    await sender.stop()


async def test_call_returns_or_raises_the_camera_answer() -> None:
    sender = CommandSender(1)
    sender.start()

    async def good() -> str:
        return "p1"

    async def bad() -> None:
        raise DeviceError(Code.DEVICE_ERROR, "fault", 500)

    async def slow() -> None:
        await asyncio.sleep(10)

    assert await sender.call("preset", good, 1) == "p1"
    with pytest.raises(DeviceError) as err:
        await sender.call("preset", bad, 1)
    assert err.value.device_status == 500
    with pytest.raises(DeviceError) as err:
        await sender.call("preset", slow, 0.05)
    assert err.value.code == Code.DEVICE_ERROR
    await sender.stop()
