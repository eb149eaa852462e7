"""Device URLs of ONVIF cameras: the guide's onvif:// form, http(s), bare host:port."""

from __future__ import annotations

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nvrd.core.deviceurl import DEFAULT_PATH, DeviceAddress, parse_device_url


@pytest.mark.parametrize(
    ("url", "want"),
    [
        ("onvif://192.168.0.220:8000", DeviceAddress("192.168.0.220", 8000)),
        ("onvif://cam.local", DeviceAddress("cam.local", 80)),
        ("192.168.0.9:81", DeviceAddress("192.168.0.9", 81)),
        ("http://10.0.0.1/onvif/dev", DeviceAddress("10.0.0.1", 80, False, "/onvif/dev")),
        ("https://10.0.0.1", DeviceAddress("10.0.0.1", 443, True)),
        ("onvif://[fe80::1]:8080", DeviceAddress("fe80::1", 8080)),
        (" ONVIF://Cam:1/ ", DeviceAddress("cam", 1)),
        ("onvif://kamera-\u00fc.example", DeviceAddress("kamera-\u00fc.example", 80)),
    ],
)
def test_accepted(url: str, want: DeviceAddress) -> None:
    assert parse_device_url(url) == want


def test_xaddr() -> None:
    assert parse_device_url("onvif://a:81").xaddr == f"http://a:81{DEFAULT_PATH}"
    assert parse_device_url("onvif://[::1]:81").xaddr == f"http://[::1]:81{DEFAULT_PATH}"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "rtsp://cam/x",
        "onvif://user:pw@cam",
        "onvif://",
        "onvif://cam:99999",
        "onvif://cam:0",
        "onvif://cam:x",
        "ftp://cam",
        "onvif://" + "a" * 2000,
        # found by the hostile-input run: the ONVIF client could not encode the host (IDNA)
        "onvif://%\u23fa\u1672t\u07dbe0f\u18e9x,qs!\u0564\u0d88<\u1e77i\u184f\u0203>i\u15cb",
        "onvif://a%20b",
        "onvif://-cam-",
        "onvif://" + "a" * 64 + ".local",
    ],
)
def test_refused(url: str) -> None:
    with pytest.raises(ValueError):
        parse_device_url(url)


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.text(max_size=200))
def test_any_text_is_an_address_or_a_value_error(text: str) -> None:
    try:
        addr = parse_device_url(text)
    except ValueError:
        return
    assert 1 <= addr.port <= 65535 and addr.host
    assert parse_device_url(addr.xaddr) == addr  # the URL it builds reads back the same
    assert httpx.URL(addr.xaddr).host  # and the ONVIF client's HTTP library can send to it
