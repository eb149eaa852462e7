"""The API description: OpenAPI 3.1 for HTTP (``openapi.yaml``) and JSON Schemas of every
WebSocket message (``messages.yaml``), kept as package data and served as JSON.

See docs/design/contract.md for how to add an endpoint or a message.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from nvrd import API_VERSION, __version__

#: libyaml's loader when PyYAML was built with it (ten times faster), else the Python one.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

OPENAPI = "openapi.yaml"
MESSAGES = "messages.yaml"


def _load(name: str) -> dict[str, Any]:
    text = resources.files(__package__).joinpath(name).read_text("utf-8")
    doc = yaml.load(text, Loader=_LOADER)
    if not isinstance(doc, dict):
        raise ValueError(f"{name}: not a mapping")
    return doc


def openapi() -> dict[str, Any]:
    """The OpenAPI description, with the running version filled in."""
    doc = _load(OPENAPI)
    doc["info"]["version"] = f"{__version__} ({API_VERSION})"
    return doc


def messages() -> dict[str, Any]:
    """The WebSocket sockets and their message schemas (a JSON Schema 2020-12 document)."""
    doc = _load(MESSAGES)
    doc["version"] = f"{__version__} ({API_VERSION})"
    return doc
