"""What every query module shares: the :class:`Node` the query layer hands on, and lookups by id."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from imvo.graph.model import node_type
from imvo.graph.store import GraphStore, GraphView, ReadQuery

__all__ = ["Node", "nodes_by_id"]


@dataclass(frozen=True)
class Node:
    """A node as the query layer hands it on: label, id and its stored properties."""

    label: str
    id: str
    props: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def of(cls, label: str, props: dict[str, Any]) -> Node:
        return cls(label, props["id"], {k: v for k, v in props.items() if k != "key"})

    @property
    def name(self) -> str | None:
        name = self.props.get("name")
        return None if name is None else str(name)


def _nodes_py(view: GraphView, *, label: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"n": n} for i in ids if (n := view.node(label, i)) is not None]


@cache
def _nodes_query(label: str) -> ReadQuery:
    node_type(label)
    return ReadQuery(f"nodes_{label}", f"UNWIND $ids AS i MATCH (n:{label} {{id: i}}) RETURN n {{.*}} AS n",
                     lambda view, ids, label_=label: _nodes_py(view, label=label_, ids=ids))


def nodes_by_id(store: GraphStore, label: str, ids: Sequence[str]) -> dict[str, Node]:
    """{id: Node} for the ids that exist (one round trip)."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    rows = store.read(_nodes_query(label), ids=wanted)
    return {r["n"]["id"]: Node.of(label, r["n"]) for r in rows}
