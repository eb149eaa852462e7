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
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import Any, TypeVar

import httpx
from onveef import AsyncOnvifClient, OnvifCredentials, OnvifEndpoint, envelopes, parsers
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

_PULL_ACTION = "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/PullMessagesRequest"

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
        self._uid, self._password = uid, password
        #: The camera's clock minus ours (seconds), once :meth:`clock_offset` has read it.
        self.offset_s = 0.0
        self._http: httpx.AsyncClient | None = None
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
        if self._http is not None:
            with contextlib.suppress(Exception):
                await self._http.aclose()

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
        self.offset_s = (camera - datetime.now(UTC)).total_seconds()
        return self.offset_s

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

    async def pull_messages(
        self, url: str, wait_seconds: int, limit: int = 50
    ) -> list[dict[str, Any]]:
        """One PullMessages long poll on a subscription (waits up to ``wait_seconds`` at the
        camera). Built and parsed with onveef's envelope and parser functions and sent here:
        onveef 0.6's own call cannot override the read timeout with httpx 0.28."""
        body = envelopes.events_pull_messages(timeout=f"PT{wait_seconds}S", message_limit=limit)
        envelope = envelopes.build_envelope(
            body,
            username=self._uid,
            password=self._password,
            wsa_action=_PULL_ACTION,
            wsa_to=url,
            clock_offset_s=self.offset_s,
        )
        read = wait_seconds + self.timeout
        text = await self.run(self._post(url, envelope, read), timeout=read + self.timeout)
        if parsers.has_soap_fault(text):
            raise DeviceError(Code.DEVICE_ERROR, parsers.parse_fault(text)[:200], 500)
        messages = parsers.parse_pull_messages(text).get("messages")
        return messages if isinstance(messages, list) else []

    async def _post(self, url: str, envelope: str, read_timeout: float) -> str:
        if self._http is None:
            self._http = httpx.AsyncClient(verify=False, follow_redirects=False)
        headers = {"Content-Type": "application/soap+xml; charset=utf-8"}
        timeout = httpx.Timeout(self.timeout, read=read_timeout)
        auth: httpx.Auth | None = None
        for _ in range(2):
            async with self._http.stream(
                "POST", url, content=envelope, headers=headers, timeout=timeout, auth=auth
            ) as response:
                challenge = response.headers.get("WWW-Authenticate", "")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_RESPONSE_BYTES:
                        raise DeviceError(
                            Code.DEVICE_ERROR, "answer too large", response.status_code
                        )
            if response.status_code == 401 and auth is None and self._uid:
                auth = (
                    httpx.DigestAuth(self._uid, self._password)
                    if "digest" in challenge.lower()
                    else httpx.BasicAuth(self._uid, self._password)
                )
                continue
            if response.status_code == 401:
                raise DeviceError(Code.DEVICE_ERROR, "the camera refused the credentials", 401)
            return bytes(body).decode("utf-8", "replace")
        raise DeviceError(Code.DEVICE_ERROR, "the camera refused the credentials", 401)


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
