"""The FastAPI application: /graphql (Strawberry), /health, and the network views."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from strawberry.fastapi import GraphQLRouter

from imvo.graph import open_store
from imvo.graph.store import GraphStore
from imvo.kernel.errors import ImvoError, StoreUnavailable
from imvo.kernel.settings import Settings, get_settings

from .context import Context, in_thread
from .deps import SettingsDep, StoreDep, ViewerDep, parse_tokens
from .schema import make_schema
from .views import router as views

__all__ = ["create_app"]

log = logging.getLogger("imvo.api")
STATIC = Path(__file__).resolve().parent / "static"


class _Router(GraphQLRouter):
    """GraphiQL with its assets served by the app (/static), so the IDE works offline."""

    @property
    def graphql_ide_html(self) -> str:
        return (STATIC / "graphiql.html").read_text("utf-8")


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
    return app
