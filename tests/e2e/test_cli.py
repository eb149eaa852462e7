"""The command line: user management and configuration errors."""

import base64
from pathlib import Path

import pytest

from tests.e2e.server import ServerProcess, nvrd


def args(tmp_path: Path) -> list[str]:
    return ["--data-dir", str(tmp_path / "data")]


def test_user_lifecycle(tmp_path: Path) -> None:
    a = args(tmp_path)
    res = nvrd("user", "add", "alice", *a, "--rights", "Playback,Remote", stdin="s3cret\n")
    assert res.returncode == 0, res.stderr
    res = nvrd("user", "add", "boss", *a, "--admin", "--password", "pw")
    assert res.returncode == 0
    out = nvrd("user", "list", *a).stdout
    assert "alice\talice\tPlayback,Remote\n" in out
    assert "boss\tboss\tDataExport,Control,Settings,Playback,LPR,Remote admin" in out
    assert nvrd("user", "add", "alice", *a, "--password", "x").returncode == 2
    assert nvrd("user", "passwd", "alice", *a, stdin="n3w\n").returncode == 0
    res = nvrd("user", "rights", "alice", *a, "--rights", "LPR,Remote")
    assert res.returncode == 0
    assert "alice\talice\tLPR,Remote\n" in nvrd("user", "list", *a).stdout

    srv = ServerProcess(tmp_path)
    srv.data_dir = tmp_path / "data"
    srv.config.write_text(f'[server]\nport = {srv.port}\ndata_dir = "{srv.data_dir}"\n', "utf-8")
    srv.start()
    try:
        assert "Created user 'admin'" not in srv.stdout()  # users exist already
        with srv.client() as c:
            auth = base64.b64encode(b"alice:n3w").decode()
            who = c.get("/api/info", params={"whoAmI": "", "auth": auth}).json()["whoAmI"]
            assert who["accessRights"] == ["LPR", "Remote"]
            assert c.get("/api/info?whoAmI", auth=("alice", "s3cret")).status_code == 401
    finally:
        srv.stop()
    assert nvrd("user", "rm", "alice", *a).returncode == 0
    res = nvrd("user", "rm", "alice", *a)
    assert res.returncode == 2 and res.stderr.strip() == "nvrd: no user alice"


@pytest.mark.parametrize(
    ("rights", "fragment"),
    [("Playback,SearchEdit", "unknown right 'SearchEdit'"), ("", "")],
)
def test_user_add_rights(tmp_path: Path, rights: str, fragment: str) -> None:
    res = nvrd("user", "add", "bob", *args(tmp_path), "--rights", rights, "--password", "p")
    if fragment:
        assert res.returncode == 2 and fragment in res.stderr
    else:
        assert res.returncode == 0


@pytest.mark.parametrize(
    ("toml", "fragment"),
    [
        ("[server]\nprot = 8080\n", "server.prot: unknown setting"),
        ('[server]\nport = "http"\n', "server.port"),
        ('[server]\ndata_dir = "/proc/nvrd-cannot-write"\n', "not writable"),
        ("this is not toml", "not valid TOML"),
    ],
)
def test_serve_with_bad_config(tmp_path: Path, toml: str, fragment: str) -> None:
    cfg = tmp_path / "bad.toml"
    cfg.write_text(toml, "utf-8")
    res = nvrd("serve", "--config", str(cfg))
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("nvrd: ") and fragment in lines[0]
    assert "Traceback" not in res.stderr


def test_bad_env_value(tmp_path: Path) -> None:
    res = nvrd("serve", *args(tmp_path), env={"NVRD_SERVER_PORT": "-5"})
    assert res.returncode == 2
    assert "server.port" in res.stderr and "Traceback" not in res.stderr
