"""The device manager with a camera (the SOAP test device): the stream the media service
records, re-reading the camera when it reconnects, and a new main stream restarting the
channel's media."""

from __future__ import annotations

import asyncio
from typing import Any

from nvrd.core.channelspec import ChannelSpec
from nvrd.core.clock import SystemClock
from nvrd.devices.manager import DeviceManager
from nvrd.devices.model import Code, DeviceError
from nvrd.devices.presets import CameraPresetMover
from nvrd.events.bus import EventBus
from nvrd.events.types import ChannelStatusChanged
from nvrd.store.channels import Channel
from tests.support.soap_device import SoapDevice


class Sink:
    def __init__(self) -> None:
        self.seen: list[tuple[int, bool | None]] = []

    def set_external(self, chid: int, motion: bool | None) -> None:
        self.seen.append((chid, motion))


def channel(url: str, source: str = "") -> Channel:
    doc: dict[str, Any] = {"type": "onvif", "source": source, "uid": "admin",
                           "password": "secret", "device": {"url": url}}  # fmt: skip
    return Channel(1, "cam", doc)


async def wait(check: Any, timeout: float = 10) -> Any:
    for _ in range(int(timeout / 0.02)):
        if value := check():
            return value
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met")


async def test_main_source_reconnect_and_source_change() -> None:
    with SoapDevice(main_uri="rtsp://127.0.0.1:9/one") as dev:
        bus = EventBus()
        mgr = DeviceManager(bus, SystemClock(), Sink(), 2.0, 1, True)
        restarted: list[int] = []

        async def changed(chid: int) -> None:
            restarted.append(chid)

        mgr.on_source_changed = changed
        mgr.start()
        ch = channel(dev.url)
        spec = ChannelSpec.from_doc(ch.source)
        assert spec is not None
        mgr.add(ch)
        assert mgr.main_source(1, spec) is None  # not read yet
        await wait(lambda: restarted == [1])
        resolved = mgr.main_source(1, spec)
        assert resolved is not None and resolved.source == "rtsp://127.0.0.1:9/one"
        assert resolved.url_with_credentials() == "rtsp://admin:secret@127.0.0.1:9/one"
        given = ChannelSpec.from_doc(channel(dev.url, "rtsp://x/given").source)
        assert given is not None and mgr.main_source(1, given) == given

        reads = dev.operations().count("GetDeviceInformation")
        bus.publish(ChannelStatusChanged(at_ms=0, chid=1, code=200))
        await asyncio.sleep(0.2)
        assert dev.operations().count("GetDeviceInformation") == reads  # first connect
        dev.main_uri = "rtsp://127.0.0.1:9/two"
        bus.publish(ChannelStatusChanged(at_ms=0, chid=1, code=408))
        bus.publish(ChannelStatusChanged(at_ms=0, chid=1, code=200))  # reconnected: read again
        await wait(lambda: dev.operations().count("GetDeviceInformation") > reads)
        await wait(lambda: restarted == [1, 1])  # a new main stream restarts the media
        resolved = mgr.main_source(1, spec)
        assert resolved is not None and resolved.source.endswith("/two")

        mover = CameraPresetMover(mgr)
        await mover.go(1, "1")
        assert "preset 1" in dev.moves
        for chid, preset, code in ((1, "nosuch", Code.BAD_TOKEN), (7, "1", Code.UNSUPPORTED)):
            try:
                await mover.go(chid, preset)
            except DeviceError as err:
                assert err.code == code
            else:
                raise AssertionError("no error")
        await mgr.stop()


async def test_reload_while_following_events(caplog: Any) -> None:
    with SoapDevice() as dev:
        sink = Sink()
        mgr = DeviceManager(EventBus(), SystemClock(), sink, 2.0, 1, True)
        mgr.start()
        mgr.add(channel(dev.url))
        await wait(lambda: (1, False) in sink.seen)  # following the camera's motion events
        subscribed = dev.subscriptions
        await mgr.reload(1)
        await wait(lambda: dev.subscriptions > subscribed)  # again, on the new client
        dev.push("tns1:VideoSource/MotionAlarm", {"State": "true"})
        await wait(lambda: (1, True) in sink.seen)
        await mgr.stop()
        assert sink.seen[-1] == (1, None)  # back to nvrd's own detection
    assert "camera task failed" not in caplog.text


async def test_sub_source_and_a_new_sub_stream_restarting_only_it() -> None:
    """The sub stream is the camera's smallest profile unless the channel says
    ``substream: false``; a camera whose sub stream URL changes restarts the sub stream
    alone (``on_sub_changed``), not the channel's media."""
    with SoapDevice(main_uri="rtsp://127.0.0.1:9/one", sub_uri="rtsp://127.0.0.1:9/small") as dev:
        bus = EventBus()
        mgr = DeviceManager(bus, SystemClock(), Sink(), 2.0, 1, False)
        mains: list[int] = []
        subs: list[int] = []

        async def main_changed(chid: int) -> None:
            mains.append(chid)

        async def sub_changed(chid: int) -> None:
            subs.append(chid)

        mgr.on_source_changed, mgr.on_sub_changed = main_changed, sub_changed
        mgr.start()
        ch = channel(dev.url, "rtsp://127.0.0.1:9/given")  # main given: only the sub follows
        spec = ChannelSpec.from_doc(ch.source)
        assert spec is not None
        mgr.add(ch)
        assert mgr.sub_source(1, spec) is None  # not read yet
        await wait(lambda: subs == [1])
        sub = mgr.sub_source(1, spec)
        assert sub is not None and sub.source == "rtsp://127.0.0.1:9/small"
        assert sub.url_with_credentials() == "rtsp://admin:secret@127.0.0.1:9/small"
        off = ChannelSpec.from_doc({**ch.source, "substream": False})
        assert off is not None and mgr.sub_source(1, off) is None
        plain = ChannelSpec("rtsp", "rtsp://127.0.0.1:9/one")
        assert mgr.sub_source(1, plain) is None  # an RTSP channel has no camera to ask

        dev.sub_uri = "rtsp://127.0.0.1:9/smaller"
        await mgr.reload(1)
        await wait(lambda: subs == [1, 1])
        assert mains == []  # the main stream (given) was left alone
        sub = mgr.sub_source(1, spec)
        assert sub is not None and sub.source.endswith("/smaller")
        await mgr.stop()
