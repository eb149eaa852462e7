"""Per-channel status as the guide reports it: the status code and the recording status.

The board is the one place the media pipeline writes what it knows and the
API reads it. Until a channel's ingest runs, its status is ``-2`` (Loading).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nvrd.core.statuscodes import ChannelStatus


@dataclass
class ChannelState:
    code: int = int(ChannelStatus.LOADING)
    streaming: bool = False
    recording: bool = False
    recording_failed_at: datetime | None = None


class StatusBoard:
    def __init__(self) -> None:
        self._states: dict[int, ChannelState] = {}

    def state(self, chid: int) -> ChannelState:
        return self._states.setdefault(chid, ChannelState())

    def set_code(self, chid: int, code: int) -> None:
        self.state(chid).code = code

    def forget(self, chid: int) -> None:
        self._states.pop(chid, None)
