"""The network views over HTTP (docs/views.md).

``GET /views/factory/{id}``, ``/views/company/{id}``, ``/views/covenant/{id}``,
``/views/country/{code}`` and ``/views/path?from=A&to=B``, each with an
optional ``asOf=YYYY-MM-DD``, the filters ``minBuyers``, ``union=1``,
``country``, ``risk`` and (covenant) ``mode=cobuyers|factories``, and
``format=nodes.csv|edges.csv|gexf|graphml`` to download the view's data.  The viewer comes from the bearer token exactly
as for GraphQL (:data:`api.deps.ViewerDep`) and is handed to the query layer.
Every answer is an HTML page: 200 with the view, 400 for a bad ``asOf`` or a
missing argument, 404 for an unknown id, 503 when the store cannot be reached.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from imvo.api.deps import StoreDep, ViewerDep
from imvo.api.limits import in_thread
from imvo.graph.store import GraphStore
from imvo.kernel.errors import InvalidInput, NotFound, StoreUnavailable
from imvo.queries.access import Viewer
from imvo.queries.args import parse_as_of
from imvo.viz.exchange import DOWNLOADS, download
from imvo.viz.render import error_page, render_html
from imvo.viz.views import ViewFilters, build_view

__all__ = ["router"]

router = APIRouter(prefix="/views", tags=["views"], default_response_class=HTMLResponse)
AsOf = Annotated[str | None, Query(alias="asOf", description="the date to look at, YYYY-MM-DD (default today)")]
_PAGE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "the view as a self-contained HTML page"},
    400: {"description": "bad asOf or arguments (HTML)"}, 404: {"description": "unknown id (HTML)"}}


FILTERS = ("minBuyers", "union", "country", "risk", "mode")


def _page(store: GraphStore, viewer: Viewer, kind: str, ids: Sequence[str], as_of: str | None,
          request: Request) -> Response:
    q = request.query_params
    try:
        fmt = q.get("format")
        if fmt is not None and fmt not in DOWNLOADS:
            raise InvalidInput(f"unknown format {fmt!r}: use {', '.join(DOWNLOADS)}")
        filters = ViewFilters.read(min_buyers=q.get("minBuyers"), union=q.get("union"),
                                   country=q.get("country") or None, risk=q.get("risk") or None,
                                   mode=q.get("mode") or None)
        g = build_view(store, viewer, kind, ids, as_of=parse_as_of(as_of), filters=filters)
        if fmt is not None:
            media, ext = DOWNLOADS[fmt]
            name = f"{kind}-{g.subject.replace(',', '-')}-{g.as_of.isoformat()}.{ext}"
            return Response(download(g, fmt), media_type=media, headers={
                "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
        keep = {k: v for k, v in q.items() if k != "format" and v != ""}
        keep["asOf"] = g.as_of.isoformat()
        html = render_html(g, base=f"{request.url.path}?{urlencode(keep)}")
    except NotFound as exc:
        return HTMLResponse(error_page(404, str(exc)), 404)
    except InvalidInput as exc:
        return HTMLResponse(error_page(400, str(exc)), 400)
    except StoreUnavailable as exc:
        return HTMLResponse(error_page(503, str(exc)), 503)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


async def _view(store: GraphStore, viewer: Viewer, kind: str, ids: Sequence[str],
                as_of: str | None, request: Request) -> Response:
    return await in_thread(_page, store, viewer, kind, ids, as_of, request)


@router.get("/factory/{factory_id}", responses=_PAGE, summary="A factory's leverage")
async def factory(factory_id: str, request: Request, store: StoreDep, viewer: ViewerDep,
          asOf: AsOf = None) -> Response:
    return await _view(store, viewer, "factory", [factory_id], asOf, request)


@router.get("/company/{company_id}", responses=_PAGE, summary="A company's co-buyer network")
async def company(company_id: str, request: Request, store: StoreDep, viewer: ViewerDep,
          asOf: AsOf = None) -> Response:
    return await _view(store, viewer, "company", [company_id], asOf, request)


@router.get("/covenant/{covenant_id}", responses=_PAGE, summary="A covenant's shared-factory network")
async def covenant(covenant_id: str, request: Request, store: StoreDep, viewer: ViewerDep,
          asOf: AsOf = None) -> Response:
    return await _view(store, viewer, "covenant", [covenant_id], asOf, request)


@router.get("/country/{code}", responses=_PAGE, summary="A country: risks, unions, NGOs, shared factories")
async def country(code: str, request: Request, store: StoreDep, viewer: ViewerDep,
          asOf: AsOf = None) -> Response:
    return await _view(store, viewer, "country", [code], asOf, request)


@router.get("/path", responses=_PAGE, summary="The shortest paths between two actors")
async def path(request: Request, store: StoreDep, viewer: ViewerDep,
               source: Annotated[str, Query(alias="from", description="an id")] = "",
               target: Annotated[str, Query(alias="to", description="an id")] = "",
               asOf: AsOf = None) -> Response:
    return await _view(store, viewer, "path", [source, target], asOf, request)
