"""Property tests: credentials, byte ranges, export parameters and whole requests
with generated values are answered with a value or a 4xx JSON error, never a 500."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.testclient import TestClient

from nvrd.api.downloads import _byte_range
from nvrd.auth.credentials import decode_userpass
from nvrd.core.errors import ApiError, Kind
from nvrd.export.params import parse_interval, parse_password, parse_size
from tests.conftest import ADMIN, AppHarness
from tests.support.fuzz import FUZZ, TEXT, returns_or_400

B64 = st.one_of(
    TEXT,
    st.binary(max_size=40).map(lambda b: base64.b64encode(b).decode()),
    st.text(max_size=20).map(lambda t: base64.b64encode(t.encode("utf-8", "replace")).decode()),
)


@FUZZ
@given(B64)
def test_decode_userpass(text: str) -> None:
    pair = returns_or_400(lambda: decode_userpass("auth", text))
    if pair is not None:
        uid, _ = pair
        assert uid


@FUZZ
@given(st.one_of(TEXT, st.from_regex(r"\Abytes=[0-9]{0,30}-[0-9]{0,30}\Z")), st.integers(0, 2**40))
def test_byte_range(header: str, size: int) -> None:
    try:
        got = _byte_range(header, size)
    except ApiError as err:
        assert err.kind in (Kind.RANGE_NOT_SATISFIABLE, Kind.BAD_REQUEST)
        return
    if got is not None:
        start, end = got
        assert 0 <= start < end <= size


@FUZZ
@given(TEXT)
def test_export_parameters(text: str) -> None:
    returns_or_400(lambda: parse_size("mediaSize", text))
    returns_or_400(lambda: parse_interval("statusInterval", text))
    returns_or_400(lambda: parse_password("password", text))


# -- whole requests -------------------------------------------------------------

CONFIG: dict[str, Any] = {
    "channel": [{"chid": 1, "title": "Camera1"}],
    "lpr_source": [{"id": 1, "code": "1-1-7", "linked_channel": [1]}],
}
QUERIES = [
    "/api/vod?ch=1&when={v}",
    "/api/vod?ch=1&when=now&duration={v}",
    "/api/vod?ch=1&when=2024-01-01T00:00:00Z&duration={v}",
    "/api/vod?id={v}",
    "/api/vod?ch={v}",
    "/api/find?what=recDays&ch={v}",
    "/api/find?what=recDays&timeBegin={v}",
    "/api/find?what=recMinutes&ch=1&timeEnd={v}",
    "/api/find?what=eventLog&timeBegin={v}&at={v}",
    "/api/find?what=carNo&keyword={v}&maxCount={v}",
    "/api/find?what=carNo&timeEnd={v}",
    "/api/status?ch={v}",
    "/api/enum?what={v}",
    "/api/info?{v}",
    "/api/system?health={v}",
    "/api/channel/info?ch={v}&caps={v}",
    "/api/view.mp4?ch=1&timeBegin={v}&timeEnd={v}",
    "/api/info?apiVersion&indent={v}",
    "/api/info?apiVersion&lang={v}",
    "/api/info?apiVersion&auth={v}",
    "/watch?ch={v}&when={v}&showTitle={v}",
]


@pytest.fixture(scope="module")
def admin(tmp_path_factory: pytest.TempPathFactory, template_db: Any) -> Iterator[TestClient]:
    from tests.conftest import ADMIN as A
    from tests.conftest import add_users, make_settings, start_from_template

    tmp = tmp_path_factory.mktemp("fuzz")
    settings = make_settings(tmp, **CONFIG)
    settings.server.data_dir.mkdir(parents=True, exist_ok=True)
    start_from_template(settings, template_db)
    add_users(settings, [A])
    with AppHarness(settings, [], []).client() as c:
        c.auth = (ADMIN[0], ADMIN[1])
        yield c


@FUZZ
@given(st.sampled_from(QUERIES), TEXT)
def test_requests_never_500(admin: TestClient, template: str, value: str) -> None:
    r = admin.get(template.format(v=quote(value[:3000].encode("utf-8", "surrogatepass"), safe="")))
    assert r.status_code < 500, (template, value[:80], r.text[:300])


@FUZZ
@given(st.sampled_from(["/api/push", "/api/channel", "/api/event-videos/trigger"]), TEXT)
def test_bodies_never_500(admin: TestClient, path: str, body: str) -> None:
    method: Callable[..., Any] = admin.put if path.endswith("trigger") else admin.post
    r = method(path, content=body.encode("utf-8", "surrogatepass"))
    assert r.status_code < 500, (path, body[:80], r.text[:300])
