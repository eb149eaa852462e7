"""A small ONVIF camera written for the tests: the parts that ipycam lacks.

ipycam (the real ONVIF camera the device tests use first) has no relay
outputs, AUX commands, reboot, events, HTTP digest authentication or a
wrong clock. This device speaks real SOAP 1.2 over real HTTP on 127.0.0.1
(stdlib ``ThreadingHTTPServer`` in a thread of the test process) and checks
what a camera checks:

* WS-Security UsernameToken digests, with ``Created`` within 5 minutes of
  the device's own clock (``clock_offset`` seconds off ours), answered with
  a ``ter:NotAuthorized`` fault otherwise;
* optionally HTTP Digest (RFC 7616, MD5, qop=auth) in front of every request
  except GetSystemDateAndTime;
* PullPoint subscriptions, each with its own queue, whose PullMessages wait
  (long poll) until an event is pushed with :meth:`SoapDevice.push` or the
  timeout passes.

Every request is recorded (``requests``: monotonic time, path, operation).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import http.server
import re
import secrets
import socket
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsse": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd",
    "wsu": "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd",
}
ENVELOPE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" '
    'xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
    'xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl" '
    'xmlns:tev="http://www.onvif.org/ver10/events/wsdl" '
    'xmlns:tmd="http://www.onvif.org/ver10/deviceIO/wsdl" '
    'xmlns:timg="http://www.onvif.org/ver20/imaging/wsdl" '
    'xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2" '
    'xmlns:wsa="http://www.w3.org/2005/08/addressing" '
    'xmlns:tns1="http://www.onvif.org/ver10/topics" '
    'xmlns:ter="http://www.onvif.org/ver10/error" '
    'xmlns:tt="http://www.onvif.org/ver10/schema"><s:Body>{body}</s:Body></s:Envelope>'
)
SPACE = "http://www.onvif.org/ver10/tptz/"
REALM = "soap-device"


def _fault(code: str, reason: str) -> str:
    return (
        f"<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>{code}</s:Value>"
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">{reason}</s:Text>'
        "</s:Reason></s:Fault>"
    )


def _later(now: datetime) -> str:
    return f"{now + timedelta(minutes=1):%Y-%m-%dT%H:%M:%SZ}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(root: ET.Element, name: str) -> str:
    for el in root.iter():
        if _local(el.tag) == name:
            return (el.text or "").strip()
    return ""


def _attr(root: ET.Element, name: str, attr: str) -> str:
    for el in root.iter():
        if _local(el.tag) == name and attr in el.attrib:
            return el.attrib[attr]
    return ""


@dataclass
class Request:
    at: float
    path: str
    operation: str
    body: str


@dataclass
class SoapDevice:
    """Start with :meth:`start` (or as a context manager); ``port`` 0 picks a free one."""

    user: str = "admin"
    password: str = "secret"
    http_digest: bool = False
    #: The device clock minus the real one (seconds).
    clock_offset: float = 0.0
    main_uri: str = "rtsp://127.0.0.1:554/main"
    sub_uri: str = "rtsp://127.0.0.1:554/sub"
    relays: tuple[str, ...] = ("relay-1", "relay-2")
    inputs: tuple[str, ...] = ("input-1",)
    aux: tuple[str, ...] = ("tt:Wiper|On", "tt:Wiper|Off", "tt:IRLamp|On", "tt:IRLamp|Off")
    max_presets: int = 8
    #: Seconds each operation takes before the device answers (e.g. {"SetPreset": 2}).
    delay: dict[str, float] = field(default_factory=dict)
    port: int = 0
    requests: list[Request] = field(default_factory=list)
    presets: dict[str, str] = field(default_factory=lambda: {"1": "Gate"})
    relay_state: dict[str, str] = field(default_factory=dict)
    aux_sent: list[str] = field(default_factory=list)
    moves: list[str] = field(default_factory=list)
    reboots: int = 0
    subscriptions: int = 0

    def __post_init__(self) -> None:
        #: Queued notifications per live subscription (its pull-point path).
        self._queues: dict[str, list[str]] = {}
        self._cond = threading.Condition()
        self._server: http.server.ThreadingHTTPServer | None = None
        self._nonces: set[str] = set()
        self._conns: set[socket.socket] = set()
        self._preset_seq = 100

    # -- control from the test ------------------------------------------------

    @property
    def url(self) -> str:
        return f"onvif://127.0.0.1:{self.port}"

    def start(self) -> SoapDevice:
        device = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                # headers and body are two writes: without this, Nagle's algorithm and the
                # client's delayed ACK hold every answer back for 40 ms
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                device._conns.add(self.connection)

            def finish(self) -> None:
                device._conns.discard(self.connection)
                super().finish()

            def do_POST(self) -> None:
                device._handle(self)

        if not self.port:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                self.port = s.getsockname()[1]
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        for conn in list(self._conns):  # kept-alive connections end too: the camera is gone
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        with self._cond:
            self._cond.notify_all()

    def __enter__(self) -> SoapDevice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def push(self, topic: str, data: dict[str, str], source: dict[str, str] | None = None) -> None:
        """Queue one notification for the PullPoint subscribers."""
        src = "".join(f'<tt:SimpleItem Name="{k}" Value="{v}"/>' for k, v in (source or {}).items())
        items = "".join(f'<tt:SimpleItem Name="{k}" Value="{v}"/>' for k, v in data.items())
        now = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        msg = (
            f'<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif.org/ver10/tev/'
            f'topicExpression/ConcreteSet">{topic}</wsnt:Topic><wsnt:Message>'
            f'<tt:Message UtcTime="{now}" PropertyOperation="Changed"><tt:Source>{src}'
            f"</tt:Source><tt:Data>{items}</tt:Data></tt:Message></wsnt:Message>"
            "</wsnt:NotificationMessage>"
        )
        with self._cond:
            for queue in self._queues.values():
                queue.append(msg)
            self._cond.notify_all()

    def operations(self) -> list[str]:
        return [r.operation for r in list(self.requests)]

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset)

    # -- HTTP ---------------------------------------------------------------------

    def _handle(self, h: http.server.BaseHTTPRequestHandler) -> None:
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(min(length, 1 << 20)).decode("utf-8", "replace")
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return self._send(h, 400, _fault("ter:WellFormed", "not XML"))
        soap_body = next((el for el in root.iter() if _local(el.tag) == "Body"), None)
        op_el = soap_body[0] if soap_body is not None and len(soap_body) else None
        op = _local(op_el.tag) if op_el is not None else ""
        self.requests.append(Request(time.monotonic(), h.path, op, body))
        if op != "GetSystemDateAndTime":
            if self.http_digest and not self._digest_ok(h):
                return self._challenge(h)
            if not self._wsse_ok(root):
                return self._send(h, 400, _fault("ter:NotAuthorized", "Sender not Authorized"))
        time.sleep(self.delay.get(op, 0.0))
        handler = getattr(self, f"op_{op}", None)
        if handler is None:
            return self._send(h, 400, _fault("ter:ActionNotSupported", f"{op} not supported"))
        status, text = 200, handler(root, h.path)
        if text.startswith("<s:Fault>"):
            status = 400
        self._send(h, status, text)

    def _send(self, h: http.server.BaseHTTPRequestHandler, status: int, body: str) -> None:
        data = ENVELOPE.format(body=body).encode()
        with contextlib.suppress(OSError):  # the client went away (a test ended, a timeout)
            h.send_response(status)
            h.send_header("Content-Type", "application/soap+xml; charset=utf-8")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)

    def _challenge(self, h: http.server.BaseHTTPRequestHandler) -> None:
        nonce = secrets.token_hex(16)
        self._nonces.add(nonce)
        h.send_response(401)
        h.send_header("WWW-Authenticate", f'Digest realm="{REALM}", nonce="{nonce}", qop="auth"')
        h.send_header("Content-Length", "0")
        h.end_headers()

    def _digest_ok(self, h: http.server.BaseHTTPRequestHandler) -> bool:
        header = h.headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', header[7:]))
        if p.get("username") != self.user or p.get("nonce") not in self._nonces:
            return False

        def md5(s: str) -> str:
            return hashlib.md5(s.encode()).hexdigest()

        ha1 = md5(f"{self.user}:{REALM}:{self.password}")
        ha2 = md5(f"POST:{p.get('uri', '')}")
        want = md5(f"{ha1}:{p['nonce']}:{p.get('nc', '')}:{p.get('cnonce', '')}:auth:{ha2}")
        return hmac.compare_digest(want, p.get("response", ""))

    def _wsse_ok(self, root: ET.Element) -> bool:
        user, digest = _text(root, "Username"), _text(root, "Password")
        nonce, created = _text(root, "Nonce"), _text(root, "Created")
        if not user or not nonce or not created:
            return False
        try:
            when = datetime.fromisoformat(created.replace("Z", "+00:00"))
        except ValueError:
            return False
        if abs((when - self.now()).total_seconds()) > 300:
            return False
        raw = base64.b64decode(nonce) + created.encode() + self.password.encode()
        want = base64.b64encode(hashlib.sha1(raw).digest()).decode()
        return user == self.user and hmac.compare_digest(want, digest)

    # -- device management --------------------------------------------------------------

    def _xaddr(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/onvif/{path}"

    def op_GetSystemDateAndTime(self, root: ET.Element, path: str) -> str:
        n = self.now()
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime>"
            "<tt:DateTimeType>Manual</tt:DateTimeType><tt:DaylightSavings>false"
            "</tt:DaylightSavings><tt:UTCDateTime>"
            f"<tt:Time><tt:Hour>{n.hour}</tt:Hour><tt:Minute>{n.minute}</tt:Minute>"
            f"<tt:Second>{n.second}</tt:Second></tt:Time><tt:Date><tt:Year>{n.year}</tt:Year>"
            f"<tt:Month>{n.month}</tt:Month><tt:Day>{n.day}</tt:Day></tt:Date>"
            "</tt:UTCDateTime></tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )

    def op_GetServices(self, root: ET.Element, path: str) -> str:
        services = [
            ("ver10/device/wsdl", "device_service"),
            ("ver10/media/wsdl", "media_service"),
            ("ver20/ptz/wsdl", "ptz_service"),
            ("ver10/events/wsdl", "event_service"),
            ("ver10/deviceIO/wsdl", "deviceio_service"),
            ("ver20/imaging/wsdl", "imaging_service"),
        ]
        items = "".join(
            f"<tds:Service><tds:Namespace>http://www.onvif.org/{ns}</tds:Namespace>"
            f"<tds:XAddr>{self._xaddr(p)}</tds:XAddr><tds:Version><tt:Major>2</tt:Major>"
            "<tt:Minor>60</tt:Minor></tds:Version></tds:Service>"
            for ns, p in services
        )
        return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"

    def op_GetDeviceInformation(self, root: ET.Element, path: str) -> str:
        return (
            "<tds:GetDeviceInformationResponse><tds:Manufacturer>TestWorks</tds:Manufacturer>"
            "<tds:Model>SOAP-1</tds:Model><tds:FirmwareVersion>1.0</tds:FirmwareVersion>"
            "<tds:SerialNumber>SN-42</tds:SerialNumber><tds:HardwareId>HW-7</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )

    def op_GetScopes(self, root: ET.Element, path: str) -> str:
        scopes = ["name/Yard%20camera", "location/city/seoul", "location/country/korea"]
        items = "".join(
            "<tds:Scopes><tt:ScopeDef>Configurable</tt:ScopeDef><tt:ScopeItem>"
            f"onvif://www.onvif.org/{s}</tt:ScopeItem></tds:Scopes>"
            for s in scopes
        )
        return f"<tds:GetScopesResponse>{items}</tds:GetScopesResponse>"

    def op_GetNetworkInterfaces(self, root: ET.Element, path: str) -> str:
        return (
            '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0">'
            "<tt:Enabled>true</tt:Enabled><tt:Info><tt:Name>eth0</tt:Name>"
            "<tt:HwAddress>00:11:22:33:44:55</tt:HwAddress></tt:Info>"
            "</tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
        )

    def op_SystemReboot(self, root: ET.Element, path: str) -> str:
        self.reboots += 1
        return (
            "<tds:SystemRebootResponse><tds:Message>Rebooting</tds:Message>"
            "</tds:SystemRebootResponse>"
        )

    # -- media ------------------------------------------------------------------------

    def op_GetProfiles(self, root: ET.Element, path: str) -> str:
        def profile(token: str, w: int, h: int, ptz: bool) -> str:
            ptz_cfg = (
                '<tt:PTZConfiguration token="ptz0"><tt:Name>ptz</tt:Name><tt:UseCount>2'
                "</tt:UseCount><tt:NodeToken>node0</tt:NodeToken></tt:PTZConfiguration>"
                if ptz
                else ""
            )
            return (
                f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{token}</tt:Name>'
                '<tt:VideoSourceConfiguration token="vsc"><tt:Name>vs</tt:Name><tt:UseCount>2'
                "</tt:UseCount><tt:SourceToken>vs0</tt:SourceToken>"
                '<tt:Bounds x="0" y="0" width="1280" height="720"/></tt:VideoSourceConfiguration>'
                f'<tt:VideoEncoderConfiguration token="enc-{token}"><tt:Name>enc</tt:Name>'
                "<tt:UseCount>1</tt:UseCount><tt:Encoding>H264</tt:Encoding><tt:Resolution>"
                f"<tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height></tt:Resolution>"
                "<tt:Quality>5</tt:Quality></tt:VideoEncoderConfiguration>"
                f"{ptz_cfg}</trt:Profiles>"
            )

        body = profile("sub", 640, 360, True) + profile("main", 1280, 720, True)
        return f"<trt:GetProfilesResponse>{body}</trt:GetProfilesResponse>"

    def op_GetStreamUri(self, root: ET.Element, path: str) -> str:
        uri = self.main_uri if _text(root, "ProfileToken") == "main" else self.sub_uri
        return (
            f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{uri}</tt:Uri>"
            "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>"
            "false</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri>"
            "</trt:GetStreamUriResponse>"
        )

    # -- PTZ and imaging ------------------------------------------------------------------

    def op_GetNodes(self, root: ET.Element, path: str) -> str:
        aux = "".join(f"<tt:AuxiliaryCommands>{a}</tt:AuxiliaryCommands>" for a in self.aux)
        return (
            '<tptz:GetNodesResponse><tptz:PTZNode token="node0" FixedHomePosition="false">'
            "<tt:Name>node</tt:Name><tt:SupportedPTZSpaces>"
            f"<tt:ContinuousPanTiltVelocitySpace><tt:URI>{SPACE}PanTiltSpaces/"
            "VelocityGenericSpace</tt:URI><tt:XRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max>"
            "</tt:XRange><tt:YRange><tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:YRange>"
            "</tt:ContinuousPanTiltVelocitySpace><tt:ContinuousZoomVelocitySpace><tt:URI>"
            f"{SPACE}ZoomSpaces/VelocityGenericSpace</tt:URI><tt:XRange><tt:Min>-1</tt:Min>"
            "<tt:Max>1</tt:Max></tt:XRange></tt:ContinuousZoomVelocitySpace>"
            "</tt:SupportedPTZSpaces>"
            f"<tt:MaximumNumberOfPresets>{self.max_presets}</tt:MaximumNumberOfPresets>"
            f"<tt:HomeSupported>true</tt:HomeSupported>{aux}</tptz:PTZNode>"
            "</tptz:GetNodesResponse>"
        )

    def op_GetPresets(self, root: ET.Element, path: str) -> str:
        items = "".join(
            f'<tptz:Preset token="{t}"><tt:Name>{n}</tt:Name></tptz:Preset>'
            for t, n in self.presets.items()
        )
        return f"<tptz:GetPresetsResponse>{items}</tptz:GetPresetsResponse>"

    def op_SetPreset(self, root: ET.Element, path: str) -> str:
        token = _text(root, "PresetToken")
        if not token:
            if len(self.presets) >= self.max_presets:
                return _fault("ter:TooManyPresets", "no room")
            self._preset_seq += 1
            token = f"p{self._preset_seq}"
        elif token not in self.presets:
            return _fault("ter:NoToken", "no such preset")
        self.presets[token] = _text(root, "PresetName") or token
        return (
            f"<tptz:SetPresetResponse><tptz:PresetToken>{token}</tptz:PresetToken>"
            "</tptz:SetPresetResponse>"
        )

    def op_RemovePreset(self, root: ET.Element, path: str) -> str:
        token = _text(root, "PresetToken")
        if self.presets.pop(token, None) is None:
            return _fault("ter:NoToken", "no such preset")
        return "<tptz:RemovePresetResponse/>"

    def op_GotoPreset(self, root: ET.Element, path: str) -> str:
        token = _text(root, "PresetToken")
        if token not in self.presets:
            return _fault("ter:NoToken", "no such preset")
        self.moves.append(f"preset {token}")
        return "<tptz:GotoPresetResponse/>"

    def op_GotoHomePosition(self, root: ET.Element, path: str) -> str:
        self.moves.append("home")
        return "<tptz:GotoHomePositionResponse/>"

    def op_ContinuousMove(self, root: ET.Element, path: str) -> str:
        pt = (_attr(root, "PanTilt", "x"), _attr(root, "PanTilt", "y"), _attr(root, "Zoom", "x"))
        self.moves.append("move " + ",".join(pt))
        return "<tptz:ContinuousMoveResponse/>"

    def op_Stop(self, root: ET.Element, path: str) -> str:
        self.moves.append("stop" if "ptz" in path else "focus stop")
        tag = "tptz" if "ptz" in path else "timg"
        return f"<{tag}:StopResponse/>"

    def op_SendAuxiliaryCommand(self, root: ET.Element, path: str) -> str:
        data = _text(root, "AuxiliaryData")
        self.aux_sent.append(data)
        return (
            "<tptz:SendAuxiliaryCommandResponse><tptz:AuxiliaryResponse>"
            f"{data}</tptz:AuxiliaryResponse></tptz:SendAuxiliaryCommandResponse>"
        )

    def op_GetMoveOptions(self, root: ET.Element, path: str) -> str:
        return (
            "<timg:GetMoveOptionsResponse><timg:MoveOptions><tt:Continuous><tt:Speed>"
            "<tt:Min>-1</tt:Min><tt:Max>1</tt:Max></tt:Speed></tt:Continuous>"
            "</timg:MoveOptions></timg:GetMoveOptionsResponse>"
        )

    def op_Move(self, root: ET.Element, path: str) -> str:
        self.moves.append("focus " + _text(root, "Speed"))
        return "<timg:MoveResponse/>"

    # -- device IO ------------------------------------------------------------------------

    def op_GetRelayOutputs(self, root: ET.Element, path: str) -> str:
        items = "".join(
            f'<tmd:RelayOutputs token="{t}"><tt:Properties><tt:Mode>Bistable</tt:Mode>'
            "<tt:DelayTime>PT0S</tt:DelayTime><tt:IdleState>open</tt:IdleState>"
            "</tt:Properties></tmd:RelayOutputs>"
            for t in self.relays
        )
        return f"<tmd:GetRelayOutputsResponse>{items}</tmd:GetRelayOutputsResponse>"

    def op_SetRelayOutputState(self, root: ET.Element, path: str) -> str:
        token = _text(root, "RelayOutputToken")
        if token not in self.relays:
            return _fault("ter:RelayToken", "no such relay")
        self.relay_state[token] = _text(root, "LogicalState")
        return "<tmd:SetRelayOutputStateResponse/>"

    def op_GetDigitalInputs(self, root: ET.Element, path: str) -> str:
        items = "".join(f'<tmd:DigitalInputs token="{t}" IdleState="open"/>' for t in self.inputs)
        return f"<tmd:GetDigitalInputsResponse>{items}</tmd:GetDigitalInputsResponse>"

    # -- events -----------------------------------------------------------------------------

    def op_GetEventProperties(self, root: ET.Element, path: str) -> str:
        return (
            "<tev:GetEventPropertiesResponse><tev:TopicNamespaceLocation>"
            "http://www.onvif.org/onvif/ver10/topics/topicns.xml</tev:TopicNamespaceLocation>"
            "<wsnt:FixedTopicSet>true</wsnt:FixedTopicSet><wstop:TopicSet "
            'xmlns:wstop="http://docs.oasis-open.org/wsn/t-1"><tns1:VideoSource>'
            '<MotionAlarm wstop:topic="true"/></tns1:VideoSource><tns1:Device><Trigger>'
            '<DigitalInput wstop:topic="true"/></Trigger></tns1:Device></wstop:TopicSet>'
            "</tev:GetEventPropertiesResponse>"
        )

    def op_CreatePullPointSubscription(self, root: ET.Element, path: str) -> str:
        self.subscriptions += 1
        path = f"pullpoint/{self.subscriptions}"
        with self._cond:
            self._queues["/onvif/" + path] = []
        now = self.now()
        return (
            "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"
            f"<wsa:Address>{self._xaddr(path)}</wsa:Address>"
            f"</tev:SubscriptionReference><wsnt:CurrentTime>{now:%Y-%m-%dT%H:%M:%SZ}"
            f"</wsnt:CurrentTime><wsnt:TerminationTime>{_later(now)}"
            "</wsnt:TerminationTime></tev:CreatePullPointSubscriptionResponse>"
        )

    def op_PullMessages(self, root: ET.Element, path: str) -> str:
        m = re.match(r"PT(\d+)S", _text(root, "Timeout"))
        wait = min(int(m.group(1)) if m else 5, 30)
        with self._cond:
            queue = self._queues.get(path)
            if queue is None:
                return _fault("ter:InvalidArgVal", "no such subscription")
            self._cond.wait_for(lambda: bool(queue) or self._server is None, wait)
            batch = list(queue)
            queue.clear()
        now = self.now()
        return (
            f"<tev:PullMessagesResponse><tev:CurrentTime>{now:%Y-%m-%dT%H:%M:%SZ}"
            f"</tev:CurrentTime><tev:TerminationTime>{_later(now)}"
            f"</tev:TerminationTime>{''.join(batch)}</tev:PullMessagesResponse>"
        )

    def op_Renew(self, root: ET.Element, path: str) -> str:
        end = self.now() + timedelta(minutes=1)
        return (
            f"<wsnt:RenewResponse><wsnt:TerminationTime>{end:%Y-%m-%dT%H:%M:%SZ}"
            "</wsnt:TerminationTime></wsnt:RenewResponse>"
        )

    def op_Unsubscribe(self, root: ET.Element, path: str) -> str:
        with self._cond:
            self._queues.pop(path, None)
        return "<wsnt:UnsubscribeResponse/>"
