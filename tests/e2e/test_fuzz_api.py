"""schemathesis over every operation of the OpenAPI description, against a real server
with channels, recordings, LPR sources: generated valid and invalid requests, with and
without credentials. Zero 500s, zero hangs, every answer as documented (status, content
type, headers, body).

Counts: ``NVRD_FUZZ_EXAMPLES`` cases per operation and mode (default 16; 200 with
``NVRD_FUZZ_LONG=1``, as ``make fuzz`` runs it). ``NVRD_FUZZ_OPS`` (a regular expression
over ``METHOD /path``) narrows a run to some operations."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.core.failures import FailureGroup
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.e2e.contract_server import ROOT, basic, contract_server
from tests.e2e.server import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.fuzz]

LONG = os.environ.get("NVRD_FUZZ_LONG") == "1"
EXAMPLES = int(os.environ.get("NVRD_FUZZ_EXAMPLES") or (200 if LONG else 16))
#: Only the operations whose label (``POST /api/push``) matches this regular expression.
ONLY = re.compile(os.environ.get("NVRD_FUZZ_OPS") or ".")
#: A request that takes longer than this is a hang.
HANG_SECONDS = 10.0
CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory, media_dir: Path) -> Iterator[Any]:
    srv, _ = contract_server(tmp_path_factory.mktemp("fuzz"), media_dir)
    srv.start()
    try:
        yield srv, schemathesis.openapi.from_url(srv.url + "/api/openapi.json")
    finally:
        srv.stop()


class Tally:
    def __init__(self) -> None:
        self.session = requests.Session()
        self.cases = 0
        self.problems: list[str] = []
        self.seconds: dict[str, float] = {}


def _tame(case: Any) -> None:
    """``?restart`` would restart the server under test (a separate e2e test covers it)."""
    if case.operation.path == "/api/system" and case.query:
        case.query.pop("restart", None)


def _run_one(srv: ServerProcess, case: Any, headers: dict[str, str], tally: Tally) -> None:
    _tame(case)
    tally.cases += 1
    started = time.monotonic()
    try:
        response = case.call(
            base_url=srv.url, session=tally.session, headers=headers, timeout=HANG_SECONDS
        )
    except requests.Timeout:
        tally.problems.append(f"hang: {case.as_curl_command()}")
        return
    except requests.ConnectionError as exc:
        tally.problems.append(f"connection failed: {case.as_curl_command()}: {exc}")
        return
    took = time.monotonic() - started
    failure = ""
    if response.status_code == 500:  # 501 and 503 are documented answers; 500 is a bug
        failure = "server error"
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except (AssertionError, FailureGroup) as exc:
        failure = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    if failure:
        line = f"{case.as_curl_command()} -> {response.status_code} ({took:.2f}s): {failure}"
        tally.problems.append(line[:700])


def _fuzz(srv: ServerProcess, schema: Any, mode: GenerationMode, signed_in: bool) -> Tally:
    tally = Tally()
    headers = basic(ROOT) if signed_in else {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if not ONLY.search(operation.label):
            continue
        strategy = operation.as_strategy(generation_mode=mode)

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            derandomize=not LONG,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            _run_one(srv, case, headers, tally)

        started = time.monotonic()
        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
            assert mode is GenerationMode.NEGATIVE, operation.label
        tally.seconds[operation.label] = time.monotonic() - started
    tally.session.close()
    return tally


@pytest.mark.timeout(600 if LONG else 180)
@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_schemathesis(fuzzed: Any, mode: GenerationMode, signed_in: bool) -> None:
    srv, schema = fuzzed
    started = time.monotonic()
    tally = _fuzz(srv, schema, mode, signed_in)
    took = time.monotonic() - started
    print(f"{mode.value} signed_in={signed_in}: {tally.cases} cases in {took:.1f}s")
    slowest = sorted(tally.seconds.items(), key=lambda kv: -kv[1])[:5]
    print("  slowest:", ", ".join(f"{label} {s:.1f}s" for label, s in slowest))
    assert tally.cases > 0
    assert not tally.problems, f"{len(tally.problems)} of {tally.cases}:\n" + "\n".join(
        tally.problems[:40]
    )
