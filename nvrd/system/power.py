"""Restarting the server process and rebooting the host.

A restart asks the process's runner (``nvrd serve``) to stop serving and
re-execute itself; a reboot runs the configured command (none by default,
in which case the request is refused with a clear message).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence

log = logging.getLogger("nvrd.system")


class RebootDisabled(Exception):
    pass


class PowerControl:
    def __init__(
        self,
        request_restart: Callable[[], None],
        reboot_command: Sequence[str],
        delay: float = 0.5,
    ):
        self._request_restart = request_restart
        self._reboot_command = list(reboot_command)
        self._delay = delay
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def reboot_enabled(self) -> bool:
        return bool(self._reboot_command)

    def restart(self) -> None:
        """Restart after ``delay`` so that the answer reaches the client first."""
        log.warning("server restart requested")
        asyncio.get_running_loop().call_later(self._delay, self._request_restart)

    def reboot(self) -> None:
        if not self._reboot_command:
            raise RebootDisabled()
        log.warning("system reboot requested", extra={"command": self._reboot_command})
        task = asyncio.get_running_loop().create_task(self._run_reboot())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run_reboot(self) -> None:
        await asyncio.sleep(self._delay)
        try:
            proc = await asyncio.create_subprocess_exec(
                *self._reboot_command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
            )
            _, err = await proc.communicate()
        except OSError as exc:
            log.error("reboot command failed to start", extra={"error": str(exc)})
            return
        if proc.returncode != 0:
            log.error(
                "reboot command failed",
                extra={"returncode": proc.returncode, "stderr": err.decode(errors="replace")[:500]},
            )
