"""Websocket event messages and their fan-out: the event's own time, one rendering per variant.

The renderer needs only the clock, the time zone and the translations of the
services; a namespace with the real ones stands in for the whole set.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

from nvrd.api.context import Services
from nvrd.api.eventmsg import Options, Renderer
from nvrd.api.fanout import Fanout, Receiver
from nvrd.core.clock import FakeClock
from nvrd.core.eventtypes import EventType, LogEntry, SystemCode
from nvrd.core.i18n import Translator
from nvrd.events.bus import EventBus
from nvrd.events.types import (
    ChannelRef,
    ChannelRenamed,
    ChannelStatusChanged,
    Event,
    LprRead,
    MotionChanged,
    ObjectSeen,
    RecordingState,
    RecordingStatusChanged,
    SystemEventLogged,
)

TZ = ZoneInfo("America/Chicago")
T0 = 1_772_366_400_123  # 2026-03-01 12:00:00.123 UTC
T0_ISO = "2026-03-01T06:00:00.123-06:00"


def services(clock: FakeClock) -> Services:
    return cast(Services, SimpleNamespace(clock=clock, tz=TZ, i18n=Translator.load()))


def options(**kw: Any) -> Options:
    values: dict[str, Any] = {
        "topics": ("channelStatus", "recordingStatus", "LPR", "systemEvent", "motionChanges"),
        "chids": None,
        "lang": "en-US",
        "verbose": False,
        "object_types": None,
        "indent": None,
        "base": "http://nvr:8080/",
        **kw,
    }
    return Options(**values)


def far_clock() -> FakeClock:
    """A clock years away from the events: a message stamped with it is wrong."""
    return FakeClock(datetime(2031, 7, 1, tzinfo=UTC))


def test_messages_carry_the_time_the_event_happened() -> None:
    r = Renderer(services(far_clock()), options())
    status = r.render(ChannelStatusChanged(at_ms=T0, chid=1, code=200))
    assert status is not None and status["timestamp"] == T0_ISO
    assert status["event"] == "statusChanged" and status["status"]["code"] == 200
    renamed = r.render(ChannelRenamed(at_ms=T0, chid=2, name="Gate"))
    assert renamed == {
        "timestamp": T0_ISO,
        "topic": "channelStatus",
        "event": "nameChanged",
        "chid": 2,
        "name": "Gate",
        "displayName": "CH2. Gate",
    }
    state = RecordingState(chid=1, streaming=True, recording=False, failed_ms=T0)
    rec = r.render(RecordingStatusChanged(at_ms=T0 + 1000, state=state))
    assert rec is not None and rec["timestamp"] == "2026-03-01T06:00:01.123-06:00"
    assert rec["channel"] == [
        {"chid": 1, "streaming": True, "recording": False, "timestampRecordingFailure": T0_ISO}
    ]
    entry = LogEntry(EventType.SYSTEM, SystemCode.STARTUP, T0, id=7)
    logged = r.render(SystemEventLogged(at_ms=T0, entry=entry))
    assert logged is not None and logged["timeRange"] == [T0_ISO] and logged["id"] == 7


def test_pushed_messages_get_the_subscribers_host_and_their_own_time() -> None:
    r = Renderer(services(far_clock()), options())
    lpr = LprRead(
        at_ms=T0,
        time_begin_ms=T0 - 4000,
        device_code="G1",
        device_name="Gate",
        channels=(ChannelRef(chid=1, title="Cam"), ChannelRef(chid=2, title="")),
        plate_no="AB123",
        score=98.0,
        image="/plates/1.jpg",
    )
    msg = r.render(lpr)
    assert msg is not None
    assert msg["timestamp"] == T0_ISO and msg["timeBegin"] == "2026-03-01T05:59:56.123-06:00"
    assert (
        msg["chid"]["src"] == "http://nvr:8080/watch?ch=1&when=2026-03-01T06%3A00%3A00.123-06%3A00"
    )
    assert msg["linkedChannel"][0]["displayName"] == "CH2"
    assert msg["image"] == "http://nvr:8080/plates/1.jpg" and msg["score"] == 98
    assert Renderer(services(far_clock()), options(chids=frozenset({3}))).render(lpr) is None


def test_a_detected_objects_crop_is_an_absolute_url() -> None:
    r = Renderer(services(far_clock()), options())
    crop = "objects/1/2026-03-01/1772366400123-5.jpg"
    msg = r.render(ObjectSeen(at_ms=T0, chid=1, obj_id=5, type="face", image=crop))
    assert msg is not None and msg["image"] == "http://nvr:8080/storage/" + crop
    other = r.render(ObjectSeen(at_ms=T0, chid=1, obj_id=6, type="face", image="https://c/x.jpg"))
    assert other is not None and other["image"] == "https://c/x.jpg"


def fanout_of(bus: EventBus, maxsize: int = 10) -> Fanout:
    return Fanout(bus, maxsize)


def add(f: Fanout, clock: FakeClock, **kw: Any) -> Receiver:
    opts = options(**kw)
    return f.add(Renderer(services(clock), opts), opts.kinds(), "test")


def test_one_rendering_per_variant_shared_by_every_receiver() -> None:
    clock = far_clock()
    f = fanout_of(EventBus())
    english = [add(f, clock) for _ in range(50)]
    german = [add(f, clock, lang="de-DE") for _ in range(50)]
    event = ChannelStatusChanged(at_ms=T0, chid=1, code=200)
    f.deliver(event)
    assert f.rendered == 2
    texts = [r.get_nowait() for r in english + german]
    assert all(t is texts[0] for t in texts[:50]) and all(t is texts[50] for t in texts[50:])
    assert texts[0] != texts[50]
    assert json.loads(texts[0] or "")["timestamp"] == T0_ISO


def test_receivers_get_only_the_kinds_they_asked_for() -> None:
    clock = far_clock()
    f = fanout_of(EventBus())
    status = add(f, clock, topics=("channelStatus",))
    motion = add(f, clock, topics=("motionChanges",), chids=frozenset({2}))
    objects = add(f, clock, topics=("object",), object_types=frozenset({"face"}))
    f.deliver(ChannelStatusChanged(at_ms=T0, chid=1, code=200))
    f.deliver(MotionChanged(at_ms=T0, updated=((1, True),)))  # not channel 2: nothing
    f.deliver(MotionChanged(at_ms=T0, updated=((1, False), (2, True))))
    f.deliver(ObjectSeen(at_ms=T0, chid=1, obj_id=1, type="car"))
    f.deliver(ObjectSeen(at_ms=T0, chid=1, obj_id=2, type="face"))
    assert status.qsize() == 1
    assert [json.loads(t) for t in pending(motion)] == [
        {"topic": "motionChanges", "updated": [{"chid": 2, "motion": True}]}
    ]
    assert [json.loads(t)["objId"] for t in pending(objects)] == [2]


def pending(r: Receiver) -> list[str]:
    out = []
    while (t := r.get_nowait()) is not None:
        out.append(t)
    return out


def test_a_receiver_that_falls_behind_is_dropped_and_the_others_get_everything() -> None:
    clock = far_clock()
    f = fanout_of(EventBus(), maxsize=3)
    slow = add(f, clock)
    fast = add(f, clock)
    got = []
    for i in range(10):
        f.deliver(ChannelStatusChanged(at_ms=T0 + i, chid=1, code=200 + i))
        got += pending(fast)
    assert len(got) == 10
    assert slow.dropped and f.receiver_count == 1
    assert len(pending(slow)) == 3  # what fitted, then the end


async def test_fanout_delivers_from_the_bus_until_cancelled() -> None:
    import asyncio
    import contextlib

    bus = EventBus()
    clock = far_clock()
    f = fanout_of(bus)
    r = add(f, clock, topics=("channelStatus",))
    task = asyncio.create_task(f.run())
    try:
        await asyncio.sleep(0)
        assert bus.subscriber_count == 1  # one bus subscriber for every websocket
        bus.publish(ChannelStatusChanged(at_ms=T0, chid=1, code=200))
        text = await asyncio.wait_for(r.get(), 2)
        assert text is not None and json.loads(text)["timestamp"] == T0_ISO
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert bus.subscriber_count == 0
    r.close()
    assert f.receiver_count == 0


class Writer:
    """A socket's frame writer as the server gives it: takes frames while ``open``."""

    def __init__(self, open_: bool = True) -> None:
        self.open = open_
        self.frames: list[bytes] = []

    def __call__(self, frame: bytes) -> bool:
        if self.open:
            self.frames.append(frame)
        return self.open


