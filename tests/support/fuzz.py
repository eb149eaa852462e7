"""Shared settings and text strategies for the property tests of parsers.

``NVRD_FUZZ_EXAMPLES`` (default 100) sets how many cases each property runs,
so that a long run (``NVRD_FUZZ_EXAMPLES=20000``) can look much harder than
``make test`` does.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from nvrd.core.errors import ApiError, Kind

EXAMPLES = int(os.environ.get("NVRD_FUZZ_EXAMPLES", "100"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

#: The hostile values of issue 9 and their neighbours, mixed into generated text.
NASTY = [
    "",
    " ",
    "0",
    "-0",
    "+1",
    "-1",
    str(2**31),
    str(2**63 - 1),
    str(2**63),
    str(2**64),
    "9" * 5000,
    "1e999",
    "NaN",
    "Infinity",
    "²",
    "١٢",
    "\x00",
    "\ud800",
    "9999-12-31T23:59:59.999-12:00",
    "0001-01-01T00:00:00+14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "2024-02-30T00:00:00Z",
    "2024-01-01T24:00:00Z",
    "2024-01-01T00:00:00+99:99",
    "99999999999999999999w",
    "5000000000000000000ms",
    "1" * 400 + "d",
    "1.5",
    "1,2,3",
    ",,,",
    "1," * 2000,
    "true",
    "false",
    "junk",
    "a" * 10_000,
    "[" * 1000,
    "%00",
    "../../etc/passwd",
]

#: Text of the kinds parsers meet: anything, digits and signs, time-like text, the nasty list.
TEXT = st.one_of(
    st.text(max_size=80),
    st.text(alphabet="0123456789+-:.TZ ,wdhms", max_size=40),
    st.from_regex(
        r"\A[0-9]{1,5}-[0-9]{1,2}-[0-9]{1,2}(T[0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
        r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)?\Z"
    ),
    st.sampled_from(NASTY),
)


def returns_or_400(parse: Callable[[], Any]) -> Any:
    """Run ``parse``: its value, or ``None`` after the project's 400; anything else fails."""
    try:
        return parse()
    except ApiError as err:
        assert err.kind is Kind.BAD_REQUEST, err
        return None
