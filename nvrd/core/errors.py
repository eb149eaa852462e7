"""One error type for the whole server, and the one place that maps it to HTTP.

Every failure a client can cause is raised as :class:`ApiError`. The error
handler in ``nvrd.api.responses`` renders it as ``{"code": .., "message": ..}``
with the HTTP status below; the message is looked up in the i18n catalogs
under ``error.<key>`` so that it follows ``lang=``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Kind(Enum):
    """Error kinds: HTTP status and the negative JSON ``code``."""

    BAD_REQUEST = (400, -1)
    UNAUTHORIZED = (401, -2)
    FORBIDDEN = (403, -3)
    NOT_FOUND = (404, -4)
    METHOD_NOT_ALLOWED = (405, -5)
    TOO_LARGE = (413, -6)
    TOO_MANY_ATTEMPTS = (429, -7)
    UNAVAILABLE = (503, -8)
    INTERNAL = (500, -9)
    NOT_IMPLEMENTED = (501, -10)
    RANGE_NOT_SATISFIABLE = (416, -11)

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def code(self) -> int:
        return self.value[1]


@dataclass
class ApiError(Exception):
    """An error answered to the client.

    ``key`` names the catalog message (``error.<key>``); ``params`` fill its
    ``{placeholders}``. ``extra`` is merged into the JSON body (e.g. the
    public part of ``/api/info?all`` for an unauthenticated request).
    """

    kind: Kind
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] | None = None
    headers: dict[str, str] | None = None

    def __str__(self) -> str:
        return f"{self.kind.name}: {self.key} {self.params}"


def bad_request(key: str, **params: Any) -> ApiError:
    return ApiError(Kind.BAD_REQUEST, key, params)


def unauthorized(key: str = "unauthorized", **params: Any) -> ApiError:
    return ApiError(Kind.UNAUTHORIZED, key, params)


def forbidden(key: str = "forbidden", **params: Any) -> ApiError:
    return ApiError(Kind.FORBIDDEN, key, params)


def not_found(key: str = "notFound", **params: Any) -> ApiError:
    return ApiError(Kind.NOT_FOUND, key, params)


#: Seconds a client is told to wait (``Retry-After``) when the database is busy.
BUSY_RETRY_SECONDS = 1


def busy(retry_after: int = BUSY_RETRY_SECONDS) -> ApiError:
    """The database is held by another writer: 503, try again in ``retry_after`` seconds."""
    return ApiError(Kind.UNAVAILABLE, "databaseBusy", headers={"Retry-After": str(retry_after)})
