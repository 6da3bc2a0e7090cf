"""FastAPI dependencies: the store (opened once per process) and the viewer (from the bearer token).

Token handling lives here, in one place: :class:`TokenTable` holds the tokens
of ``IMVO_API_TOKENS`` as hashes with their names and roles
(:mod:`imvo.kernel.tokens`), and :func:`get_viewer` turns a request into a
:class:`~imvo.queries.access.Viewer`, noting the role and the token's *name*
(never the token) on the request's scope for the audit log.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from imvo.graph.store import GraphStore
from imvo.kernel.settings import Settings
from imvo.kernel.tokens import TokenEntry, find
from imvo.queries.access import Viewer, viewer_for_role

from . import limits
from .session import session_viewer

__all__ = ["SettingsDep", "StoreDep", "TokenTable", "ViewerDep", "get_app_settings", "get_store", "get_viewer",
           "parse_tokens"]


class TokenTable:
    """The API's tokens: looked up by hash; each has a name (for the audit log) and a viewer."""

    def __init__(self, entries: list[TokenEntry]) -> None:
        self._entries = entries
        self._viewers = {e.digest: viewer_for_role(e.role) for e in entries}

    def lookup(self, token: str) -> tuple[str, Viewer] | None:
        """(name, viewer) of a presented token, or None."""
        entry = find(self._entries, token)
        return None if entry is None else (entry.name, self._viewers[entry.digest])

    def names(self) -> dict[str, str]:
        """{name: role}, e.g. for start-up messages (no token, no hash)."""
        return {e.name: e.role for e in self._entries}

    def __len__(self) -> int:
        return len(self._entries)


# The dependencies are ``async def``: they only read the app's state and the headers, and a plain
# ``def`` dependency costs each request a trip through the thread pool (three of them were about a
# third of the API's own time per request, scripts/bench_leverage.py "API overhead").

async def get_store(request: Request) -> GraphStore:
    return request.app.state.store


async def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def _note(role: str | None, name: str | None) -> None:
    scope = limits.current()
    if scope is not None:
        scope.role, scope.token = role, name


def get_viewer(request: Request) -> Viewer:
    """A known bearer token: its role; no Authorization header: the browser session's role (public
    without one, :mod:`imvo.api.session`); anything else: 401."""
    header = request.headers.get("authorization")
    if not header:
        viewer = session_viewer(request)
        _note(str(viewer), None if viewer.role == "public" else "(browser session)")
        return viewer
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        _note(None, "(malformed Authorization)")
        raise HTTPException(401, "use 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    found = request.app.state.tokens.lookup(token.strip())
    if found is None:
        _note(None, "(unknown token)")
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    name, viewer = found
    _note(str(viewer), name)
    return viewer


async def _viewer(request: Request) -> Viewer:
    return get_viewer(request)      # a SHA-256 and a dict lookup: nothing that blocks the loop


StoreDep = Annotated[GraphStore, Depends(get_store)]
ViewerDep = Annotated[Viewer, Depends(_viewer)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def parse_tokens(settings: Settings) -> TokenTable:
    """IMVO_API_TOKENS as a :class:`TokenTable`; a bad entry or role is a configuration error
    (ConfigError / ValueError, one line, never showing a token)."""
    entries = settings.token_entries()
    try:
        return TokenTable(entries)
    except ValueError as exc:
        bad = next(e for e in entries if not _valid_role(e.role))
        raise ValueError(f"the token named {bad.name}: {exc}") from None


def _valid_role(role: str) -> bool:
    try:
        viewer_for_role(role)
    except ValueError:
        return False
    return True
