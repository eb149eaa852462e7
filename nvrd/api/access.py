"""What a route needs from its caller, declared where the route is declared.

Every route of the app is built by :func:`api_route`, :func:`socket_route` or
:func:`page_route` with an :class:`Access`: public, signed in, a set of
rights, administrators only. Rights that gate only part of a route's data
(``/api/find?what=eventLog``, ``/api/system?restart``, recorded video from
``/api/vod``) are declared as :class:`Part` entries of the same ``Access``:
a description, an example query that selects the part (the route-table test
uses it), a predicate on the query, and what the part needs. The wrappers in
``nvrd.api.endpoint`` and ``nvrd.api.sockets`` check them before the handler
runs; the route-table test (``tests/unit/api/test_route_access.py``) walks
``nvrd.app.routes()`` and checks each declaration against the running app.

Checks that depend on a request body (``presetGo`` tasks needing Control)
stay in their handler and are listed in ``docs/design/security.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from nvrd.core.errors import ApiError, Kind, forbidden
from nvrd.core.rights import Right
from nvrd.store.users import User

Query = Mapping[str, str]


@dataclass(frozen=True)
class Part:
    """Part of a route's data that needs more than the route itself."""

    what: str  # "what=eventLog"
    example: str  # a query string that selects this part: "what=eventLog"
    applies: Callable[[Query], bool]
    rights: tuple[Right, ...] = ()
    admin: bool = False
    #: A GET that changes state (``?restart``): refused to cookie callers from a foreign Origin.
    changes_state: bool = False


@dataclass(frozen=True)
class Access:
    rights: tuple[Right, ...] = ()
    admin: bool = False
    public: bool = False
    parts: tuple[Part, ...] = field(default=())
    #: Every request of the route changes state, whatever its method (camera control).
    changes_state: bool = False

    def refusal(self, user: User, query: Query) -> ApiError | None:
        """Why ``user`` may not make this request (None when it may)."""
        err = _missing(user, self.rights, self.admin)
        if err is not None:
            return err
        for part in self.parts:
            if part.applies(query):
                err = _missing(user, part.rights, part.admin)
                if err is not None:
                    return err
        return None

    def changes(self, method: str, query: Query) -> bool:
        if self.changes_state or method not in ("GET", "HEAD", "OPTIONS"):
            return True
        return any(p.changes_state and p.applies(query) for p in self.parts)


def _missing(user: User, rights: tuple[Right, ...], admin: bool) -> ApiError | None:
    if admin and not user.is_admin:
        return forbidden("adminOnly")
    for right in rights:
        if not user.has(right):
            return ApiError(Kind.FORBIDDEN, "needRight", {"right": right.value})
    return None


PUBLIC = Access(public=True)
SIGNED_IN = Access()


def needs(*rights: Right, parts: tuple[Part, ...] = (), changes_state: bool = False) -> Access:
    return Access(rights=rights, parts=parts, changes_state=changes_state)


def when_param(
    name: str,
    value: str | None = None,
    *rights: Right,
    admin: bool = False,
    changes_state: bool = False,
) -> Part:
    """A part selected by ``name=value`` (or by the presence of ``name`` when ``value`` is None)."""

    def applies(q: Query) -> bool:
        return name in q if value is None else q.get(name) == value

    what = name if value is None else f"{name}={value}"
    return Part(what, what, applies, rights, admin, changes_state)
