from nvrd.core.dropqueue import DropQueue


async def test_drop_keeps_what_fitted_then_ends() -> None:
    q: DropQueue[int] = DropQueue(2)
    assert q.offer(1) and q.offer(2)
    assert not q.offer(3) and q.dropped
    assert not q.offer(4)
    assert [await q.get() for _ in range(3)] == [1, 2, None]


async def test_end_is_not_a_drop_and_happens_once() -> None:
    q: DropQueue[int] = DropQueue(2)
    q.offer(1)
    q.end()
    q.end()
    assert not q.dropped and not q.offer(2)
    assert [await q.get(), await q.get()] == [1, None]
    assert q.empty()
