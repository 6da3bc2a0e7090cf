"""Graph model, the GraphStore interface and its backends (embedded networkx, Neo4j)."""
from __future__ import annotations

from imvo.settings import Settings

from .store import Counts, GraphStore, NodeRow, ReadQuery, RelRow

__all__ = ["GraphStore", "NodeRow", "RelRow", "ReadQuery", "Counts", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """The store the settings select; the Neo4j driver is created here, once."""
    if settings.store == "neo4j":
        from .neo4j_store import Neo4jStore, make_driver
        driver = make_driver(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password)
        return Neo4jStore(driver, settings.neo4j_database, settings.neo4j_uri)
    from .embedded import EmbeddedStore
    return EmbeddedStore(settings.data_dir)