def add_writing(f: Fanout, clock: FakeClock, writer: Writer, **kw: Any) -> Receiver:
    opts = options(**kw)
    return f.add(Renderer(services(clock), opts), opts.kinds(), "test", writer)


async def test_idle_receivers_get_one_shared_frame_written_directly() -> None:
    import asyncio

    clock = far_clock()
    f = fanout_of(EventBus())
    writers = [Writer() for _ in range(20)]
    receivers = [add_writing(f, clock, w) for w in writers]
    waiting = [asyncio.create_task(r.get()) for r in receivers]
    await asyncio.sleep(0)  # every send loop waits
    assert all(r.idle for r in receivers)
    f.deliver(ChannelStatusChanged(at_ms=T0, chid=1, code=200))
    frames = [w.frames[0] for w in writers]
    assert all(fr is frames[0] for fr in frames) and f.rendered == 1
    assert json.loads(text_of(frames[0]))["timestamp"] == T0_ISO
    assert all(r.written == 1 and r.empty() for r in receivers)
    await asyncio.sleep(0)
    assert not any(t.done() for t in waiting)  # nothing was queued: the loops still wait
    for r, t in zip(receivers, waiting, strict=True):
        r.close()
        assert await t is None


def text_of(frame: bytes) -> str:
    """The text of one whole, unmasked websocket text frame (RFC 6455 5.2)."""
    assert frame[0] == 0x81 and not frame[1] & 0x80  # FIN, text; not masked
    size, head = frame[1] & 0x7F, 2
    if size == 126:
        size, head = int.from_bytes(frame[2:4], "big"), 4
    elif size == 127:
        size, head = int.from_bytes(frame[2:10], "big"), 10
    assert len(frame) == head + size
    return frame[head:].decode()


