"""The names of exported files, as the guide shows them: ``CH1.2026-01-02T03.04.05`` (the
channel and the local start time of the part), unique within one export: a second
part that starts in the same second is ``CH1.2026-01-02T03.04.05(2)``, and so on."""

from __future__ import annotations

from datetime import tzinfo

from nvrd.core.clock import utc_from_ms


class FileNames:
    """Hands out the names of one export; each name once."""

    def __init__(self) -> None:
        self._taken: set[str] = set()

    def name(self, chid: int, start_ms: int, tz: tzinfo) -> str:
        local = utc_from_ms(start_ms).astimezone(tz)
        base = f"CH{chid}.{local.strftime('%Y-%m-%dT%H.%M.%S')}"
        name, n = base, 1
        while name in self._taken:
            n += 1
            name = f"{base}({n})"
        self._taken.add(name)
        return name
