"""FastAPI dependencies: the store (opened once per process) and the viewer (from the bearer token)."""
from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from imvo.graph.store import GraphStore
from imvo.kernel.settings import Settings
from imvo.queries.access import Viewer, viewer_for_role

from .session import session_viewer

__all__ = ["SettingsDep", "StoreDep", "ViewerDep", "get_app_settings", "get_store", "get_viewer"]


def get_store(request: Request) -> GraphStore:
    return request.app.state.store


def get_app_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_viewer(request: Request) -> Viewer:
    """A known bearer token: its role; no Authorization header: the browser session's role (public
    without one, :mod:`imvo.api.session`); anything else: 401."""
    header = request.headers.get("authorization")
    if not header:
        return session_viewer(request)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise HTTPException(401, "use 'Authorization: Bearer <token>'",
                            headers={"WWW-Authenticate": "Bearer"})
    role = request.app.state.tokens.get(token.strip())
    if role is None:
        raise HTTPException(401, "unknown token", headers={"WWW-Authenticate": "Bearer"})
    return role


StoreDep = Annotated[GraphStore, Depends(get_store)]
ViewerDep = Annotated[Viewer, Depends(get_viewer)]
SettingsDep = Annotated[Settings, Depends(get_app_settings)]


def parse_tokens(settings: Settings) -> dict[str, Viewer]:
    """IMVO_API_TOKENS as {token: Viewer}; a bad role is a configuration error."""
    return {token: viewer_for_role(role) for token, role in settings.tokens().items()}
