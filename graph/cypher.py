"""Cypher generated from the model declaration (:mod:`graph.model`).

Only declared labels and relationship types are ever written into the text;
all values are parameters (``$rows``).
"""
from __future__ import annotations

from .model import NODES, NodeType, RelType

__all__ = ["constraint_statements", "merge_nodes", "ensure_nodes", "merge_rels"]


def constraint_statements() -> list[str]:
    """One uniqueness constraint per label on its key, plus indexes used by the queries."""
    out = [f"CREATE CONSTRAINT {n.label.lower()}_{n.key} IF NOT EXISTS "
           f"FOR (n:{n.label}) REQUIRE n.{n.key} IS UNIQUE" for n in NODES]
    out.append("CREATE INDEX factory_country IF NOT EXISTS FOR (n:Factory) ON (n.country)")
    out.append("CREATE INDEX factory_os_id IF NOT EXISTS FOR (n:Factory) ON (n.os_id)")
    return out


def merge_nodes(node: NodeType) -> str:
    """Upsert nodes of one label: ``$rows`` is a list of ``{id, props}``.

    ``SET n += props`` replaces the given properties; a null in ``props``
    removes that property, so a row describes the node completely.
    """
    return (f"UNWIND $rows AS row MERGE (n:{node.label} {{{node.key}: row.id}}) "
            f"SET n += row.props")


def ensure_nodes(node: NodeType) -> str:
    """Make sure nodes exist (referenced by id only): ``$ids`` is a list of ids."""
    return f"UNWIND $ids AS id MERGE (n:{node.label} {{{node.key}: id}})"


def merge_rels(rel: RelType, source: str, target: str) -> str:
    """Upsert relationships between existing nodes: ``$rows`` holds ``{start, end, key, props}``."""
    if source not in rel.sources or target not in rel.targets:
        raise ValueError(f"{rel.type} does not go from {source} to {target}")
    return (f"UNWIND $rows AS row "
            f"MATCH (a:{source} {{id: row.start}}) MATCH (b:{target} {{id: row.end}}) "
            f"MERGE (a)-[r:{rel.type} {{key: row.key}}]->(b) SET r += row.props")
