"""``/login`` and ``/logout`` (DESIGN.md section 10).

``POST /login`` resolves the token exactly as a bearer header is resolved --
by :func:`imvo.api.deps.get_viewer`, the one place a token becomes a role --
and starts a session in that role (:mod:`imvo.api.session`); an unknown
token gets 401 and no session.
"""
from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from imvo.queries.access import PUBLIC
from imvo.viz.html import render_template

from .deps import get_viewer
from .pages import frame
from .session import end_session, login_form_ok, login_pair, session_viewer, set_login_cookie, start_session

__all__ = ["router"]

router = APIRouter(tags=["session"], default_response_class=HTMLResponse)


def _form(request: Request, status: int = 200, error: str | None = None) -> HTMLResponse:
    nonce, check = login_pair(request)
    response = HTMLResponse(render_template(
        "login.html", login_check=check, error=error, page_kind="login", title="Log in",
        **frame(request, session_viewer(request))), status, headers={"Cache-Control": "no-store"})
    set_login_cookie(response, request, nonce)
    return response


@router.get("/login", summary="The login form (one field: token)")
async def login_form(request: Request) -> HTMLResponse:
    return _form(request)


def _resolve(request: Request, token: str) -> object:
    """The token's viewer through get_viewer (None when it is not a known token)."""
    scope = {**request.scope, "headers": [(k, v) for k, v in request.scope["headers"]
                                          if k not in (b"authorization", b"cookie")]
             + [(b"authorization", f"Bearer {token}".encode())]}
    try:
        return get_viewer(Request(scope))
    except HTTPException:
        return None


@router.post("/login", summary="Start a browser session in the token's role (401 for an unknown token)")
async def login(request: Request) -> Response:
    form = await request.form()
    token = str(form.get("token") or "").strip()
    if not login_form_ok(request, str(form.get("login_check") or "")):
        return _form(request, 403, "The login form expired or came from another site: please try again.")
    viewer = _resolve(request, token) if token and len(token) <= 4096 else None
    if viewer is None or viewer == PUBLIC:
        response = _form(request, 401, "Unknown token: check it and try again.")
        end_session(response)
        return response
    done = RedirectResponse("/", 303)
    start_session(done, request, viewer)  # type: ignore[arg-type]
    return done


@router.get("/logout", summary="End the browser session")
async def logout() -> Response:
    response = RedirectResponse("/", 303)
    end_session(response)
    return response
