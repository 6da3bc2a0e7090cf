"""The workbench's HTML pages (DESIGN.md section 10): ``/``, ``/search``, the entity pages.

Routes only: the pages are built by :mod:`imvo.viz.pages` from query-layer
results for the request's viewer (bearer token or browser session, as for
GraphQL) and rendered by :mod:`imvo.viz.html`.  ``?table=KEY&format=csv|xlsx|json``
downloads one table of a page (:mod:`imvo.viz.exports`).  Unknown ids answer
404, bad arguments 400, an unreachable store 503 -- as HTML pages.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from imvo.api.limits import in_thread as run_in_threadpool
from imvo.kernel.errors import InvalidInput, NotFound, StoreUnavailable
from imvo.queries.access import Viewer
from imvo.queries.args import parse_as_of
from imvo.viz.exports import FORMATS, ExportMeta, export_table
from imvo.viz.html import render_page, render_template
from imvo.viz.pages import PAGE_KINDS, Page, entity_page, landing, search_page

from .deps import StoreDep, ViewerDep
from .session import csrf_token, current_session

__all__ = ["error_response", "frame", "router"]

router = APIRouter(tags=["pages"], default_response_class=HTMLResponse)
AsOf = Annotated[str | None, Query(alias="asOf", description="the date to look at, YYYY-MM-DD (default today)")]
TITLES = {400: "Bad request", 403: "Forbidden", 404: "Not found", 503: "Store unavailable"}


def frame(request: Request, viewer: Viewer) -> dict[str, Any]:
    """What every page's frame needs: the role, whether a session is on, the CSRF token for forms."""
    return {"viewer": str(viewer), "logged_in": current_session(request) is not None,
            "csrf": csrf_token(request)}


def error_response(request: Request, viewer: Viewer, status: int, message: str) -> HTMLResponse:
    html = render_template("error.html", status=status, title=TITLES.get(status, "Error"), message=message,
                           page_kind="error", **frame(request, viewer))
    return HTMLResponse(html, status, headers={"Cache-Control": "no-store"})


async def _answer(request: Request, viewer: Viewer, build: Callable[[], Page], table: str | None = None,
                  fmt: str | None = None) -> Response:
    try:
        page = await run_in_threadpool(build)
        if fmt is not None or table is not None:
            fmt = (fmt or "csv").lower()
            if fmt not in FORMATS or not table:
                raise InvalidInput("a download needs table=KEY and format=csv, xlsx or json")
            t = page.table(table)
            data = export_table(t, fmt, ExportMeta.now(f"{page.title}: {t.title}", str(viewer), page.as_of))
            name = f"{page.kind}-{page.subject or 'all'}-{t.key}-{page.as_of.isoformat()}.{fmt}"
            return Response(data, media_type=FORMATS[fmt], headers={
                "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
    except NotFound as exc:
        return error_response(request, viewer, 404, str(exc))
    except InvalidInput as exc:
        return error_response(request, viewer, 400, str(exc))
    except StoreUnavailable as exc:
        return error_response(request, viewer, 503, str(exc))
    params = {k: v for k, v in request.query_params.items() if k not in ("table", "format")}
    downloads = "?" + urlencode({**params, "asOf": page.as_of.isoformat()})
    html = render_page(page, downloads=downloads, query=request.query_params.get("q"),
                       **{k: v for k, v in frame(request, viewer).items() if k != "viewer"})
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _date(value: str | None) -> dt.date | None:
    return parse_as_of(value)


@router.get("/", summary="The landing page: search, covenants, countries, log in")
async def home(request: Request, store: StoreDep, viewer: ViewerDep, asOf: AsOf = None,
               table: str | None = None, format: str | None = None) -> Response:
    return await _answer(request, viewer, lambda: landing(store, viewer, _date(asOf)), table, format)


@router.get("/search", summary="Search across all names; results link to the entity pages")
async def find(request: Request, store: StoreDep, viewer: ViewerDep, q: str = "",
               table: str | None = None, format: str | None = None) -> Response:
    return await _answer(request, viewer, lambda: search_page(store, viewer, q), table, format)


def _entity_route(kind: str) -> None:
    async def page(request: Request, id: str, store: StoreDep, viewer: ViewerDep, asOf: AsOf = None,
                   risk: str | None = None, table: str | None = None, format: str | None = None) -> Response:
        return await _answer(request, viewer,
                             lambda: entity_page(store, viewer, kind, id, as_of=_date(asOf), risk=risk),
                             table, format)
    page.__name__ = f"{kind}_page"
    router.add_api_route(f"/{kind}/{{id}}", page, methods=["GET"], response_class=HTMLResponse,
                         summary=f"The {PAGE_KINDS[kind].lower()} page: facts, tables, network view")


for _kind in PAGE_KINDS:
    _entity_route(_kind)


@router.get("/map", summary="A map of factories (offline), coloured by shared / union / risk, as the role sees")
async def factories_map(request: Request, store: StoreDep, viewer: ViewerDep, asOf: AsOf = None,
                        covenant: str | None = None, country: str | None = None, risk: str | None = None,
                        factory: str | None = None, colour: str = "shared") -> Response:
    from imvo.viz.html import render_map
    from imvo.viz.map import factory_map
    try:
        m = await run_in_threadpool(lambda: factory_map(store, viewer, as_of=_date(asOf), covenant=covenant or None,
                                                        country=country or None, risk=risk or None,
                                                        focus=factory or None))
    except NotFound as exc:
        return error_response(request, viewer, 404, str(exc))
    except InvalidInput as exc:
        return error_response(request, viewer, 400, str(exc))
    except StoreUnavailable as exc:
        return error_response(request, viewer, 503, str(exc))
    f = frame(request, viewer)
    return HTMLResponse(render_map(m, colour=colour, csrf=f["csrf"], logged_in=f["logged_in"]),
                        headers={"Cache-Control": "no-store"})
