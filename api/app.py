"""The FastAPI application: the workbench pages, /graphql (Strawberry), /health, the network views,
the map, the match review, and the API docs (all offline: every asset is served by the app).

Every data request (``/graphql``, ``/views/...``) runs under the cost limits of :mod:`api.limits`
and leaves one record in the audit log (docs/security.md).
"""
from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope
from strawberry.fastapi import GraphQLRouter
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData, process_result
from strawberry.types import ExecutionResult

from imvo.graph import open_store
from imvo.graph.store import GraphStore
from imvo.kernel import audit
from imvo.kernel.audit import AuditLog
from imvo.kernel.errors import ImvoError, StoreUnavailable, TooExpensive
from imvo.kernel.settings import Settings, get_settings
from imvo.viz import html as viz_assets

from . import limits
from .context import Context
from .deps import SettingsDep, StoreDep, ViewerDep, get_viewer, parse_tokens
from .login import router as login
from .pages import router as pages
from .review import router as review
from .schema import make_schema
from .session import CsrfMiddleware, SessionSigner, csrf_token
from .views import router as views

__all__ = ["create_app"]

log = logging.getLogger("imvo.api")
#: seconds a busy thread may keep the GIL while the event loop waits (the interpreter's default: 0.005)
SWITCH_INTERVAL = 0.0005
STATIC = Path(__file__).resolve().parent / "static"
MAP_ASSETS = Path(viz_assets.__file__).resolve().parent / "assets" / "map"


