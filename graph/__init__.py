"""Graph model, the GraphStore interface and its backends (embedded networkx, Neo4j)."""
from __future__ import annotations

from pathlib import Path

from .store import Counts, GraphStore, NodeRow, ReadQuery, RelRow, WriteOutsideWriter, Writer

__all__ = [
    "STORE_KINDS",
    "Counts",
    "GraphStore",
    "NodeRow",
    "ReadQuery",
    "RelRow",
    "WriteOutsideWriter",
    "Writer",
    "open_store",
]

STORE_KINDS = ("embedded", "neo4j")


def open_store(kind: str = "embedded", *, data_dir: Path | None = None, neo4j_uri: str = "bolt://127.0.0.1:7687",
               neo4j_user: str = "neo4j", neo4j_password: str = "", neo4j_database: str = "neo4j",
               timeout: float = 1.5) -> GraphStore:
    """The store of this kind; the Neo4j driver is created here, once.

    The edges (command line, API app) pass their settings' values:
    ``open_store(**settings.store_options())``.
    """
    if kind == "neo4j":
        from .neo4j_store import Neo4jStore, make_driver
        driver = make_driver(neo4j_uri, neo4j_user, neo4j_password, timeout)
        return Neo4jStore(driver, neo4j_database, neo4j_uri)
    if kind != "embedded":
        raise ValueError(f"unknown store kind {kind!r}: use one of {', '.join(STORE_KINDS)}")
    from .embedded import EmbeddedStore
    return EmbeddedStore(data_dir)
