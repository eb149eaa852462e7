"""One channel's command queue: commands go to the camera one at a time, in order.

The API answers as soon as a command is queued (the guide: "without waiting
for the device's execution result"). Two kinds of command:

* motion (pan/tilt/zoom/focus/iris moves, stop, home, go to preset): a new
  one replaces a waiting command of its kind (``stop``, ``home`` and ``go``
  replace every waiting motion command), so a joystick that sends twenty
  moves a second never builds a backlog and a ``stop`` is never stuck behind
  stale moves;
* exclusive (relay, AUX, reboot, preset changes): they run in order, at most
  :data:`MAX_EXCLUSIVE` waiting or running; one more is refused with ``-4``
  (busy) until the camera has worked through them.

A command that fails at the camera is logged; the queue goes on.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from nvrd.devices.client import device_error
from nvrd.devices.model import Code, DeviceError

log = logging.getLogger("nvrd.devices")

Action = Callable[[], Awaitable[Any]]

#: Motion commands that replace every motion command still waiting (others replace only
#: a waiting command of their own kind: a zoom does not cancel a pan).
_OVERRIDING = frozenset({"stop", "home", "preset go"})

#: Exclusive commands a channel holds (waiting or running) before it answers busy.
MAX_EXCLUSIVE = 4


@dataclass
class _Item:
    name: str
    action: Action
    exclusive: bool
    done: asyncio.Future[Any] | None = field(default=None)


class CommandSender:
    def __init__(self, chid: int, timeout: float = 10.0):
        self.chid = chid
        self.timeout = timeout
        self._queue: deque[_Item] = deque()
        self._wake = asyncio.Event()
        self._exclusive = 0
        self._task: asyncio.Task[None] | None = None
        #: Called with (command name) just before a command goes to the camera.
        self.on_send: Callable[[str], None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"commands ch{self.chid}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        for item in self._queue:
            if item.done is not None and not item.done.done():
                item.done.set_exception(DeviceError(Code.NOT_READY, "channel stopped"))
        self._queue.clear()

    @property
    def busy(self) -> bool:
        return self._exclusive >= MAX_EXCLUSIVE

    def motion(self, name: str, action: Action) -> None:
        """Queue a motion command, replacing a motion command that still waits."""
        overrides = name in _OVERRIDING
        self._queue = deque(
            item
            for item in self._queue
            if item.exclusive or item.done is not None or not (overrides or item.name == name)
        )
        self._queue.append(_Item(name, action, False))
        self._wake.set()

    def exclusive(self, name: str, action: Action) -> None:
        """Queue an exclusive command; DeviceError(-4) while another one is outstanding."""
        self._claim()
        self._queue.append(_Item(name, action, True))
        self._wake.set()

    async def call(self, name: str, action: Action, timeout: float) -> Any:
        """Run an exclusive command through the queue and wait for its result."""
        self._claim()
        done: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        done.add_done_callback(_consume)
        self._queue.append(_Item(name, action, True, done))
        self._wake.set()
        try:
            return await asyncio.wait_for(asyncio.shield(done), timeout)
        except TimeoutError:
            raise DeviceError(Code.DEVICE_ERROR, f"{name}: no answer in {timeout:g} s") from None

    def _claim(self) -> None:
        if self._exclusive >= MAX_EXCLUSIVE:
            raise DeviceError(Code.BUSY, "previous commands are still being processed")
        self._exclusive += 1

    async def _run(self) -> None:
        while True:
            while not self._queue:
                self._wake.clear()
                await self._wake.wait()
            item = self._queue.popleft()
            try:
                if self.on_send is not None:
                    self.on_send(item.name)
                result = await asyncio.wait_for(item.action(), self.timeout)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self._failed(item, exc)
            else:
                if item.done is not None and not item.done.done():
                    item.done.set_result(result)
            finally:
                if item.exclusive:
                    self._exclusive -= 1

    def _failed(self, item: _Item, exc: Exception) -> None:
        err = device_error(exc)
        if item.done is not None:
            if not item.done.done():
                item.done.set_exception(err)
            return
        log.warning(
            "camera command failed",
            extra={
                "chid": self.chid,
                "command": item.name,
                "code": int(err.code),
                "why": err.detail,
            },
        )


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and wait until it has ended, cancelling again if needed
    (``asyncio.wait_for`` in Python 3.11 can swallow a cancellation that arrives just as
    what it waits for completes)."""
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    if not task.cancelled() and task.exception() is not None:
        log.debug("task ended with an error", exc_info=task.exception())


def _consume(done: asyncio.Future[Any]) -> None:
    """Mark a late result as seen (the caller may have stopped waiting)."""
    if not done.cancelled():
        done.exception()
