"""JSON responses (compact, or indented by ``indent=0..8``) and the one error renderer."""

from __future__ import annotations

import json
import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from nvrd.core.errors import ApiError, Kind, busy
from nvrd.core.params import parse_indent
from nvrd.store.db import is_busy

log = logging.getLogger("nvrd.api")

_HTTP_KINDS = {k.status: k for k in Kind}
BASIC_CHALLENGE = 'Basic realm="nvrd"'


def dump_json(data: Any, indent: int | None) -> bytes:
    if indent is None:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    else:
        text = json.dumps(data, ensure_ascii=False, indent=indent)
    return text.encode("utf-8")


def json_response(
    data: Any,
    indent: int | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return Response(
        dump_json(data, indent),
        status_code=status,
        media_type="application/json; charset=utf-8",
        headers={"Cache-Control": "no-store", **(headers or {})},
    )


def _lenient_indent(request: Request) -> int | None:
    try:
        return parse_indent(request.query_params.get("indent"))
    except ApiError:
        return None


def _lenient_lang(request: Request) -> str:
    i18n = request.app.state.services.i18n
    try:
        return str(i18n.resolve(request.query_params.get("lang")))
    except ApiError:
        return str(i18n.default)


def challenge(request: Request) -> dict[str, str]:
    """``WWW-Authenticate: Basic`` for a 401, unless the request used another scheme."""
    scheme = request.headers.get("authorization", "").partition(" ")[0].lower()
    return {} if scheme and scheme != "basic" else {"WWW-Authenticate": BASIC_CHALLENGE}


def error_response(request: Request, err: ApiError) -> Response:
    i18n = request.app.state.services.i18n
    body: dict[str, Any] = dict(err.extra or {})
    body["code"] = err.kind.code
    body["message"] = i18n.text(_lenient_lang(request), f"error.{err.key}", **err.params)
    headers = dict(err.headers or {})
    if err.kind is Kind.UNAUTHORIZED:
        headers.update(challenge(request))
    return json_response(body, _lenient_indent(request), err.kind.status, headers)


async def api_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(request, exc)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = _HTTP_KINDS.get(exc.status_code, Kind.BAD_REQUEST)
    if kind is Kind.NOT_FOUND:
        err = ApiError(kind, "notFound", {"path": request.url.path})
    elif kind is Kind.METHOD_NOT_ALLOWED:
        headers = dict(exc.headers) if exc.headers else None
        err = ApiError(kind, "methodNotAllowed", {"method": request.method}, headers=headers)
    else:
        err = ApiError(kind, "internal" if kind is Kind.INTERNAL else "unknownParam", {"name": ""})
    return error_response(request, err)


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """A database held by another writer (SQLite "database is locked") is a 503, not a 500."""
    if not is_busy(exc):
        return await internal_error_handler(request, exc)
    log.warning("database busy", extra={"path": request.url.path, "method": request.method})
    return error_response(request, busy())


async def internal_error_handler(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path})
    return error_response(request, ApiError(Kind.INTERNAL, "internal"))
