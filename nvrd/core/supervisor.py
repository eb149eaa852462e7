"""Long-lived background tasks that never die silently.

Every loop that runs for the life of a service (an ingest, its index worker,
retention, motion publication, the channel poll, the session purge) runs
under a :class:`Supervisor`. When its coroutine raises, the supervisor logs
the traceback, calls the failure reporter (which sets a status code, puts a
system event on the bus: the owner decides) and starts the coroutine again
after a backoff that doubles up to a ceiling and resets once a run lasted
long enough. A coroutine that returns has finished its job and is not
restarted. Waits are on the injected :class:`~nvrd.core.clock.Clock`, so a
test on a fake clock sees the backoff without waiting for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from nvrd.core.clock import Clock

log = logging.getLogger("nvrd.supervisor")

#: ``reporter(name, error, restarts)``: told of every failure before the restart.
Reporter = Callable[[str, BaseException, int], None]


@dataclass(frozen=True)
class Backoff:
    """Delay before restart ``n`` (0-based): ``first * 2**n``, at most ``ceiling``; a run
    that lasted ``reset_after`` seconds counts as healthy and starts the series again."""

    first: float = 0.5
    ceiling: float = 30.0
    reset_after: float = 60.0

    def delay(self, n: int) -> float:
        return min(self.ceiling, self.first * 2.0 ** min(n, 30))


class Supervised:
    """One supervised coroutine; :attr:`restarts` counts the failures so far."""

    def __init__(
        self,
        name: str,
        factory: Callable[[], Awaitable[None]],
        clock: Clock,
        backoff: Backoff,
        reporter: Reporter | None,
    ):
        self.name = name
        self.factory = factory
        self.clock = clock
        self.backoff = backoff
        self.reporter = reporter
        self.restarts = 0
        self.last_error: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._finishing = False
        self._backing_off = False

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name=self.name)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def finish(self) -> None:
        """No more restarts: a failure from now on ends the task, and a task waiting for
        its restart ends now. (The coroutine itself is told to stop by its owner.)"""
        self._finishing = True
        if self._backing_off and self._task is not None:
            self._task.cancel()

    async def join(self) -> None:
        """Wait until the coroutine has returned (or was cancelled)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(self._task)

    async def cancel(self) -> None:
        if self._task is None:
            return
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task

    async def _loop(self) -> None:
        series = 0
        while True:
            began = self.clock.monotonic()
            try:
                await self.factory()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = exc
                self.restarts += 1
                if self.clock.monotonic() - began >= self.backoff.reset_after:
                    series = 0
                delay = self.backoff.delay(series)
                series += 1
                log.exception(
                    "background task failed; restarting",
                    extra={"task": self.name, "restarts": self.restarts, "delay_s": delay},
                )
                self._report(exc)
                if self._finishing:
                    return
            self._backing_off = True
            try:
                await self.clock.sleep(delay)
            finally:
                self._backing_off = False
            if self._finishing:
                return

    def _report(self, exc: BaseException) -> None:
        if self.reporter is None:
            return
        try:
            self.reporter(self.name, exc, self.restarts)
        except Exception:  # a broken reporter must not stop the restarts
            log.exception("failure reporter failed", extra={"task": self.name})


class Supervisor:
    """Starts and stops a group of :class:`Supervised` tasks."""

    def __init__(
        self, clock: Clock, reporter: Reporter | None = None, backoff: Backoff = Backoff()
    ):
        self.clock = clock
        self.reporter = reporter
        self.backoff = backoff
        self._tasks: dict[str, Supervised] = {}

    def spawn(
        self,
        name: str,
        factory: Callable[[], Awaitable[None]],
        *,
        reporter: Reporter | None = None,
        backoff: Backoff | None = None,
    ) -> Supervised:
        """Run ``factory()`` under supervision; ``reporter`` replaces the group's own."""
        if name in self._tasks and self._tasks[name].running:
            raise ValueError(f"task {name!r} is already running")
        task = Supervised(
            name, factory, self.clock, backoff or self.backoff, reporter or self.reporter
        )
        self._tasks[name] = task
        task.start()
        return task

    def get(self, name: str) -> Supervised | None:
        return self._tasks.get(name)

    async def cancel(self, name: str) -> None:
        task = self._tasks.pop(name, None)
        if task is not None:
            await task.cancel()

    async def cancel_all(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        await asyncio.gather(*(t.cancel() for t in tasks))

    def failures(self) -> dict[str, int]:
        """Restarts so far per task name (for health reports)."""
        return {name: t.restarts for name, t in self._tasks.items() if t.restarts}
