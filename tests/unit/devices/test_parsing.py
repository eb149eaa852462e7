"""Pure parts of the ONVIF client: camera events, AUX commands, stream choice, scopes."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nvrd.devices.client import aux_commands
from nvrd.devices.events import InputEvent, MotionEvent, classify
from nvrd.devices.reading import info_from, pick_streams, ptz_caps, without_credentials


def msg(topic: str, data: dict[str, str], source: dict[str, str] | None = None) -> dict[str, Any]:
    return {"topic": topic, "data": data, "source": source or {}, "property_operation": ""}


def test_motion_topics() -> None:
    assert classify(msg("tns1:VideoSource/MotionAlarm", {"State": "true"})) == MotionEvent(True)
    assert classify(
        msg("tns1:RuleEngine/CellMotionDetector/Motion", {"IsMotion": "false"})
    ) == MotionEvent(False)
    assert classify(msg("tns1:VideoSource/MotionAlarm", {"State": "maybe"})) is None
    assert classify(msg("tns1:VideoSource/ImageTooBlurry", {"State": "true"})) is None


def test_digital_inputs() -> None:
    found = classify(
        msg("tns1:Device/Trigger/DigitalInput", {"LogicalState": "true"}, {"InputToken": "di0"})
    )
    assert found == InputEvent("di0", True)
    assert classify(msg("tns1:Device/Trigger/DigitalInput", {})) is None


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(["topic", "data", "source", "x"]),
        st.one_of(
            st.text(max_size=40),
            st.integers(),
            st.none(),
            st.dictionaries(st.text(max_size=20), st.text(max_size=20), max_size=4),
        ),
    )
)
def test_classify_never_raises(message: dict[str, Any]) -> None:
    classify(message)


NODES = """<?xml version="1.0"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"
xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:tptz="http://www.onvif.org/ver20/ptz/wsdl">
<s:Body><tptz:GetNodesResponse><tptz:PTZNode token="n"><tt:MaximumNumberOfPresets>32
</tt:MaximumNumberOfPresets><tt:HomeSupported>true</tt:HomeSupported>
<tt:AuxiliaryCommands>tt:Wiper|On</tt:AuxiliaryCommands>
<tt:AuxiliaryCommands>tt:Wiper|Off</tt:AuxiliaryCommands>
<tt:AuxiliaryCommands>tt:IRLamp|On|Off|Auto</tt:AuxiliaryCommands>
<tt:AuxiliaryCommands>tt:Washer|On</tt:AuxiliaryCommands>
</tptz:PTZNode></tptz:GetNodesResponse></s:Body></s:Envelope>"""


def test_aux_outputs_need_on_and_off() -> None:
    assert aux_commands(NODES) == ("tt:Wiper", "tt:IRLamp")


def test_hostile_xml_gives_no_aux() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><x>&b;</x>'
    )
    assert aux_commands(bomb) == ()
    assert aux_commands("not xml") == ()


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=300))
def test_aux_never_raises(text: str) -> None:
    aux_commands(text)


def profile(token: str, w: int, h: int) -> dict[str, Any]:
    return {"token": token, "video_encoder": {"width": w, "height": h, "encoding": "H264"}}


def test_main_is_the_largest_and_sub_the_smallest_other() -> None:
    profiles = [profile("a", 640, 360), profile("b", 1920, 1080), profile("c", 320, 180)]
    main, sub = pick_streams(profiles)
    assert main is not None and sub is not None
    assert (main["token"], sub["token"]) == ("b", "c")
    assert pick_streams([profile("only", 1280, 720)])[1] is None
    assert pick_streams([{"token": "audio"}]) == (None, None)
    same = pick_streams([profile("x", 640, 360), profile("y", 640, 360)])
    assert same[1] is None  # no lower resolution: no sub stream


def test_stream_uri_loses_its_credentials() -> None:
    assert without_credentials("rtsp://u:p@cam:554/s?x=1") == "rtsp://cam:554/s?x=1"
    assert without_credentials("rtsp://cam/s") == "rtsp://cam/s"


def test_scopes_fill_the_basic_block() -> None:
    scopes = [
        {"scope_item": "onvif://www.onvif.org/name/Front%20Door"},
        {"scope_item": "onvif://www.onvif.org/location/city/seoul"},
        {"scope_item": "onvif://www.onvif.org/location/country/korea"},
        {"scope_item": "onvif://www.onvif.org/location/building5"},
        {"scope_item": "http://elsewhere/x"},
    ]
    info = info_from("cam:80", {"Model": "M"}, scopes, "aa:bb")
    doc = info.to_doc()
    basic = {"city": "seoul", "country": "korea", "deviceType": "NVT", "host": "cam:80"}
    assert doc["basic"] == {**basic, "location": "building5", "name": "Front Door"}
    assert doc["product"]["model"] == "M" and doc["product"]["macAddress"] == "aa:bb"


def test_ptz_caps() -> None:
    nodes = [{"max_presets": "255", "home_supported": "true",
              "ranges": {"continuous_pan_tilt": {}, "continuous_zoom": {}}}]  # fmt: skip
    assert ptz_caps(nodes) == {"pantilt": True, "zoom": True, "home": True, "max_preset": 255}
    assert ptz_caps([]) == {"pantilt": False, "zoom": False, "home": False, "max_preset": 0}
