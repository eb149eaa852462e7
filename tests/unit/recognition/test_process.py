"""One worker process seen from the server: what its pipe says (a real pipe)."""

from __future__ import annotations

import logging
import multiprocessing
from typing import Any

import pytest

from nvrd.recognition.process import WorkerProcess


def never(*args: Any) -> None:
    raise AssertionError("not started here")


def test_a_message_that_fails_is_no_dead_worker_and_eof_is(
    caplog: pytest.LogCaptureFixture,
) -> None:
    got: list[str] = []

    def on_message(kind: str, body: dict[str, Any]) -> None:
        if body.get("bad"):
            raise KeyError("objId")
        got.append(kind)

    log = logging.getLogger("test.process")
    proc = WorkerProcess("test worker", "t", never, (), never, on_message, log, {})
    server, worker = multiprocessing.Pipe()
    proc.conn = server
    worker.send(("ready", {}))
    worker.send(("stats", {"uptimeSeconds": 1.0, "cpuSeconds": 0.5}))
    worker.send(("object", {"bad": True}))
    worker.send(("object", {}))
    worker.send(("stats", {"uptimeSeconds": 3.0, "cpuSeconds": 1.5}))
    with caplog.at_level(logging.ERROR, "test.process"):
        assert proc.drain() is True
    assert got == ["object"] and proc.state == "running" and proc.cpu_percent == 50.0
    assert "message not handled" in caplog.text
    worker.close()
    assert proc.drain() is False  # the worker is gone
    server.close()
