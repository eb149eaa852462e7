import asyncio
import dataclasses

import pytest

from nvrd.events.bus import EventBus
from nvrd.events.types import (
    TOPIC,
    TOPICS,
    ChannelAdded,
    ChannelStatusChanged,
    LogRequested,
    RecordingState,
    RecordingStatusChanged,
    topic_of,
)


def status(i: int, code: int = 200) -> ChannelStatusChanged:
    return ChannelStatusChanged(at_ms=1000 + i, chid=i, code=code)


def test_events_are_frozen_keyword_only_and_carry_their_time() -> None:
    e = status(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.code = 500  # type: ignore[misc]  # deliberately: a frozen field is set
    with pytest.raises(TypeError):
        ChannelStatusChanged(1, 1, 200)  # type: ignore[call-arg]  # deliberately positional
    for kind in TOPIC:
        assert dataclasses.is_dataclass(kind)
        assert "at_ms" in {f.name for f in dataclasses.fields(kind)}, kind


def test_one_list_of_topics() -> None:
    assert len(set(TOPICS)) == len(TOPICS) == len(TOPIC)
    assert topic_of(status(1)) == "channelStatus"
    assert topic_of(ChannelAdded(at_ms=0, chid=1)) == "channelAdded"


async def test_kinds_and_order() -> None:
    bus = EventBus()
    a = bus.subscribe([ChannelStatusChanged])
    b = bus.subscribe()
    rec = RecordingStatusChanged(
        at_ms=5, state=RecordingState(chid=1, streaming=True, recording=True)
    )
    bus.publish(status(1))
    bus.publish(rec)
    assert await a.get() == status(1)
    assert [await b.get() for _ in range(2)] == [status(1), rec]
    assert a.get_nowait() is None


async def test_only_subscribers_of_a_kind_are_offered_it() -> None:
    bus = EventBus()
    subs = [bus.subscribe([LogRequested]) for _ in range(3)]
    other = bus.subscribe([ChannelStatusChanged])
    bus.publish(LogRequested(at_ms=1, type=0, code=1))
    assert all(s.queued() == 1 for s in subs)
    assert other.queued() == 0


async def test_slow_subscriber_is_dropped_without_hurting_others() -> None:
    bus = EventBus()
    slow = bus.subscribe(maxsize=3, name="slow")
    fast = bus.subscribe(maxsize=3, name="fast")
    got = []
    for i in range(10):
        bus.publish(status(i))
        event = await fast.get()
        assert isinstance(event, ChannelStatusChanged)
        got.append(event.chid)
    assert got == list(range(10))
    assert slow.dropped and not fast.dropped
    assert bus.subscriber_count == 1
    seen = [e.at_ms async for e in slow]
    assert seen == [1000, 1001, 1002]  # what fitted before it fell behind, then the end
    bus.publish(status(11))  # a dropped subscriber is no longer offered anything
    assert fast.queued() == 1


async def test_close_ends_iteration() -> None:
    bus = EventBus()
    sub = bus.subscribe()

    async def consume() -> list[int]:
        return [e.at_ms async for e in sub]

    task = asyncio.create_task(consume())
    bus.publish(status(1))
    await asyncio.sleep(0)
    sub.close()
    assert await task == [1001]
    assert bus.subscriber_count == 0


async def test_get_nowait_is_none_when_empty_or_ended() -> None:
    bus = EventBus()
    sub = bus.subscribe([ChannelStatusChanged])
    assert sub.get_nowait() is None  # nothing queued: no exception
    bus.publish(status(1))
    assert sub.get_nowait() == status(1)
    sub.close()
    assert sub.get_nowait() is None
