"""Reading the API description in tests: the route table as (path, method) pairs, and
validating a response or a WebSocket message against the description's schemas."""

from __future__ import annotations

import re
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

#: Starlette's ``{name:convertor}`` is OpenAPI's ``{name}``.
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}")
#: Starlette answers HEAD on every GET route; the description lists GET only.
IMPLIED = {"HEAD"}
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def openapi_path(starlette_path: str) -> str:
    return _PARAM.sub(r"{\1}", starlette_path)


def flatten(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, BaseRoute]]:
    """Every route with its full path (mounted route lists included)."""
    out: list[tuple[str, BaseRoute]] = []
    for r in routes:
        if isinstance(r, Mount):
            out += flatten(list(r.routes), prefix + r.path)
        elif isinstance(r, Route | WebSocketRoute):
            out.append((prefix + r.path, r))
        else:
            raise AssertionError(f"a route the contract tests cannot read: {r!r}")
    return out


def http_operations(routes: list[BaseRoute]) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for path, r in flatten(routes):
        if isinstance(r, Route):
            for m in (r.methods or set()) - IMPLIED:
                out.add((openapi_path(path), m.lower()))
    return out


def socket_paths(routes: list[BaseRoute]) -> set[str]:
    return {openapi_path(p) for p, r in flatten(routes) if isinstance(r, WebSocketRoute)}


def documented_operations(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def validator(doc: dict[str, Any], schema: dict[str, Any]) -> Draft202012Validator:
    """A validator of ``schema`` whose ``#/...`` references point into ``doc``."""
    registry: Registry[Any] = Registry().with_resource(
        _URI, Resource.from_contents(doc, default_specification=DRAFT202012)
    )
    return Draft202012Validator(_rebase(schema), registry=registry)


_URI = "urn:nvrd:contract"


def _rebase(schema: Any) -> Any:
    """Local references (``#/components/...``) made absolute, into the registered ``doc``."""
    if isinstance(schema, dict):
        return {
            k: f"{_URI}{v}" if k == "$ref" and str(v).startswith("#") else _rebase(v)
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rebase(v) for v in schema]
    return schema


def documented_response(doc: dict[str, Any], path: str, method: str, status: int) -> Any:
    """The response object for ``status`` (exact, then ``4XX``-style), ``$ref`` resolved."""
    responses = doc["paths"][path][method]["responses"]
    spec = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    assert spec is not None, f"{method.upper()} {path}: status {status} is not documented"
    if "$ref" in spec:
        spec = doc["components"]["responses"][spec["$ref"].rsplit("/", 1)[1]]
    return spec


def check_response(
    doc: dict[str, Any], path: str, method: str, status: int, content_type: str, body: Any
) -> None:
    """The answer's status is documented, its media type is one the description lists for
    that status, and a JSON body validates against the documented schema."""
    content = documented_response(doc, path, method, status).get("content", {})
    media = content_type.split(";")[0].strip().lower()
    if content:
        assert media in content, f"{media!r} is not documented ({sorted(content)})"
    if media == "application/json":
        validator(doc, dict(content[media]["schema"])).validate(body)


def check_message(messages: dict[str, Any], name: str, message: Any) -> None:
    """Validate one WebSocket message against ``$defs/<name>`` of the message schemas."""
    validator(messages, {"$ref": f"#/$defs/{name}"}).validate(message)
