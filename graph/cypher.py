"""Cypher generated from the model declaration (:mod:`graph.model`).

Only declared labels and relationship types are ever written into the text;
all values are parameters (``$rows``).
"""
from __future__ import annotations

from .model import NODES, NodeType, RelType

__all__ = [
    "constraint_statements",
    "delete_nodes",
    "delete_rels",
    "ensure_nodes",
    "merge_nodes_positional",
    "merge_rels_positional",
]


def constraint_statements() -> list[str]:
    """One uniqueness constraint per label on its key, plus indexes used by the queries."""
    out = [f"CREATE CONSTRAINT {n.label.lower()}_{n.key} IF NOT EXISTS "
           f"FOR (n:{n.label}) REQUIRE n.{n.key} IS UNIQUE" for n in NODES]
    out.append("CREATE INDEX factory_country IF NOT EXISTS FOR (n:Factory) ON (n.country)")
    out.append("CREATE INDEX factory_os_id IF NOT EXISTS FOR (n:Factory) ON (n.os_id)")
    return out


def ensure_nodes(node: NodeType) -> str:
    """Make sure nodes exist (referenced by id only): ``$ids`` is a list of ids."""
    return f"UNWIND $ids AS id MERGE (n:{node.label} {{{node.key}: id}})"


def _prop_map(declared: set[str], names: tuple[str, ...], first: int, what: str) -> str:
    """``{name: row[first], ...}`` for declared property names only (never a value)."""
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise ValueError(f"{what} has no properties {unknown}")
    return "{" + ", ".join(f"`{n}`: row[{first + i}]" for i, n in enumerate(names)) + "}"


def merge_nodes_positional(node: NodeType, names: tuple[str, ...]) -> str:
    """Upsert nodes of one label from rows sent as lists ``[id, value of names[0], ...]``.

    ``SET n += {...}`` replaces the given properties; a null removes that
    property, so a row describes the node completely.  The list shape halves
    the Bolt message, and the literal map lets the planner drop the Eager
    operator that ``+= row.props`` needs (it might write the merge key).
    """
    props = _prop_map({p.name for p in node.props}, names, 1, node.label)
    return f"UNWIND $rows AS row MERGE (n:{node.label} {{{node.key}: row[0]}}) SET n += {props}"


def merge_rels_positional(rel: RelType, source: str, target: str, names: tuple[str, ...]) -> str:
    """Upsert relationships between existing nodes from rows ``[start, end, key, value of names[0], ...]``
    (``key`` tells parallel relationships apart, see :func:`imvo.graph.model.rel_key`)."""
    if source not in rel.sources or target not in rel.targets:
        raise ValueError(f"{rel.type} does not go from {source} to {target}")
    props = _prop_map({p.name for p in rel.props}, names, 3, rel.type)
    return (f"UNWIND $rows AS row "
            f"MATCH (a:{source} {{id: row[0]}}) MATCH (b:{target} {{id: row[1]}}) "
            f"MERGE (a)-[r:{rel.type} {{key: row[2]}}]->(b) SET r += {props}")


def delete_rels(rel: RelType, source: str, target: str) -> str:
    """Delete relationships given as rows ``[start, end, key]``."""
    if source not in rel.sources or target not in rel.targets:
        raise ValueError(f"{rel.type} does not go from {source} to {target}")
    return (f"UNWIND $rows AS row MATCH (:{source} {{id: row[0]}})-[r:{rel.type} {{key: row[2]}}]->"
            f"(:{target} {{id: row[1]}}) DELETE r")


def delete_nodes(node: NodeType) -> str:
    """Delete nodes (``$ids``) with all their relationships."""
    return f"UNWIND $ids AS id MATCH (n:{node.label} {{{node.key}: id}}) DETACH DELETE n"
