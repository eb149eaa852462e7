"""The body of ``PUT /api/event-videos/trigger`` (pure): checked whole, every problem
naming its field (``tasks[1].postAlarm: ...``).

``preAlarm``/``postAlarm`` take the guide's notations (``5s``, ``1m``,
``500ms``, ``1h``; one unit) or a bare number of seconds, each from 0 to
1 hour. ``chids`` of an ``eventBackup`` always include ``chid`` (first).
``timestamp`` without an offset is server local time; one more than a
minute ahead of the server's clock is refused. Unknown fields are refused,
so that a typo cannot silently lose a setting.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from nvrd.core.clock import ms_from_datetime
from nvrd.core.errors import ApiError
from nvrd.core.timefmt import parse_duration, parse_time

MAX_ALARM_MS = 3_600_000
MAX_TITLE = 255
MAX_COMMENT = 16 * 1024
MAX_DEPTH = 16
MAX_TASKS = 16
MAX_CHANNELS = 64
MAX_TOKEN = 64
FUTURE_MS = 60_000
_TOP = {"chid", "timestamp", "title", "comment", "tasks"}
_TASK_FIELDS = {"presetGo": {"command", "token"}, "eventBackup": {"command", "preAlarm",
                "postAlarm", "chids"}}  # fmt: skip


class BodyError(Exception):
    def __init__(self, where: str, problem: str):
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True)
class Backup:
    pre_ms: int
    post_ms: int
    chids: tuple[int, ...]


@dataclass(frozen=True)
class Trigger:
    chid: int
    event_ms: int
    title: str
    comment: Any
    backup: Backup | None
    presets: tuple[str, ...] = ()
    tasks: list[dict[str, Any]] = field(default_factory=list)


def _chid(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BodyError(where, "must be a channel number (an integer from 1)")
    return value


def _alarm(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise BodyError(where, "must be a duration such as 5s, 1m or a number of seconds")
    if isinstance(value, int | float):
        ms = round(value * 1000)
    elif isinstance(value, str):
        try:
            ms = parse_duration(where, value) // timedelta(milliseconds=1)
        except ApiError:
            raise BodyError(where, f"is not a duration: {value[:40]!r}") from None
    else:
        raise BodyError(where, "must be a duration such as 5s, 1m or a number of seconds")
    if not 0 <= ms <= MAX_ALARM_MS:
        raise BodyError(where, "must be from 0 to 1 hour")
    return int(ms)


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(item, dict):
            stack.extend((v, d + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, d + 1) for v in item)
    return deepest


def _backup(task: dict[str, Any], where: str, chid: int) -> Backup:
    pre = _alarm(task.get("preAlarm", 0), f"{where}.preAlarm")
    post = _alarm(task.get("postAlarm", 0), f"{where}.postAlarm")
    chids = [chid]
    listed = task.get("chids", [])
    if not isinstance(listed, list) or len(listed) > MAX_CHANNELS:
        raise BodyError(f"{where}.chids", f"must be a list of at most {MAX_CHANNELS} channels")
    for i, c in enumerate(listed):
        n = _chid(c, f"{where}.chids[{i}]")
        if n not in chids:
            chids.append(n)
    return Backup(pre, post, tuple(chids))


def _tasks(value: Any, chid: int) -> tuple[Backup | None, list[str]]:
    if not isinstance(value, list) or len(value) > MAX_TASKS:
        raise BodyError("tasks", f"must be a list of at most {MAX_TASKS} tasks")
    backup: Backup | None = None
    presets: list[str] = []
    for i, task in enumerate(value):
        where = f"tasks[{i}]"
        if not isinstance(task, dict):
            raise BodyError(where, "must be an object")
        command = task.get("command")
        if command not in _TASK_FIELDS:
            raise BodyError(f"{where}.command", "must be presetGo or eventBackup")
        for key in task:
            if key not in _TASK_FIELDS[command]:
                raise BodyError(f"{where}.{key}", "unknown field")
        if command == "eventBackup":
            if backup is not None:
                raise BodyError(where, "only one eventBackup task is allowed")
            backup = _backup(task, where, chid)
        else:
            token = task.get("token")
            if not isinstance(token, str) or not token.strip() or len(token) > MAX_TOKEN:
                raise BodyError(f"{where}.token", "must be a preset token")
            presets.append(token)
    return backup, presets


def parse_trigger(doc: Any, tz: ZoneInfo, now: datetime) -> Trigger:
    if not isinstance(doc, dict):
        raise BodyError("(body)", "must be a JSON object")
    for key in doc:
        if key not in _TOP:
            raise BodyError(str(key)[:40], "unknown field")
    if "chid" not in doc:
        raise BodyError("chid", "is required")
    chid = _chid(doc["chid"], "chid")
    event_ms = ms_from_datetime(now)
    if doc.get("timestamp") is not None:
        stamp = doc["timestamp"]
        if not isinstance(stamp, str):
            raise BodyError("timestamp", "must be an ISO 8601 time")
        try:
            event_ms = ms_from_datetime(parse_time("timestamp", stamp, tz, now))
        except ApiError:
            raise BodyError("timestamp", f"is not an ISO 8601 time: {stamp[:40]!r}") from None
        if event_ms > ms_from_datetime(now) + FUTURE_MS:
            raise BodyError("timestamp", "is in the future")
    title = doc.get("title", "")
    if not isinstance(title, str) or len(title) > MAX_TITLE:
        raise BodyError("title", f"must be a text of at most {MAX_TITLE} characters")
    comment = doc.get("comment")
    if len(json.dumps(comment, ensure_ascii=False)) > MAX_COMMENT or _depth(comment) > MAX_DEPTH:
        raise BodyError("comment", f"must be at most {MAX_COMMENT} bytes and {MAX_DEPTH} levels")
    backup, presets = _tasks(doc.get("tasks", []), chid)
    tasks = [dict(t) for t in doc.get("tasks", [])]
    return Trigger(chid, event_ms, title, comment, backup, tuple(presets), tasks)
