"""Cypher generated from the model declaration (:mod:`graph.model`).

Only declared labels and relationship types are ever written into the text;
all values are parameters (``$rows``).
"""
from __future__ import annotations

from .model import NODES, NodeType, RelType

__all__ = ["constraint_statements", "merge_nodes", "ensure_nodes", "merge_rels",
           "merge_nodes_positional", "merge_rels_positional"]


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


def _prop_map(declared: set[str], names: tuple[str, ...], first: int, what: str) -> str:
    """``{name: row[first], ...}`` for declared property names only (never a value)."""
    unknown = [n for n in names if n not in declared]
    if unknown:
        raise ValueError(f"{what} has no properties {unknown}")
    return "{" + ", ".join(f"`{n}`: row[{first + i}]" for i, n in enumerate(names)) + "}"


def merge_nodes_positional(node: NodeType, names: tuple[str, ...]) -> str:
    """:func:`merge_nodes` for rows sent as lists ``[id, value of names[0], ...]``.

    Same meaning as ``SET n += row.props`` when every row's props have exactly
    the keys ``names`` (a null removes that property).  The list shape halves
    the Bolt message, and the literal map lets the planner drop the Eager
    operator that ``+= row.props`` needs (it might write the merge key).
    """
    props = _prop_map({p.name for p in node.props}, names, 1, node.label)
    return f"UNWIND $rows AS row MERGE (n:{node.label} {{{node.key}: row[0]}}) SET n += {props}"


def merge_rels_positional(rel: RelType, source: str, target: str, names: tuple[str, ...]) -> str:
    """:func:`merge_rels` for rows sent as lists ``[start, end, key, value of names[0], ...]``."""
    if source not in rel.sources or target not in rel.targets:
        raise ValueError(f"{rel.type} does not go from {source} to {target}")
    props = _prop_map({p.name for p in rel.props}, names, 3, rel.type)
    return (f"UNWIND $rows AS row "
            f"MATCH (a:{source} {{id: row[0]}}) MATCH (b:{target} {{id: row[1]}}) "
            f"MERGE (a)-[r:{rel.type} {{key: row[2]}}]->(b) SET r += {props}")
