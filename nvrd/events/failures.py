"""Failed background tasks as system events (the supervisor's reporter)."""

from __future__ import annotations

from collections.abc import Callable

from nvrd.core.clock import Clock
from nvrd.core.eventtypes import EventType, SystemCode
from nvrd.events.bus import EventBus
from nvrd.events.types import LogRequested


def report_failure(bus: EventBus, clock: Clock) -> Callable[[str, BaseException, int], None]:
    """A supervisor reporter that logs a failed background task as a system event: the
    first failure of a task and then at its 2nd, 4th, 8th... restart, so that a task
    failing for hours does not flood the event log."""

    def report(name: str, exc: BaseException, restarts: int) -> None:
        if restarts & (restarts - 1):
            return
        bus.publish(
            LogRequested(
                at_ms=clock.now_ms(),
                type=EventType.SYSTEM,
                code=SystemCode.SERVICE_FAILURE,
                param={
                    "task": name,
                    "error": f"{type(exc).__name__}: {exc}"[:200],
                    "restarts": restarts,
                },
            )
        )

    return report
