"""Browser sessions and CSRF protection (DESIGN.md section 10).

A browser cannot send ``Authorization: Bearer``, so ``POST /login`` exchanges
a token for a **session cookie** that carries the token's role.  The token is
resolved by :func:`imvo.api.deps.get_viewer` -- the one place a token becomes a
role (see :mod:`imvo.api.login`); this module never looks at the token table.

The cookie (``imvo_session``) is ``HttpOnly``, ``SameSite=Lax``, ``Secure``
over https, and holds ``{role, nonce, issued}`` signed with HMAC-SHA256.  It
holds no token.  The signing key is derived from ``IMVO_SESSION_SECRET`` and
the configured tokens (``IMVO_API_TOKENS``), so every worker and host of one
deployment accepts the same sessions, and changing the tokens ends them all.
A session lasts :data:`MAX_AGE` seconds; a bad, old or foreign cookie is no
session at all (the browser is public).

CSRF: every state-changing request (any method but GET/HEAD/OPTIONS) that
relies on the session cookie must carry the session's CSRF token, as the
``X-CSRF-Token`` header (GraphiQL, scripts) or the ``csrf_token`` form field
(HTML forms); otherwise it is refused with 403.  :class:`CsrfMiddleware`
enforces that for every route, present and future.  A request with an
``Authorization`` header does not use the cookie and needs no CSRF token.
The login form itself is protected by a double-submit cookie (``imvo_login``).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import HTTPConnection
from starlette.responses import Response

from imvo.kernel.settings import Settings
from imvo.queries.access import PUBLIC, Viewer, viewer_for_role

__all__ = [
    "COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "LOGIN_COOKIE",
    "MAX_AGE",
    "CsrfMiddleware",
    "Session",
    "SessionSigner",
    "csrf_token",
    "current_session",
    "end_session",
    "login_form_ok",
    "login_pair",
    "session_viewer",
    "set_login_cookie",
    "start_session",
]

COOKIE = "imvo_session"
LOGIN_COOKIE = "imvo_login"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
MAX_AGE = 8 * 3600
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """A valid session: the role it carries and its nonce (the seed of its CSRF token)."""

    role: str
    nonce: str
    issued: int

    @property
    def viewer(self) -> Viewer:
        return viewer_for_role(self.role)


class SessionSigner:
    """Signs and checks session cookies and derives CSRF tokens (one per app)."""

    def __init__(self, key: bytes, max_age: int = MAX_AGE) -> None:
        self._key, self.max_age = key, max_age

    @classmethod
    def for_settings(cls, settings: Settings) -> SessionSigner:
        secret = getattr(settings, "session_secret", "") or ""
        material = f"imvo-session\0{secret}\0{settings.api_tokens}".encode()
        return cls(hashlib.sha256(material).digest())

    def _mac(self, purpose: str, data: str) -> str:
        return _b64(hmac.new(self._key, f"{purpose}\0{data}".encode(), hashlib.sha256).digest())

    def issue(self, viewer: Viewer, now: float | None = None) -> str:
        body = _b64(json.dumps({"r": str(viewer), "n": secrets.token_urlsafe(16),
                                "t": int(now if now is not None else time.time())},
                               separators=(",", ":")).encode())
        return f"{body}.{self._mac('session', body)}"

    def read(self, value: str | None, now: float | None = None) -> Session | None:
        if not value or value.count(".") != 1:
            return None
        body, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac("session", body)):
            return None
        try:
            data = json.loads(_unb64(body))
            session = Session(str(data["r"]), str(data["n"]), int(data["t"]))
            session.viewer  # noqa: B018 - a role we no longer know is no session
        except (ValueError, KeyError, TypeError):
            return None
        age = (now if now is not None else time.time()) - session.issued
        return session if 0 <= age <= self.max_age else None

    def csrf(self, session: Session) -> str:
        return self._mac("csrf", session.nonce)

    def login_token(self, nonce: str) -> str:
        return self._mac("login", nonce)


def _signer(conn: HTTPConnection) -> SessionSigner:
    signer = getattr(conn.app.state, "sessions", None)
    if signer is None:
        signer = conn.app.state.sessions = SessionSigner.for_settings(conn.app.state.settings)
    return signer


def current_session(conn: HTTPConnection) -> Session | None:
    """The request's valid session, if any."""
    return _signer(conn).read(conn.cookies.get(COOKIE))


def session_viewer(conn: HTTPConnection) -> Viewer:
    """The session's role, or public without a valid session (called by ``get_viewer``)."""
    session = current_session(conn)
    return session.viewer if session is not None else PUBLIC


def csrf_token(conn: HTTPConnection) -> str | None:
    """The CSRF token the request's session expects (None without a session)."""
    session = current_session(conn)
    return _signer(conn).csrf(session) if session is not None else None


def _cookie(response: Response, conn: HTTPConnection, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=conn.url.scheme == "https")


def start_session(response: Response, conn: HTTPConnection, viewer: Viewer) -> None:
    _cookie(response, conn, COOKIE, _signer(conn).issue(viewer), None)
    response.delete_cookie(LOGIN_COOKIE, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def login_pair(conn: HTTPConnection) -> tuple[str, str]:
    """The login form's double-submit pair: (the cookie's nonce, the form field that must match it)."""
    nonce = conn.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(16)
    return nonce, _signer(conn).login_token(nonce)


def set_login_cookie(response: Response, conn: HTTPConnection, nonce: str) -> None:
    _cookie(response, conn, LOGIN_COOKIE, nonce, 3600)


def login_form_ok(conn: HTTPConnection, field: str | None) -> bool:
    nonce = conn.cookies.get(LOGIN_COOKIE)
    return bool(nonce and field and hmac.compare_digest(field, _signer(conn).login_token(nonce)))


# ---------------------------------------------------------------------------
# CSRF middleware (pure ASGI: it can read a form body and hand it on unchanged)
# ---------------------------------------------------------------------------

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
MAX_FORM = 1 << 20


class CsrfMiddleware:
    """Refuses (403) a state-changing request that uses the session cookie without its CSRF token."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        session = current_session(conn)
        if session is None or "authorization" in conn.headers or scope["path"] == "/login":
            await self.app(scope, receive, send)      # no session in use: nothing to forge
            return
        expected = _signer(conn).csrf(session)
        given = conn.headers.get(CSRF_HEADER)
        body = b""
        if given is None and conn.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            more = True
            while more and len(body) <= MAX_FORM:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            values = parse_qs(body.decode("latin-1")).get(CSRF_FIELD)
            given = values[0] if values else None
        if given is None or not hmac.compare_digest(given, expected):
            response = Response("CSRF token missing or wrong: reload the page and try again", 403,
                                media_type="text/plain")
            await response(scope, receive, send)
            return
        if body:
            replayed = False

            async def replay() -> MutableMapping[str, Any]:
                nonlocal replayed
                if not replayed:
                    replayed = True
                    return {"type": "http.request", "body": body, "more_body": False}
                return await receive()
            await self.app(scope, replay, send)
        else:
            await self.app(scope, receive, send)
