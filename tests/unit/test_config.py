import os
from pathlib import Path

import pytest

from nvrd.config import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "c.toml"
    p.write_text(text, "utf-8")
    return p


def test_defaults(tmp_path: Path) -> None:
    s = load_settings(None, environ={}, flags={"data_dir": tmp_path / "d"})
    assert s.server.port == 8080
    assert s.server.host == "127.0.0.1"
    assert s.db_url == f"sqlite+aiosqlite:///{(tmp_path / 'd' / 'nvrd.db').resolve()}"
    assert [(str(x.path), x.usage) for x in s.storage_paths] == [
        (str(tmp_path / "d" / "recordings"), 2)
    ]


def test_file_env_flags_precedence(tmp_path: Path) -> None:
    cfg = write(
        tmp_path,
        f'[server]\nport = 9000\nsite_name = "from file"\ndata_dir = "{tmp_path}"\n'
        '[[storage]]\npath = "/srv/a"\nusage = 0\n[[storage]]\npath = "/srv/b"\nusage = 2\n',
    )
    s = load_settings(cfg, environ={"NVRD_SERVER_PORT": "9001", "NVRD_AUTH_LOCKOUT_SECONDS": "7"})
    assert s.server.port == 9001
    assert s.auth.lockout_seconds == 7
    assert s.server.site_name == "from file"
    assert [x.usage for x in s.storage_paths] == [0, 2]
    s = load_settings(cfg, environ={"NVRD_SERVER_PORT": "9001"}, flags={"port": 9002})
    assert s.server.port == 9002


def test_postgres_url(tmp_path: Path) -> None:
    s = load_settings(
        None,
        environ={"NVRD_SERVER_DATABASE_URL": "postgresql://u@h:5432/db"},
        flags={"data_dir": tmp_path},
    )
    assert s.db_url == "postgresql+asyncpg://u@h:5432/db"


def test_object_detection_is_off_unless_channels_are_listed(tmp_path: Path) -> None:
    s = load_settings(None, environ={}, flags={"data_dir": tmp_path})
    o = s.objects
    assert (o.channels, o.fps, o.width, o.faces, o.motion_gate) == ([], 2.0, 960, True, True)
    text = "[objects]\nchannels = [2, 1]\nfps = 1\nwidth = 640\nfaces = false\n"
    s = load_settings(write(tmp_path, text), environ={}, flags={"data_dir": tmp_path})
    assert (s.objects.channels, s.objects.fps, s.objects.width) == ([2, 1], 1.0, 640)
    assert s.objects.faces is False and s.objects.motion_gate is True
    assert o.clothes is True
    off = write(tmp_path, "[objects]\nclothes = false\n")
    s = load_settings(off, environ={}, flags={"data_dir": tmp_path})
    assert s.objects.clothes is False


def test_the_people_detector_is_nanodet_unless_yolo_is_chosen(tmp_path: Path) -> None:
    s = load_settings(None, environ={}, flags={"data_dir": tmp_path})
    assert s.objects.detector == "nanodet"
    text = '[objects]\ndetector = "yolov3-tiny"\n'
    s = load_settings(write(tmp_path, text), environ={}, flags={"data_dir": tmp_path})
    assert s.objects.detector == "yolov3-tiny"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[server]\nbogus = 1\n", "server.bogus: unknown setting"),
        ("[nope]\n", "nope: unknown setting"),
        ('[server]\nport = "eighty"\n', "server.port"),
        ("[server]\nport = 70000\n", "server.port"),
        ('[server]\ntimezone = "Mars/Olympus"\n', "unknown IANA time zone"),
        ('[server]\nlanguage = "xx-XX"\n', "unsupported language"),
        ('[server]\ndatabase_url = "mysql://x"\n', "server.database_url"),
        ('[[storage]]\npath = "/x"\nusage = 5\n', "storage.0.usage"),
        ("[server\n", "not valid TOML"),
        ('[integrations]\naccept_unknown_sources = "maybe"\n', "integrations.accept_unknown"),
        ("[integrations]\nbogus = true\n", "integrations.bogus: unknown setting"),
        ("[objects]\nchannels = [1, 1]\n", "a channel is listed twice"),
        ("[objects]\nchannels = [0]\n", "objects.channels.0"),
        ('[objects]\nchannels = "1"\n', "objects.channels"),
        ("[objects]\nfps = 0\n", "objects.fps"),
        ("[objects]\nfps = 11\n", "objects.fps"),
        ("[objects]\nwidth = 100\n", "objects.width"),
        ("[objects]\nwidth = 4000\n", "objects.width"),
        ('[objects]\nfaces = "maybe"\n', "objects.faces"),
        ("[objects]\nmotion_gate = 3\n", "objects.motion_gate"),
        ('[objects]\ndetector = "yolov8"\n', "objects.detector"),
        ('[objects]\nclothes = "colours"\n', "objects.clothes"),
        ("[objects]\nbogus = 1\n", "objects.bogus: unknown setting"),
    ],
)
def test_bad_settings_are_one_line(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as e:
        load_settings(write(tmp_path, text), environ={}, flags={"data_dir": tmp_path})
    msg = str(e.value)
    assert fragment in msg
    assert "\n" not in msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "absent.toml", environ={})


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_unwritable_data_dir_nonroot(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(ConfigError, match="not writable"):
        load_settings(None, environ={}, flags={"data_dir": ro / "sub"})


def test_unwritable_data_dir(tmp_path: Path) -> None:
    # A path under a regular file can't be created, even by root.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"server\.data_dir: .* is not writable"):
        load_settings(None, environ={}, flags={"data_dir": blocker / "data"})


def test_paths_are_made_absolute_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    cfg = write(tmp_path, '[server]\ndata_dir = "data"\n[[storage]]\npath = "rec"\n')
    s = load_settings(cfg, environ={})
    assert s.server.data_dir == tmp_path / "data"
    assert s.storage_paths[0].path == tmp_path / "rec"
    s = load_settings(None, environ={}, flags={"data_dir": Path("d2")})
    assert s.storage_paths[0].path == tmp_path / "d2" / "recordings"


def test_the_demo_configuration_is_valid() -> None:
    demo = Path(__file__).parents[2] / "demo" / "nvrd.toml"
    settings = load_settings(demo, environ={}, check_dirs=False)
    assert len(settings.channel) == 4 and settings.auth.demo_user == "demo"
    assert [s.code for s in settings.lpr_source] == ["GATE-IN", "GATE-OUT", "GATE-CAM"]
    gate = settings.lpr_source[2].zone
    assert gate is not None and gate.chid == 3 and gate.entry_movement == "down"
    assert settings.channel[2].source == "demo/media/gate.mp4" and settings.lpr.fps == 2
    assert settings.channel[3].source == "demo/media/yard.mp4" and settings.objects.channels == [4]
