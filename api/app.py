"""The FastAPI application: the workbench pages, /graphql (Strawberry), /health, the network views,
the map, the match review, and the API docs (all offline: every asset is served by the app)."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from imvo.graph import open_store
from imvo.graph.store import GraphStore
from imvo.kernel.errors import ImvoError, StoreUnavailable
from imvo.kernel.settings import Settings, get_settings
from imvo.viz import html as viz_assets

from .context import Context, in_thread
from .deps import SettingsDep, StoreDep, ViewerDep, get_viewer, parse_tokens
from .login import router as login
from .pages import router as pages
from .review import router as review
from .schema import make_schema
from .session import CsrfMiddleware, SessionSigner, csrf_token
from .views import router as views

__all__ = ["create_app"]

log = logging.getLogger("imvo.api")
STATIC = Path(__file__).resolve().parent / "static"
MAP_ASSETS = Path(viz_assets.__file__).resolve().parent / "assets" / "map"


class _Router(GraphQLRouter):
    """GraphiQL with its assets served by the app (/static), so the IDE works offline; the page
    carries the session's CSRF token (sent as X-CSRF-Token) and says who the caller is."""

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


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """The app; it opens the store once at start-up (or uses the given one) and keeps no other state."""
    settings = settings or get_settings()
    try:
        tokens = parse_tokens(settings)
    except ValueError as exc:
        raise ImvoError(f"IMVO_API_TOKENS: {exc}") from None

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = store is None
        app.state.store = store or open_store(**settings.store_options())
        try:
            yield
        finally:
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

    @app.get("/health", summary="The store and whether it answers (503 when it does not)")
    async def health(store: StoreDep) -> JSONResponse:
        try:
            await in_thread(store.ping)
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
