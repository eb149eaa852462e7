"""Where the host's own files are read from: ``/`` normally, a fixture tree in tests.

Everything in ``system/`` that reads ``/proc``, ``/sys``, ``/etc``, ``/run`` or
``/dev`` takes a :class:`HostRoot` and asks it for the path (``server.host_root``
in the configuration; tests point it at a directory laid out like a host).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class HostRoot:
    root: Path = Path("/")

    def __call__(self, path: str | Path) -> Path:
        """``path`` (absolute, as on the host) under this root."""
        p = Path(path)
        return self.root / p.relative_to("/") if p.is_absolute() else self.root / p
