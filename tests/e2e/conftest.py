from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.server import ServerProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    srv = ServerProcess(tmp_path, "[auth]\nmax_failures = 3\nlockout_seconds = 2\n")
    srv.start()
    yield srv
    srv.stop()
