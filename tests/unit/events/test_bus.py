import asyncio

from nvrd.events.bus import EventBus


async def test_topics_and_order() -> None:
    bus = EventBus()
    a = bus.subscribe(["channelStatus"])
    b = bus.subscribe()
    bus.publish("channelStatus", chid=1, code=200)
    bus.publish("recordingStatus", chid=1)
    assert (await a.get()).data == {"chid": 1, "code": 200}  # type: ignore[union-attr]
    assert [(await b.get()).topic for _ in range(2)] == [  # type: ignore[union-attr]
        "channelStatus",
        "recordingStatus",
    ]
    assert a._queue.empty()


async def test_slow_subscriber_is_dropped_without_hurting_others() -> None:
    bus = EventBus()
    slow = bus.subscribe(maxsize=3, name="slow")
    fast = bus.subscribe(maxsize=3, name="fast")
    got = []
    for i in range(10):
        bus.publish("t", i=i)
        got.append((await fast.get()).data["i"])  # type: ignore[union-attr]
    assert got == list(range(10))
    assert slow.dropped and not fast.dropped
    assert bus.subscriber_count == 1
    seen = [e.data["i"] async for e in slow]
    assert seen == [0, 1, 2]  # what fitted before it fell behind, then the end


async def test_close_ends_iteration() -> None:
    bus = EventBus()
    sub = bus.subscribe()

    async def consume() -> list[int]:
        return [e.data["i"] async for e in sub]

    task = asyncio.create_task(consume())
    bus.publish("t", i=1)
    await asyncio.sleep(0)
    sub.close()
    assert await task == [1]
    assert bus.subscriber_count == 0


async def test_get_nowait_is_none_when_empty_or_ended() -> None:
    bus = EventBus()
    sub = bus.subscribe(["t"])
    assert sub.get_nowait() is None  # nothing queued: no exception
    bus.publish("t", i=1)
    first = sub.get_nowait()
    assert first is not None and first.data == {"i": 1}
    sub.close()
    assert sub.get_nowait() is None