async def test_a_busy_or_full_socket_gets_the_message_queued_in_order() -> None:
    import asyncio

    clock = far_clock()
    f = fanout_of(EventBus())
    busy = add_writing(f, clock, Writer())  # its send loop is not waiting
    full = add_writing(f, clock, Writer(open_=False))  # the socket refuses: buffer full
    waiting = asyncio.create_task(full.get())
    await asyncio.sleep(0)
    for i in range(3):
        f.deliver(ChannelStatusChanged(at_ms=T0 + i, chid=1, code=200 + i))
    assert busy.writer is not None and busy.written == 0 and busy.qsize() == 3
    first = await waiting
    assert first is not None and json.loads(first)["status"]["code"] == 200
    assert [json.loads(t)["status"]["code"] for t in pending(full)] == [201, 202]
    assert full.written == 0
    # queued messages wait for the send loop even when the socket takes frames again
    writer = full.writer
    assert isinstance(writer, Writer)
    writer.open = True
    f.deliver(ChannelStatusChanged(at_ms=T0 + 3, chid=1, code=203))
    assert writer.frames == [] and full.qsize() == 1


def frames_of(data: bytes) -> list[str]:
    """The texts of back-to-back, unmasked websocket text frames (short ones)."""
    out = []
    while data:
        size = data[1] & 0x7F
        head = 4 if size == 126 else 2
        if size == 126:
            size = int.from_bytes(data[2:4], "big")
        out.append(text_of(data[: head + size]))
        data = data[head + size :]
    return out


