"""Run a real ``nvrd serve`` process on a free port for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def nvrd(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nvrd", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


class ServerProcess:
    #: Whether the readiness check verifies the server's certificate (a TLS test server
    #: may use one made by the test).
    verify = True

    def __init__(self, tmp: Path, extra_toml: str = "", database_url: str = ""):
        self.tmp = tmp
        self.port = free_port()
        self.data_dir = tmp / "data"
        self.config = tmp / "nvrd.toml"
        db = f'database_url = "{database_url}"\n' if database_url else ""
        self.config.write_text(
            "[server]\n"
            f'host = "127.0.0.1"\nport = {self.port}\n'
            f'data_dir = "{self.data_dir}"\ntimezone = "UTC"\n{db}'
            f"{extra_toml}",
            "utf-8",
        )
        self.stdout_path = tmp / "stdout.log"
        self.stderr_path = tmp / "stderr.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> ServerProcess:
        with self.stdout_path.open("ab") as out, self.stderr_path.open("ab") as err:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "nvrd", "serve", "--config", str(self.config)],
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
            )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"nvrd exited early:\n{self.stderr()}")
            try:
                answer = httpx.get(self.url + "/api/info?apiVersion", timeout=1, verify=self.verify)
                if answer.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"nvrd did not come up:\n{self.stderr()}")

    def stdout(self) -> str:
        return self.stdout_path.read_text("utf-8", errors="replace")

    def stderr(self) -> str:
        return self.stderr_path.read_text("utf-8", errors="replace")

    def admin_password(self) -> str:
        return (self.data_dir / "admin-password").read_text().strip()

    def client(self, **kw: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10, **kw)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)
