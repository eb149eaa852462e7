"""/storage/: credentials (Basic, cookie, auth=), the Playback right, Range, and escapes."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import VIEWER, AppHarness, b64

REMOTE_ONLY = ("guest", "guest-pass", "Remote", False)
PATH = "/storage/0/ch1/2026-01-01/clip.mp4"


@pytest.fixture
def served(harness: Callable[..., AppHarness], tmp_path: Path) -> Iterator[TestClient]:
    h = harness(users=[VIEWER, REMOTE_ONLY])
    root = h.settings.storage_paths[0].path
    clip = root / "ch1" / "2026-01-01" / "clip.mp4"
    clip.parent.mkdir(parents=True)
    clip.write_bytes(bytes(range(256)) * 40)
    (root / "ch1" / "notes.txt").write_text("not video")
    (tmp_path / "secret.mp4").write_bytes(b"outside")
    with h.client() as c:
        yield c


def test_basic_cookie_and_auth_param(served: TestClient) -> None:
    assert served.get(PATH).status_code == 401
    assert served.get(PATH, auth=VIEWER[:2]).status_code == 200
    assert served.get(f"{PATH}?auth={b64(*VIEWER[:2])}").status_code == 200
    assert served.get(PATH).status_code == 200  # the sign-in above left a session cookie


def test_playback_right_needed(served: TestClient) -> None:
    r = served.get(PATH, auth=REMOTE_ONLY[:2])
    assert r.status_code == 403
    assert "Playback" in r.json()["message"]


def test_range(served: TestClient) -> None:
    full = served.get(PATH, auth=VIEWER[:2])
    assert full.headers["content-type"] == "video/mp4"
    assert full.headers["accept-ranges"] == "bytes"
    r = served.get(PATH, auth=VIEWER[:2], headers={"Range": "bytes=10-19"})
    assert r.status_code == 206 and r.content == full.content[10:20]
    r = served.get(PATH, auth=VIEWER[:2], headers={"Range": "bytes=-5"})
    assert r.status_code == 206 and r.content == full.content[-5:]
    r = served.get(PATH, auth=VIEWER[:2], headers={"Range": "bytes=999999-"})
    assert r.status_code == 416


@pytest.mark.parametrize(
    "path",
    [
        "/storage/0/ch1/notes.txt",
        "/storage/0/../secret.mp4",
        "/storage/0/ch1/../../secret.mp4",
        "/storage/0/%2e%2e/secret.mp4",
        "/storage/1/ch1/2026-01-01/clip.mp4",
        "/storage/-1/ch1/2026-01-01/clip.mp4",
        "/storage/0/ch1/2026-01-01",
        "/storage/0/",
    ],
)
def test_nothing_outside_recordings(served: TestClient, path: str) -> None:
    r = served.get(path, auth=VIEWER[:2])
    assert r.status_code == 404, path
    assert r.json()["code"] == -4
