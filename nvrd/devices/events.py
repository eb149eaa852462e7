"""A camera's own events (ONVIF PullPoint): motion alarms and digital inputs.

:func:`classify` (pure) reads one notification message as onveef parses it
(``topic``, ``property_operation``, ``source`` and ``data`` dicts):

* motion: a topic with ``Motion`` in it (``tns1:VideoSource/MotionAlarm``
  with ``State``, ``tns1:RuleEngine/CellMotionDetector/Motion`` with
  ``IsMotion``, ...) and a boolean in ``IsMotion``, ``State`` or ``Motion``;
* digital input: ``tns1:Device/Trigger/DigitalInput`` (or any topic naming a
  digital input) with ``LogicalState``, the input's token in the source.

:func:`follow` pulls messages until the subscription fails, handing each
result to its callbacks.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nvrd.devices.client import Camera, plain_dict
from nvrd.devices.model import Code, DeviceError

#: A subscription is made for 60 s and renewed this often.
RENEW_SECONDS = 30.0

_TRUE = {"true", "1", "active", "on"}
_FALSE = {"false", "0", "inactive", "off"}
_MOTION_KEYS = ("IsMotion", "State", "Motion", "IsMotionAlarm")
_INPUT_KEYS = ("LogicalState", "State", "Level")


@dataclass(frozen=True)
class MotionEvent:
    motion: bool


@dataclass(frozen=True)
class InputEvent:
    token: str
    active: bool


def _bool(value: Any) -> bool | None:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _first_bool(data: dict[str, Any], keys: tuple[str, ...]) -> bool | None:
    for key in keys:
        if key in data:
            found = _bool(data[key])
            if found is not None:
                return found
    return None


def classify(message: dict[str, Any]) -> MotionEvent | InputEvent | None:
    topic = str(message.get("topic") or "")
    data = plain_dict(message.get("data"))
    low = topic.lower()
    if "digitalinput" in low.replace("_", ""):
        active = _first_bool(data, _INPUT_KEYS)
        if active is None:
            return None
        source = plain_dict(message.get("source"))
        token = next((str(v) for k, v in source.items() if "token" in k.lower()), "")
        return InputEvent(token[:128], active)
    if "motion" in low:
        motion = _first_bool(data, _MOTION_KEYS)
        return MotionEvent(motion) if motion is not None else None
    return None


async def follow(
    camera: Camera,
    on_motion: Callable[[bool], None],
    on_input: Callable[[str, bool], None],
    poll_seconds: int,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Subscribe (PullPoint), then pull messages until the subscription fails
    (DeviceError); the subscription is renewed every 30 s and ended on the way out."""
    ref = await camera.run(camera.onvif.events_create_pull_point(termination_time="PT60S"))
    url = str(ref.get("subscription_url") or "")
    if not url:
        raise DeviceError(Code.DEVICE_ERROR, "the camera gave no subscription address")
    renew_at = time.monotonic() + RENEW_SECONDS
    try:
        if on_ready is not None:
            on_ready()
        while True:
            if time.monotonic() >= renew_at:
                await camera.run(
                    camera.onvif.events_renew(subscription_url=url, termination_time="PT60S")
                )
                renew_at = time.monotonic() + RENEW_SECONDS
            for message in (await camera.pull_messages(url, poll_seconds))[:200]:
                event = classify(message)
                if isinstance(event, MotionEvent):
                    on_motion(event.motion)
                elif isinstance(event, InputEvent):
                    on_input(event.token, event.active)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(
                camera.onvif.events_unsubscribe(subscription_url=url), camera.timeout
            )
