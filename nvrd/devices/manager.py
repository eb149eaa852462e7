"""The ONVIF channels: one :class:`~nvrd.devices.session.DeviceSession` per channel
that has a ``device.url``, and what the rest of nvrd asks of them.

* the channel reconciler adds and removes channels here as it does in the
  media service (:meth:`add`, :meth:`remove`);
* the media service asks :meth:`main_source` for the RTSP URL of an ONVIF
  channel added by ``device.url`` alone; when the camera's main stream becomes
  known or changes, :attr:`on_source_changed` is called so that the channel's
  ingest restarts on it;
* it asks :meth:`sub_source` for the camera's sub stream (its lowest-resolution
  profile) unless the channel says ``substream: false``; when only that changes,
  :attr:`on_sub_changed` restarts the sub stream alone;
* a camera that reconnects (its channel status is 200 again after a loss)
  is read again;
* camera motion events go to the motion board (:class:`MotionSink`),
  digital inputs to the event log.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import Clock
from nvrd.core.eventtypes import DeviceCode, EventType
from nvrd.core.statuscodes import ChannelStatus
from nvrd.devices.model import NO_CAPS, Caps, Code, DeviceError, DeviceState
from nvrd.devices.sender import cancel_and_wait
from nvrd.devices.session import DeviceSession
from nvrd.events.bus import EventBus, Subscription
from nvrd.events.types import ChannelStatusChanged, LogRequested
from nvrd.store.channels import Channel

log = logging.getLogger("nvrd.devices")


class MotionSink(Protocol):
    def set_external(self, chid: int, motion: bool | None) -> None: ...


class DeviceManager:
    def __init__(
        self,
        bus: EventBus,
        clock: Clock,
        motion: MotionSink,
        timeout: float = 5.0,
        poll_seconds: int = 10,
        events: bool = True,
    ):
        self.bus = bus
        self.clock = clock
        self.motion_sink = motion
        self.timeout = timeout
        self.poll_seconds = poll_seconds
        self.use_events = events
        #: Called (and awaited) when an ONVIF channel's main stream URL became known or changed.
        self.on_source_changed: Callable[[int], Awaitable[None]] | None = None
        #: Called (and awaited) when only its sub stream URL became known or changed.
        self.on_sub_changed: Callable[[int], Awaitable[None]] | None = None
        self._sessions: dict[int, DeviceSession] = {}
        self._lost: set[int] = set()
        self._seen: set[int] = set()
        self._motion: dict[int, bool] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._watch: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        sub = self.bus.subscribe([ChannelStatusChanged], name="devices")
        self._watch = asyncio.create_task(self._watch_status(sub), name="devices status")

    async def stop(self) -> None:
        for task in (self._watch, *self._tasks):
            if task is not None:
                await cancel_and_wait(task)
        await asyncio.gather(*(s.stop() for s in self._sessions.values()))
        self._sessions.clear()

    def add(self, ch: Channel) -> None:
        spec = ChannelSpec.from_doc(ch.source, ch.title)
        if spec is None or spec.kind != "onvif" or not spec.device_url:
            return
        try:
            session = DeviceSession(
                ch.chid, spec, self.clock, self, self.timeout, self.poll_seconds
            )
        except ValueError as err:
            log.error("bad device URL", extra={"chid": ch.chid, "why": str(err)})
            return
        session.follow_events = self.use_events
        self._sessions[ch.chid] = session
        session.start()

    async def remove(self, chid: int) -> None:
        session = self._sessions.pop(chid, None)
        if session is not None:
            await session.stop()
        self._lost.discard(chid)
        self._seen.discard(chid)
        self._motion.pop(chid, None)

    # -- what the others read -------------------------------------------------

    def session(self, chid: int) -> DeviceSession | None:
        return self._sessions.get(chid)

    def caps(self, chid: int) -> Caps:
        session = self._sessions.get(chid)
        return session.state.caps if session and session.state else NO_CAPS

    def state(self, chid: int) -> DeviceState | None:
        session = self._sessions.get(chid)
        return session.state if session else None

    def main_source(self, chid: int, spec: ChannelSpec) -> ChannelSpec | None:
        """The spec the ingest records: an ONVIF channel without ``source`` takes the
        camera's main stream; ``None`` while that is not known yet."""
        if spec.kind != "onvif" or spec.source:
            return spec
        state = self.state(chid)
        if state is None or state.main is None or not state.main.uri:
            return None
        return dataclasses.replace(spec, source=state.main.uri)

    def sub_source(self, chid: int, spec: ChannelSpec) -> ChannelSpec | None:
        """The camera's sub stream as a spec to ingest (``None``: the channel says
        ``substream: false``, the camera has one profile, or it has not been read)."""
        if spec.kind != "onvif" or not spec.substream:
            return None
        state = self.state(chid)
        if state is None or state.sub is None or not state.sub.uri:
            return None
        return dataclasses.replace(spec, source=state.sub.uri)

    async def reload(self, chid: int) -> DeviceState:
        session = self._sessions.get(chid)
        if session is None:
            raise DeviceError(Code.UNSUPPORTED, "not an ONVIF channel")
        return await session.refresh()

    # -- session hooks ----------------------------------------------------------

    def state_changed(self, chid: int, before: DeviceState | None, after: DeviceState) -> None:
        session = self._sessions.get(chid)
        if session is None:
            return
        old = before.main.uri if before and before.main else ""
        new = after.main.uri if after.main else ""
        if new and new != old and not session.spec.source:
            self._background(self._source_changed(chid))  # the sub stream restarts with it
            return
        old_sub = before.sub.uri if before and before.sub else ""
        new_sub = after.sub.uri if after.sub else ""
        if session.spec.substream and new_sub != old_sub and self.on_sub_changed is not None:
            self._background(self.on_sub_changed(chid))

    def motion(self, chid: int, motion: bool | None) -> None:
        if motion is None:
            self._motion.pop(chid, None)
        else:
            self._motion[chid] = motion
        self.motion_sink.set_external(chid, motion)

    def digital_input(self, chid: int, token: str, active: bool) -> None:
        self.log_event(chid, DeviceCode.DIGITAL_INPUT, {"input": token, "active": active})

    def log_event(self, chid: int, code: DeviceCode, param: dict[str, Any]) -> None:
        self.bus.publish(
            LogRequested(
                at_ms=self.clock.now_ms(),
                type=EventType.DEVICE,
                code=code,
                param={"chid": chid, **param},
                chid=chid,
            )
        )

    # -- internals ----------------------------------------------------------------

    async def _source_changed(self, chid: int) -> None:
        if self.on_source_changed is not None:
            await self.on_source_changed(chid)
        if chid in self._motion:  # restarting the channel reset its motion state
            self.motion_sink.set_external(chid, self._motion[chid])

    def _background(self, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except Exception:
                log.exception("device follow-up failed")

        task = asyncio.create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _watch_status(self, sub: Subscription) -> None:
        async for event in sub:
            if not isinstance(event, ChannelStatusChanged) or event.chid not in self._sessions:
                continue
            chid, code = event.chid, event.code
            if code == ChannelStatus.CONNECTED:
                if chid in self._lost:
                    self._sessions[chid].request_refresh()
                self._seen.add(chid)
                self._lost.discard(chid)
            elif chid in self._seen:
                self._lost.add(chid)