async def test_a_batch_of_events_is_one_write_per_socket_in_order() -> None:
    import asyncio

    clock = far_clock()
    f = fanout_of(EventBus())
    every = [Writer() for _ in range(10)]
    receivers = [add_writing(f, clock, w) for w in every]
    status_only = Writer()
    receivers.append(add_writing(f, clock, status_only, topics=("channelStatus",)))
    waiting = [asyncio.create_task(r.get()) for r in receivers]
    await asyncio.sleep(0)
    batch: list[Event] = [
        ChannelStatusChanged(at_ms=T0, chid=1, code=200),
        MotionChanged(at_ms=T0, updated=((1, True),)),
        ChannelStatusChanged(at_ms=T0 + 1, chid=1, code=202),
    ]
    f.deliver_all(batch)
    assert f.rendered == 3  # once per event and variant, not per socket
    assert all(len(w.frames) == 1 for w in [*every, status_only])
    assert all(w.frames[0] is every[0].frames[0] for w in every)  # one frame for one share
    texts = [json.loads(t) for t in frames_of(every[0].frames[0])]
    assert [t["topic"] for t in texts] == ["channelStatus", "motionChanges", "channelStatus"]
    assert [json.loads(t)["status"]["code"] for t in frames_of(status_only.frames[0])] == [
        200,
        202,
    ]
    assert receivers[0].written == 3 and receivers[-1].written == 2
    await asyncio.sleep(0)
    assert not any(t.done() for t in waiting)
    for r, t in zip(receivers, waiting, strict=True):
        r.close()
        assert await t is None


async def test_a_batch_for_a_busy_socket_is_queued_in_order_and_a_full_queue_dropped() -> None:
    import asyncio

    clock = far_clock()
    f = fanout_of(EventBus(), maxsize=2)
    refused = Writer(open_=False)
    waiting_one = add_writing(f, clock, refused, topics=("channelStatus",))
    waiting = asyncio.create_task(waiting_one.get())
    await asyncio.sleep(0)
    busy = add_writing(f, clock, Writer())  # not waiting: queued, and only two fit
    f.deliver_all(
        [
            ChannelStatusChanged(at_ms=T0, chid=1, code=200),
            MotionChanged(at_ms=T0, updated=((1, True),)),
            ChannelStatusChanged(at_ms=T0 + 1, chid=1, code=201),
        ]
    )
    first = await waiting  # the refused socket's messages went to its queue, in order
    assert first is not None and json.loads(first)["status"]["code"] == 200
    assert [json.loads(t)["status"]["code"] for t in pending(waiting_one)] == [201]
    assert not refused.frames and waiting_one.written == 0
    assert busy.dropped and f.receiver_count == 1
    assert [json.loads(t)["topic"] for t in pending(busy)] == ["channelStatus", "motionChanges"]


async def test_events_waiting_on_the_bus_are_delivered_as_one_batch() -> None:
    import asyncio
    import contextlib

    bus = EventBus()
    clock = far_clock()
    f = fanout_of(bus)
    writer = Writer()
    r = add_writing(f, clock, writer, topics=("channelStatus",))
    waiting = asyncio.create_task(r.get())
    task = asyncio.create_task(f.run())
    try:
        await asyncio.sleep(0)
        for i in range(3):  # faster than the fan-out runs
            bus.publish(ChannelStatusChanged(at_ms=T0 + i, chid=1, code=200 + i))
        for _ in range(10):
            await asyncio.sleep(0)
        assert len(writer.frames) == 1 and len(frames_of(writer.frames[0])) == 3
        assert r.written == 3 and not waiting.done()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        r.close()
        assert await waiting is None
