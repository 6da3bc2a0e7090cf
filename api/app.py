"""The FastAPI application: /graphql (Strawberry), /health, and the network views.

Every data request (``/graphql``, ``/views/...``) runs under the cost limits
of :mod:`api.limits` and leaves one record in the audit log
(docs/security.md).
"""
from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from cross_web import AsyncHTTPRequestAdapter, HTTPException
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
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

from . import limits
from .context import Context
from .deps import SettingsDep, StoreDep, ViewerDep, parse_tokens
from .schema import make_schema
from .views import router as views

__all__ = ["create_app"]

log = logging.getLogger("imvo.api")
#: seconds a busy thread may keep the GIL while the event loop waits (the interpreter's default: 0.005)
SWITCH_INTERVAL = 0.0005
STATIC = Path(__file__).resolve().parent / "static"


class _Router(GraphQLRouter):
    """GraphiQL with its assets served by the app (/static), so the IDE works offline; request bodies
    read strictly (one line and a 4xx for anything malformed); an answer that was stopped by a limit
    is that one error, without partial data."""

    @property
    def graphql_ide_html(self) -> str:
        return (STATIC / "graphiql.html").read_text("utf-8")

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
            yield
        finally:
            if holder["log"] is not None:
                holder["log"].close()
            if own:
                app.state.store.close()

    app = FastAPI(title="IMVO leverage graph", version="0.1.0", lifespan=lifespan,
                  description="Joint leverage in covenant supply chains: GraphQL at /graphql, network "
                              "views at /views/{kind}/{id}, health at /health.")
    app.state.settings = settings
    app.state.tokens = tokens

    async def context(request: Request, store: StoreDep, viewer: ViewerDep,
                      settings: SettingsDep) -> Context:
        return Context(store, viewer, settings)

    graphql = _Router(make_schema(settings.max_query_depth), context_getter=context, graphql_ide="graphiql")
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(graphql, prefix="/graphql")

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
    return app
