"""Who is making a request: explicit credentials or the session cookie.

Every successful sign-in with explicit credentials (``auth=``, ``login=``,
Basic) yields a new session whose token the API layer sets as an HttpOnly
cookie, unless the request already carries a live session of the same user;
two clients signing in with the same credentials get different sessions.
Sessions end after ``idle_seconds`` without use, or on logout.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from nvrd.auth.credentials import Credentials, from_request
from nvrd.auth.lockout import Lockout
from nvrd.core.clock import Clock
from nvrd.core.errors import ApiError, Kind, unauthorized
from nvrd.core.eventtypes import PrivacyCode
from nvrd.core.rights import Right
from nvrd.store.sessions import SessionStore
from nvrd.store.users import User, UserStore

log = logging.getLogger("nvrd.auth")

# The last-seen time of a session is written at most this often.
_TOUCH_EVERY_MS = 30_000
#: How long a verified uid/password pair is trusted without a new scrypt check.
CREDENTIAL_CACHE_SECONDS = 60.0
_CACHE_MAX = 10_000


@dataclass(frozen=True)
class Identity:
    user: User | None
    session_token: str | None = None
    new_session: bool = False
    via: str | None = None


ANONYMOUS = Identity(None)

#: What a sign-in with explicit credentials gets: see Authenticator.identify.
SessionKind = Literal["own", "shared", "none"]

#: Receives what the event log should know: a privacy code and its parameters.
AuditHook = Callable[[PrivacyCode, dict[str, Any]], None]


def _no_audit(code: PrivacyCode, param: dict[str, Any]) -> None:
    return None


class Authenticator:
    def __init__(
        self,
        users: UserStore,
        sessions: SessionStore,
        lockout: Lockout,
        clock: Clock,
        idle_seconds: int,
        audit: AuditHook = _no_audit,
    ):
        self.audit = audit
        self.users = users
        self.sessions = sessions
        self.lockout = lockout
        self.clock = clock
        self.idle_ms = idle_seconds * 1000
        #: sha256(uid, password) -> (uid, trusted until, the shared session of media requests)
        self._verified: dict[str, tuple[str, float, str | None]] = {}

    def _now_ms(self) -> int:
        return self.clock.now_ms()

    async def identify(
        self,
        query: Mapping[str, str],
        authorization: str | None,
        cookie_token: str | None,
        client: str,
        *,
        session: SessionKind = "own",
    ) -> Identity:
        """Raises 400 for malformed credentials, 401 for wrong ones, 429 when locked out.

        Each sign-in with explicit credentials gets a session of its own (``"own"``),
        unless the request already carries a live session of the same user. Media files
        that players fetch over and over with ``auth=`` and no cookie (``"shared"``) reuse
        one session per credentials while it lives; websockets keep no cookie (``"none"``).
        """
        creds = from_request(query, authorization)
        current = await self._from_cookie(cookie_token) if cookie_token else ANONYMOUS
        if creds is None:
            return current
        user = await self._cached(creds, client, current.user)
        if user is None:
            user = await self.sign_in(creds, client)
            self._remember(creds, user)
        if current.user is not None and current.user.uid == user.uid:
            return Identity(user, current.session_token, False, creds.via)
        if session == "none":
            return Identity(user, None, False, creds.via)
        if session == "shared":
            token = await self._shared_session(creds, user)
        else:
            token = await self.sessions.create(user.uid, self._now_ms())
        return Identity(user, token, True, creds.via)

    async def _shared_session(self, creds: Credentials, user: User) -> str:
        key = self._cache_key(creds)
        hit = self._verified.get(key)
        if hit is not None and hit[2] is not None and await self.sessions.get(hit[2]):
            return hit[2]
        token = await self.sessions.create(user.uid, self._now_ms())
        if hit is not None:
            self._verified[key] = (hit[0], hit[1], token)
        return token

    # Players embedded in other sites cannot keep a cookie, so they send
    # ``auth=`` with every request (HLS parts, file ranges). A verified pair
    # is remembered for a minute, so that such a request costs a lookup
    # instead of a scrypt check. The user is read again on every hit, so a
    # removed user or changed rights take effect at once; when the request's
    # session cookie has just been read as the same user, that read serves
    # (a device pushing with Basic auth and its cookie: one read, not two).

    @staticmethod
    def _cache_key(creds: Credentials) -> str:
        return hashlib.sha256(f"{creds.uid}\0{creds.password}".encode()).hexdigest()

    async def _cached(
        self, creds: Credentials, client: str, read: User | None = None
    ) -> User | None:
        """The user of remembered credentials, read again (``read``: the user this request's
        session cookie has just been read as, the same row when the uid matches)."""
        if self.lockout.locked_for(client) > 0:
            return None  # sign_in() answers the locked-out client
        key = self._cache_key(creds)
        hit = self._verified.get(key)
        if hit is None or hit[1] < self.clock.monotonic():
            self._verified.pop(key, None)
            return None
        user = read if read is not None and read.uid == hit[0] else await self.users.get(hit[0])
        if user is None or not user.has(Right.REMOTE):
            self._verified.pop(key, None)
            return None
        return user

    def _remember(self, creds: Credentials, user: User) -> None:
        now = self.clock.monotonic()
        if len(self._verified) >= _CACHE_MAX:
            for k in [k for k, v in self._verified.items() if v[1] < now]:
                del self._verified[k]
            if len(self._verified) >= _CACHE_MAX:
                self._verified.clear()
        self._verified[self._cache_key(creds)] = (user.uid, now + CREDENTIAL_CACHE_SECONDS, None)

    def forget(self, uid: str) -> None:
        """Drop remembered passwords of ``uid`` (its password changed)."""
        for k in [k for k, v in self._verified.items() if v[0] == uid]:
            del self._verified[k]

    async def sign_in(self, creds: Credentials, client: str) -> User:
        wait = self.lockout.locked_for(client)
        if wait > 0:
            log.warning("sign-in refused: client locked out", extra={"client": client})
            self.audit(PrivacyCode.LOCKED_OUT, {"uid": creds.uid, "client": client})
            raise ApiError(
                Kind.TOO_MANY_ATTEMPTS,
                "lockedOut",
                {"seconds": int(wait) + 1},
                headers={"Retry-After": str(int(wait) + 1)},
            )
        user = await self.users.check_password(creds.uid, creds.password)
        if user is None:
            locked = self.lockout.failure(client)
            log.warning(
                "sign-in failed",
                extra={"client": client, "uid": creds.uid, "via": creds.via, "locked": locked},
            )
            self.audit(PrivacyCode.SIGN_IN_FAILED, {"uid": creds.uid, "client": client})
            raise unauthorized("badCredentials")
        if not user.has(Right.REMOTE):
            log.warning("sign-in refused: no Remote right", extra={"uid": user.uid})
            raise ApiError(Kind.FORBIDDEN, "needRight", {"right": Right.REMOTE.value})
        self.lockout.success(client)
        log.info("sign-in", extra={"client": client, "uid": user.uid, "via": creds.via})
        self.audit(PrivacyCode.SIGN_IN, {"uid": user.uid, "client": client, "via": creds.via})
        return user

    async def _from_cookie(self, token: str) -> Identity:
        found = await self.sessions.get_with_user(token)
        if found is None:
            return ANONYMOUS
        session, user = found
        now = self._now_ms()
        if now - session.last_seen_ms > self.idle_ms:
            await self.sessions.delete(token)
            log.info("session expired", extra={"uid": session.uid})
            self.audit(PrivacyCode.SESSION_EXPIRED, {"uid": session.uid})
            return ANONYMOUS
        if user is None:
            return ANONYMOUS
        if now - session.last_seen_ms > min(_TOUCH_EVERY_MS, self.idle_ms // 4):
            await self.sessions.touch(token, now)
        return Identity(user, token, False, "cookie")

    async def logout(self, token: str | None) -> None:
        if token:
            session = await self.sessions.get(token)
            await self.sessions.delete(token)
            if session:
                log.info("sign-out", extra={"uid": session.uid})
                self.audit(PrivacyCode.SIGN_OUT, {"uid": session.uid})

    async def purge_idle(self) -> int:
        return await self.sessions.delete_idle(self._now_ms() - self.idle_ms)
