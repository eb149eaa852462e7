"""``nvrd serve``'s uvicorn server: what it does once started."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette

from nvrd.cli import serve


@pytest.fixture
def unfrozen() -> Iterator[None]:
    gc.unfreeze()
    yield
    gc.unfreeze()  # the test process's collector as it was


def test_settle_heap_moves_what_exists_out_of_the_collectors_sight(unfrozen: None) -> None:
    assert gc.get_freeze_count() == 0
    serve.settle_heap()
    assert gc.get_freeze_count() > 1000


async def test_the_heap_is_settled_once_the_server_has_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[bool] = []
    server_box: list[uvicorn.Server] = []
    monkeypatch.setattr(serve, "settle_heap", lambda: calls.append(server_box[0].started))
    config = uvicorn.Config(Starlette(), host="127.0.0.1", port=0, log_config=None)
    server = serve._server_class()(config)
    server_box.append(server)
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(10):
            while not calls:
                await asyncio.sleep(0.01)
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
    assert calls == [True]  # once: after the start-up (the lifespan and the sockets)
