"""Reading untrusted JSON text into plain values, with every size bounded (pure).

``json.loads`` alone recurses once per ``[``/``{`` (a ``RecursionError`` on
deep input, and a long stall before it), turns 5,000-digit numbers into a
``ValueError`` of its own, accepts ``NaN``/``Infinity`` and lone surrogates
(``"\\ud800"``, which no database or log encoder takes). :func:`loads` refuses
all of these with the one 400 of the API, before any caller sees the value.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from nvrd.core.errors import ApiError, bad_request
from nvrd.core.params import bounded_int

#: The deepest nesting of arrays and objects taken in a request body.
MAX_DEPTH = 32
#: Strings (with their escapes) and brackets: enough to measure depth without parsing.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
_SURROGATE = re.compile("[\ud800-\udfff]")


class _Refused(ValueError):
    pass


def _int(text: str) -> int:
    n = bounded_int(text)
    if n is None:
        raise _Refused(f"the number {text[:24]}{'...' if len(text) > 24 else ''} is out of range")
    return n


def _float(text: str) -> float:
    if len(text) > 64:
        raise _Refused("a number is longer than 64 characters")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text} is out of range")
    return value


def _constant(text: str) -> Any:
    raise _Refused(f"{text} is not a JSON number")


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """A 400 if arrays/objects nest deeper than ``limit`` (brackets in strings do not count)."""
    depth = 0
    for m in _TOKENS.finditer(text):
        token = m.group()
        if token in ("[", "{"):
            depth += 1
            if depth > limit:
                raise bad_request("badJson", reason=f"nested deeper than {limit} levels")
        elif token in ("]", "}"):
            depth -= 1


def _check_strings(doc: Any) -> None:
    stack = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if _SURROGATE.search(value):
                raise bad_request("badJson", reason="a string holds a lone surrogate (\\ud800)")
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())


def loads(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """``text`` as JSON: bounded depth and integers, finite numbers, valid Unicode."""
    check_depth(text, max_depth)
    try:
        doc = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except ApiError:
        raise
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        raise bad_request("badJson", reason=str(exc)[:200]) from None
    _check_strings(doc)
    return doc
