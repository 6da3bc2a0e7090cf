"""The per-request GraphQL context: store, viewer and DataLoaders (created per request)."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from strawberry.dataloader import DataLoader
from strawberry.fastapi import BaseContext

from imvo.graph.store import GraphStore
from imvo.kernel.settings import Settings
from imvo.queries.access import Viewer
from imvo.queries.core import Node
from imvo.queries.navigate import Direction, Edge, neighbours, nodes_by_id

from . import limits

__all__ = ["Context", "in_thread"]


async def in_thread(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run a blocking store call off the server's event loop (:func:`api.limits.in_thread`)."""
    return await limits.in_thread(fn, *args, **kwargs)


class Context(BaseContext):
    def __init__(self, store: GraphStore, viewer: Viewer, settings: Settings) -> None:
        super().__init__()
        self.store = store
        self.viewer = viewer
        self.settings = settings
        self._loaders: dict[tuple, DataLoader] = {}

    def node_loader(self, label: str) -> DataLoader[str, Node | None]:
        key = ("node", label)
        if key not in self._loaders:
            async def load(ids: list[str]) -> list[Node | None]:
                found = await in_thread(nodes_by_id, self.store, label, ids)
                return [found.get(i) for i in ids]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def grievance_loader(self) -> DataLoader[str, Any]:
        """Batched complaints-mechanism facts (events, current status, whom the viewer may learn was
        informed), cut to the viewer by :mod:`imvo.queries.grievances`."""
        key = ("grievance-facts",)
        if key not in self._loaders:
            from imvo.queries.grievances import facts

            async def load(ids: list[str]) -> list[Any]:
                found = await in_thread(facts, self.store, self.viewer, ids)
                return [found.get(i) for i in ids]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]

    def edge_loader(self, label: str, type_: str, direction: Direction,
                    as_of: dt.date | None = None) -> DataLoader[str, list[Edge]]:
        """Batched neighbours: all ids asked in one tick cost one store round trip."""
        key = ("edges", label, type_, direction, as_of)
        if key not in self._loaders:
            async def load(ids: list[str]) -> list[list[Edge]]:
                found = await in_thread(neighbours, self.store, self.viewer, label, ids, type_, direction,
                                        as_of=as_of)
                return [found.get(i, []) for i in ids]
            self._loaders[key] = DataLoader(load_fn=load)
        return self._loaders[key]
