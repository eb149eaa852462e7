"""Per-channel status as the guide reports it: the status code and the recording status.

The board is the one place the media pipeline writes what it knows and the
API reads it. Until a channel's ingest runs, its status is ``-2`` (Loading).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from nvrd.core.clock import ms_from_datetime
from nvrd.core.statuscodes import ChannelStatus
from nvrd.events.types import RecordingState


@dataclass
class ChannelState:
    code: int = int(ChannelStatus.LOADING)
    streaming: bool = False
    recording: bool = False
    recording_failed_at: datetime | None = None


class StatusBoard:
    """``on_recording(chid)`` is called whenever a channel's recording status changes."""

    def __init__(self) -> None:
        self._states: dict[int, ChannelState] = {}
        self.on_recording: Callable[[int], None] | None = None

    def state(self, chid: int) -> ChannelState:
        return self._states.setdefault(chid, ChannelState())

    def set_code(self, chid: int, code: int) -> None:
        self.state(chid).code = code

    def set_recording(
        self, chid: int, streaming: bool, recording: bool, failed_at: datetime | None = None
    ) -> None:
        """Set the recording status; ``failed_at`` (a failure time) is kept until replaced."""
        state = self.state(chid)
        new_failure = failed_at is not None and failed_at != state.recording_failed_at
        if state.streaming == streaming and state.recording == recording and not new_failure:
            return
        state.streaming, state.recording = streaming, recording
        if failed_at is not None:
            state.recording_failed_at = failed_at
        if self.on_recording is not None:
            self.on_recording(chid)

    def recording_state(self, chid: int) -> RecordingState:
        """A channel's recording status as the bus carries it (``failed_ms``: epoch ms)."""
        state = self.state(chid)
        failed = state.recording_failed_at
        return RecordingState(
            chid=chid,
            streaming=state.streaming,
            recording=state.recording,
            failed_ms=ms_from_datetime(failed) if failed is not None else None,
        )

    def forget(self, chid: int) -> None:
        self._states.pop(chid, None)