class _Router(GraphQLRouter):
    """GraphiQL with its assets served by the app (/static), so the IDE works offline, carrying the
    session's CSRF token (sent as X-CSRF-Token) and saying who the caller is; request bodies read
    strictly (one line and a 4xx for anything malformed); an answer that was stopped by a limit is
    that one error, without partial data."""

    async def render_graphql_ide(self, request: Request) -> HTMLResponse:
        from html import escape
        try:
            role = str(get_viewer(request))
        except Exception:
            role = "unknown token"
        html = ((STATIC / "graphiql.html").read_text("utf-8")
                .replace("__IMVO_CSRF__", escape(csrf_token(request) or ""))
                .replace("__IMVO_ROLE__", escape(role)))
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        if request.method == "GET":
            return await super().parse_http_body(request)  # type: ignore[return-value]
        try:
            data = limits.parse_body(await request.get_body(), request.content_type or "")
        except limits.BadRequest as exc:
            raise HTTPException(exc.status, str(exc)) from None
        return GraphQLRequestData(query=data.get("query"), variables=data.get("variables"),
                                  operation_name=data.get("operationName"), extensions=data.get("extensions"),
                                  protocol="http")

    async def process_result(self, request: Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        for err in result.errors or ():
            if isinstance(err.original_error, TooExpensive):
                return {"data": None, "errors": [err.formatted]}
        return process_result(result)


def _write_audit(log_: AuditLog | None, scope: Scope, req: limits.RequestScope, status: int,
                 links: audit.Collector) -> None:
    """One audit record for a data request: who (role, token name), what, and the links handed out."""
    path = scope.get("path", "")
    if log_ is None or not path.startswith(("/graphql", "/views/")):
        return
    if path.startswith("/graphql") and req.operation is None and not len(links) and status < 400:
        return                                  # the GraphiQL page itself, not a question
    client = scope.get("client")
    query = scope.get("query_string", b"").decode("latin-1")
    log_.write({
        "role": req.role, "token": req.token, "client": client[0] if client else None,
        "request": f"{scope.get('method')} {path}" + (f"?{query}" if path.startswith("/views/") and query else ""),
        "operation": req.operation, "status": status or 500,
        "cost": req.extra.get("cost"), "objects": req.nodes,
        "links": links.records()})


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """The app; it opens the store once at start-up (or uses the given one) and keeps no other state
    (beside the audit log it appends to)."""
    settings = settings or get_settings()
    try:
        tokens = parse_tokens(settings)
    except ValueError as exc:
        raise ImvoError(f"IMVO_API_TOKENS: {exc}") from None
    audit_path = settings.audit_path()
    holder: dict[str, AuditLog | None] = {"log": None}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A thread doing Python work (an operation being executed) holds the GIL for up to the switch
        # interval each time the event loop wants it back; the default 5 ms, paid at every turn of the
        # loop, made /health wait 100-500 ms behind one expensive operation (docs/security.md).
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        own = store is None
        app.state.store = store or open_store(**settings.store_options())
        try:
            if audit_path is not None:
                holder["log"] = AuditLog(audit_path, settings.audit_max_bytes, settings.audit_backups)
            app.state.audit = holder["log"]
            if own:
                # A server of its own (imvo serve): everything alive now (the imported libraries, the
                # app, the store) lives as long as the process; out of the cyclic collector's reach,
                # a full collection walks only what requests allocate.  It holds the GIL: behind an
                # expensive operation /health waited 155-170 ms for one (p95), 56 ms after this.
                gc.collect()
                gc.freeze()
            yield
        finally:
            if holder["log"] is not None:
                holder["log"].close()
            if own:
                app.state.store.close()

    app = FastAPI(title="IMVO leverage graph", version="0.1.0", lifespan=lifespan, docs_url=None,
                  redoc_url=None,
                  description="Joint leverage in covenant supply chains: the workbench at /, GraphQL at "
                              "/graphql (schema: /schema.graphql), network views at /views/{kind}/{id}, "
                              "health at /health.")
    app.state.settings = settings
    app.state.tokens = tokens
    app.state.sessions = SessionSigner.for_settings(settings)
    app.add_middleware(CsrfMiddleware)

    async def context(request: Request, store: StoreDep, viewer: ViewerDep,
                      settings: SettingsDep) -> Context:
        return Context(store, viewer, settings)

    schema = make_schema(settings.max_query_depth)
    graphql = _Router(schema, context_getter=context, graphql_ide="graphiql")
    app.mount("/static/map", StaticFiles(directory=MAP_ASSETS), name="map-assets")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(graphql, prefix="/graphql")
    sdl = schema.as_str() + "\n"

    @app.get("/schema.graphql", summary="The GraphQL schema as SDL", response_class=PlainTextResponse)
    async def schema_sdl() -> PlainTextResponse:
        return PlainTextResponse(sdl, headers={"Content-Disposition": 'inline; filename="imvo.graphql"'})

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="IMVO leverage graph: REST API",
                                   swagger_js_url="/static/swagger-ui-bundle.js",
                                   swagger_css_url="/static/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg")

    def write_audit(scope: Scope, req: limits.RequestScope, status: int, links: audit.Collector) -> None:
        _write_audit(holder["log"], scope, req, status, links)

    app.add_middleware(limits.RequestLimits, max_body=settings.max_body_bytes, timeout=settings.request_timeout,
                       max_nodes=settings.max_result_nodes, on_done=write_audit)

    @app.get("/health", summary="The store and whether it answers (503 when it does not)")
    async def health(request: Request) -> JSONResponse:
        store: GraphStore = request.app.state.store     # no dependency: nothing of it waits for a worker thread
        try:
            await limits.health_thread(store.ping)
        except StoreUnavailable as exc:
            return JSONResponse({"status": "unavailable", "store": store.kind, "error": str(exc)}, 503)
        return JSONResponse({"status": "ok", "store": store.kind, "detail": store.describe()})

    @app.exception_handler(StoreUnavailable)
    async def unavailable(request: Request, exc: StoreUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 503)

    @app.exception_handler(ImvoError)
    async def imvo_error(request: Request, exc: ImvoError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, 400)

    app.include_router(views)
    app.include_router(login)
    app.include_router(review)
    app.include_router(pages)
    return app
