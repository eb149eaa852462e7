"""The ONVIF client: the few camera operations nvrd uses, on top of ``onveef``.

``onveef`` builds the SOAP envelopes and parses the answers (no WSDL is
loaded); it authenticates with WS-Security UsernameToken digests, answers an
HTTP ``401`` challenge with HTTP Digest (or Basic), and when the camera
refuses a digest it reads the camera's clock once and signs again with the
offset. This module turns its exceptions into :class:`~nvrd.devices.model.DeviceError`
with the guide's codes, bounds every call in time, and never lets a
credential reach a log line.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

from onveef import AsyncOnvifClient, OnvifCredentials, OnvifEndpoint, envelopes, parsers
from onveef.aops.events import AsyncPullPointSubscription
from onveef.exceptions import (
    OnvifAuthError,
    OnvifCapabilityMissingError,
    OnvifError,
    OnvifFaultError,
    OnvifOperationNotSupportedError,
    OnvifServiceUnavailableError,
    OnvifTransportError,
)

from nvrd.core.deviceurl import DeviceAddress
from nvrd.devices.model import Code, DeviceError

log = logging.getLogger("nvrd.devices")

T = TypeVar("T")

#: The largest SOAP answer read from a camera.
MAX_RESPONSE_BYTES = 2 * 1024 * 1024


def device_error(exc: BaseException) -> DeviceError:
    """The guide code for a failed camera call."""
    if isinstance(exc, DeviceError):
        return exc
    if isinstance(exc, OnvifOperationNotSupportedError | OnvifCapabilityMissingError):
        return DeviceError(Code.UNSUPPORTED, "not supported by the camera", 500)
    if isinstance(exc, OnvifAuthError):
        return DeviceError(Code.DEVICE_ERROR, "the camera refused the credentials", 401)
    if isinstance(exc, OnvifServiceUnavailableError):
        return DeviceError(Code.BUSY, "the camera is busy", 503)
    if isinstance(exc, OnvifFaultError):
        return DeviceError(Code.DEVICE_ERROR, str(exc)[:200], 500)
    if isinstance(exc, OnvifTransportError | TimeoutError | OSError):
        return DeviceError(Code.NOT_READY, "the camera does not answer", 0)
    return DeviceError(Code.DEVICE_ERROR, type(exc).__name__, 0)


class Camera:
    """One camera's ONVIF services, reached at ``address`` with ``uid``/``password``."""

    def __init__(self, address: DeviceAddress, uid: str, password: str, timeout: float = 5.0):
        self.address = address
        self.timeout = timeout
        self._client = AsyncOnvifClient(
            endpoint=OnvifEndpoint(address.xaddr),
            credentials=OnvifCredentials(uid, password),
            auto_discover=False,  # services() reads them, once per refresh
            timeout_s=timeout,
            verify_tls=False,  # cameras use self-signed certificates
            retries=0,  # nvrd decides what to retry
            max_response_bytes=MAX_RESPONSE_BYTES,
        )

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()

    async def run(self, call: Awaitable[T], timeout: float | None = None) -> T:
        """Await one camera call, bounded by ``timeout``; failures become DeviceError."""
        try:
            return await asyncio.wait_for(call, timeout or self.timeout * 2)
        except (OnvifError, TimeoutError, OSError) as exc:
            raise device_error(exc) from None

    @property
    def onvif(self) -> AsyncOnvifClient:
        return self._client

    async def services(self) -> set[str]:
        """Read the camera's service addresses (GetServices, else GetCapabilities)."""
        found = await self.run(self._client.discover_services())
        self._client.set_endpoint(OnvifEndpoint(self.address.xaddr, services=dict(found)))
        return {k for k, v in found.items() if v}

    async def clock_offset(self) -> float:
        """The camera's UTC clock minus ours, in seconds (GetSystemDateAndTime needs no
        sign-in)."""
        xml = await self.run(
            self._client.call(
                service="device",
                operation="GetSystemDateAndTime",
                body_inner=envelopes.device_get_system_date_time(),
                require_auth=False,
            )
        )
        utc = parsers.parse_system_datetime(xml).get("UTCDateTime")
        if not isinstance(utc, dict):
            return 0.0
        try:
            camera = datetime(
                utc["year"], utc["month"], utc["day"], utc["hour"], utc["minute"],
                utc["second"], tzinfo=UTC,
            )  # fmt: skip
        except (KeyError, TypeError, ValueError):
            return 0.0
        return (camera - datetime.now(UTC)).total_seconds()

    async def raw(self, service: str, operation: str, body: str) -> str:
        return await self.run(
            self._client.call(service=service, operation=operation, body_inner=body)
        )

    async def ptz_nodes_xml(self) -> str:
        return await self.raw("ptz", "GetNodes", envelopes.ptz_get_nodes())

    async def event_topics(self) -> list[str]:
        props = await self.run(self._client.events_get_event_properties())
        topics = props.get("topics")
        return [str(t) for t in topics] if isinstance(topics, list) else []

    @contextlib.asynccontextmanager
    async def pull_point(self, poll_seconds: int) -> AsyncIterator[AsyncPullPointSubscription]:
        """A PullPoint subscription that renews itself; unsubscribed on exit."""
        sub = self._client.pull_point(
            termination_time="PT60S", timeout=f"PT{poll_seconds}S", message_limit=50
        )
        await self.run(sub.create())
        try:
            yield sub
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sub.unsubscribe(), self.timeout)


def aux_commands(nodes_xml: str) -> tuple[str, ...]:
    """AUX outputs of a PTZ node: the ``tt:Name`` commands offered with both ``|On`` and
    ``|Off`` (the ONVIF auxiliary command syntax), in the order the camera lists them."""
    root = parsers.parse_xml(nodes_xml)
    if root is None:
        return ()
    offered: list[str] = []
    for el in parsers.find_all_local(root, "AuxiliaryCommands"):
        offered.extend(p.strip() for p in (el.text or "").split() if p.strip())
    states: dict[str, set[str]] = {}
    for cmd in offered[:256]:
        name, _, rest = cmd.partition("|")
        states.setdefault(name, set()).update(s.lower() for s in rest.split("|"))
    return tuple(n for n, s in states.items() if {"on", "off"} <= s)[:64]


def plain_dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
