"""What evidence export and event backup tell the event log (the only place they publish).

Every export leaves a privacy record: who exported which channels over which
time range, for whom and why (``submitter``, ``recipient``, ``purpose``), when
it began and how it ended, and each download of an assembled MP4. Event
backup logs the event (with its title and comment, so that it is found in
the event log search) and, per clip, whether it was saved or had nothing
recorded. All of it goes to the bus as ``log`` events, which the event-log
writer stores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from nvrd.core.eventtypes import EventBackupCode, EventType, PrivacyCode
from nvrd.events.types import LogRequested

Publish = Callable[[LogRequested], object]


class Records:
    def __init__(self, publish: Publish, now_ms: Callable[[], int]):
        self._publish = publish
        self._now_ms = now_ms

    def _log(
        self,
        type_: int,
        code: int,
        param: dict[str, Any],
        comment: str | None = None,
        chid: int | None = None,
        time_ms: int | None = None,
    ) -> None:
        self._publish(
            LogRequested(
                at_ms=time_ms if time_ms is not None else self._now_ms(),
                type=type_,
                code=code,
                param=param,
                comment=comment,
                chid=chid,
            )
        )

    def export_started(
        self,
        uid: str,
        task: str,
        chids: Sequence[int],
        time_range: tuple[str, str],
        submitter: str,
        recipient: str,
        purpose: str,
        via: str,
        encrypted: bool,
    ) -> None:
        param = {
            "uid": uid,
            "task": task,
            "ch": list(chids),
            "timeRange": list(time_range),
            "submitter": submitter,
            "recipient": recipient,
            "purpose": purpose,
            "via": via,
            "encrypted": encrypted,
        }
        self._log(EventType.PRIVACY, PrivacyCode.EXPORT_STARTED, param, purpose or None)

    def export_ended(self, uid: str, task: str, code: int, files: Sequence[str]) -> None:
        param = {"uid": uid, "task": task, "statusCode": code, "files": list(files)}
        self._log(EventType.PRIVACY, PrivacyCode.EXPORT_ENDED, param)

    def video_downloaded(
        self, uid: str, chid: int, time_range: tuple[str, str], client: str
    ) -> None:
        param = {"uid": uid, "ch": [chid], "timeRange": list(time_range), "client": client}
        self._log(EventType.PRIVACY, PrivacyCode.VIDEO_DOWNLOADED, param, chid=chid)

    def event_triggered(
        self,
        event_id: int,
        chid: int,
        time_ms: int,
        title: str,
        comment: Any,
        urls: Sequence[str],
        tasks: Sequence[dict[str, Any]],
        uid: str,
    ) -> None:
        param = {
            "eventId": event_id,
            "title": title,
            "comment": comment,
            "videoURLs": list(urls),
            "tasks": list(tasks),
            "uid": uid,
        }
        self._log(
            EventType.EVENT_BACKUP,
            EventBackupCode.EVENT_TRIGGERED,
            param,
            title or None,
            chid,
            time_ms,
        )

    def event_video(
        self, event_id: int, chid: int, url: str, saved: bool, time_range: tuple[str, str]
    ) -> None:
        code = EventBackupCode.EVENT_VIDEO_SAVED if saved else EventBackupCode.EVENT_VIDEO_MISSING
        param = {"eventId": event_id, "videoURL": url, "timeRange": list(time_range)}
        self._log(EventType.EVENT_BACKUP, code, param, chid=chid)
