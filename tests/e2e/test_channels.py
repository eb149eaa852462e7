"""Channels survive a restart of the server."""

from tests.e2e.server import ServerProcess


def test_channels_persist_across_restart(server: ServerProcess) -> None:
    auth = ("admin", server.admin_password())
    with server.client(auth=auth) as c:
        r = c.post("/api/channel", json=[{"name": "Kept", "source": "/nonexistent.mp4"}])
        assert r.status_code == 200
    assert server.stop() == 0
    server.start()
    with server.client(auth=auth) as c:
        assert c.get("/api/enum?what=channel").json() == [
            {"chid": 1, "title": "Kept", "displayName": "CH1. Kept"}
        ]
        assert c.get("/api/status?ch=1&verbose").json()[0]["status"]["code"] in (-3, 1404)
