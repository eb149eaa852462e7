"""One ONVIF channel's link to its camera: the cached state, the command queue and
the event subscription, kept alive by one supervised task.

The task reads the camera (retrying with a growing pause, 1 s up to 60 s,
while it cannot), then follows the camera's events if it has any, else
waits. A reload or a reconnect (:meth:`DeviceSession.request_refresh`)
makes it read the camera again. Every read uses a new client, so the
clock offset and the HTTP authentication are worked out afresh.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import Clock
from nvrd.core.deviceurl import parse_device_url
from nvrd.devices import events
from nvrd.devices.client import Camera
from nvrd.devices.model import Code, DeviceError, DeviceState
from nvrd.devices.reading import read_state
from nvrd.devices.sender import CommandSender, cancel_and_wait

log = logging.getLogger("nvrd.devices")

MAX_BACKOFF = 60.0


class Hooks(Protocol):
    def state_changed(self, chid: int, before: DeviceState | None, after: DeviceState) -> None: ...

    def motion(self, chid: int, motion: bool | None) -> None: ...

    def digital_input(self, chid: int, token: str, active: bool) -> None: ...


class DeviceSession:
    def __init__(
        self,
        chid: int,
        spec: ChannelSpec,
        clock: Clock,
        hooks: Hooks,
        timeout: float = 5.0,
        poll_seconds: int = 10,
    ):
        self.chid = chid
        self.spec = spec
        self.address = parse_device_url(spec.device_url)
        self.clock = clock
        self.hooks = hooks
        self.timeout = timeout
        self.poll_seconds = poll_seconds
        self.camera = self._new_camera()
        self.state: DeviceState | None = None
        self.error: DeviceError | None = None
        #: Subscribe to the camera's events when it has them.
        self.follow_events = True
        #: Whether the camera's motion events drive this channel's motion now.
        self.events_active = False
        self.sender = CommandSender(chid, timeout * 2)
        self._stale = asyncio.Event()
        self._fresh = False
        self._retired: list[Camera] = []
        self._read_lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def _new_camera(self) -> Camera:
        return Camera(self.address, self.spec.uid, self.spec.password, self.timeout)

    def start(self) -> None:
        self.sender.start()
        self._task = asyncio.create_task(self._run(), name=f"device ch{self.chid}")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        await self.sender.stop()
        self._events_off()
        await self._close_retired()
        await self.camera.close()

    def require(self) -> DeviceState:
        """The cached state; DeviceError(-3) while the camera has not been read."""
        if self.state is None:
            raise DeviceError(Code.NOT_READY, self.error.detail if self.error else "connecting")
        return self.state

    def request_refresh(self) -> None:
        self._stale.set()

    async def refresh(self) -> DeviceState:
        """Read the camera now (a reload) and cache what it said; the task then follows the
        camera's events on the new client."""
        state = await self._read()
        self._fresh = True
        self._stale.set()
        return state

    async def _read(self) -> DeviceState:
        async with self._read_lock:
            camera = self._new_camera()
            try:
                state = await asyncio.wait_for(
                    read_state(camera, self.clock.now_ms()), self.timeout * 6
                )
            except (DeviceError, TimeoutError) as exc:
                await camera.close()
                err = exc if isinstance(exc, DeviceError) else DeviceError(Code.NOT_READY)
                self.error = err
                raise err from None
            # the old client may still carry an event poll: it is closed once that ended
            self._retired.append(self.camera)
            self.camera = camera
            before, self.state, self.error = self.state, state, None
            self.hooks.state_changed(self.chid, before, state)
            return state

    async def _close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for camera in retired:
            await camera.close()

    async def _run(self) -> None:
        delay = 1.0
        while True:
            try:
                self._stale.clear()
                fresh, self._fresh = self._fresh and self.state is not None, False
                state = self.state if fresh and self.state else await self._read()
                await self._close_retired()
                delay = 1.0
                await self._serve(state)
            except asyncio.CancelledError:
                raise
            except DeviceError as err:
                self._events_off()
                log.warning(
                    "camera unavailable",
                    extra={"chid": self.chid, "code": int(err.code), "why": err.detail},
                )
                await self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF)
            except Exception:
                self._events_off()
                log.exception("camera task failed", extra={"chid": self.chid})
                await self._pause(delay)
                delay = min(delay * 2, MAX_BACKOFF)

    async def _pause(self, seconds: float) -> None:
        """Wait ``seconds``, or less when a refresh is asked for."""
        waiter = asyncio.ensure_future(self._stale.wait())
        try:
            await asyncio.wait({waiter}, timeout=seconds)
        finally:
            waiter.cancel()

    async def _serve(self, state: DeviceState) -> None:
        """Follow the camera's events (or just wait) until a refresh is asked for."""
        stale = asyncio.create_task(self._stale.wait())
        work: asyncio.Task[None] | None = None
        if state.events and self.follow_events:
            work = asyncio.create_task(self._follow(state))
        try:
            waiting = {stale} if work is None else {stale, work}
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            if work is not None and work in done:
                work.result()  # a failed subscription raises here
        finally:
            for t in (stale, work):
                if t is not None:
                    await cancel_and_wait(t)
            self._events_off()

    async def _follow(self, state: DeviceState) -> None:
        def ready() -> None:
            if state.motion_events:
                self.events_active = True
                self.hooks.motion(self.chid, False)

        def motion(value: bool) -> None:
            if state.motion_events:
                self.hooks.motion(self.chid, value)

        def digital_input(token: str, active: bool) -> None:
            self.hooks.digital_input(self.chid, token, active)

        try:
            await events.follow(self.camera, motion, digital_input, self.poll_seconds, ready)
        except DeviceError as err:
            if err.code == Code.UNSUPPORTED:
                log.info("camera has no PullPoint events", extra={"chid": self.chid})
                await asyncio.Event().wait()  # nothing to follow: wait for a refresh
            raise

    def _events_off(self) -> None:
        if self.events_active:
            self.events_active = False
            self.hooks.motion(self.chid, None)
