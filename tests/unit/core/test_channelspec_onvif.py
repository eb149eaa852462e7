"""ONVIF items of POST /api/channel: device.url with or without an RTSP source."""

from __future__ import annotations

import pytest

from nvrd.core.channelspec import BadField, ChannelSpec, SpecError, parse_item


def test_device_url_alone_is_an_onvif_channel() -> None:
    chid, spec = parse_item({"device": {"url": "onvif://10.0.0.5:8000"}, "uid": "admin"})
    assert chid is None and spec.kind == "onvif" and spec.source == ""
    again = ChannelSpec.from_doc(spec.to_doc())
    assert again is not None and again.device_url == "onvif://10.0.0.5:8000"


def test_codes_and_bad_fields() -> None:
    with pytest.raises(SpecError) as err:
        parse_item({"device": {"name": "x"}})
    assert err.value.code == -3
    with pytest.raises(SpecError) as err:
        parse_item({"name": "nothing"})
    assert err.value.code == -2
    with pytest.raises(BadField) as bad:
        parse_item({"device": {"url": "onvif://u:p@cam"}})
    assert bad.value.field == "device.url"
    with pytest.raises(BadField):
        parse_item({"source": "C:\\video.mp4", "device": {"url": "onvif://cam"}})
