"""Lookups, search, listing and navigation along every declared relationship.

Every function takes the viewer and applies the access rules of
:mod:`queries.access`: a sourcing link (``SOURCES_FROM``, and ``BUYS_VIA``
derived from it) that the viewer may not see is never returned.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

import numpy as np

from imvo.graph.model import NODES, is_active, node_type, rel_type
from imvo.graph.store import GraphStore, GraphView, ReadQuery
from imvo.kernel import audit

from . import args
from .access import Viewer
from .base import Node, nodes_by_id

__all__ = [
    "CONFIDENTIAL_RELS",
    "Direction",
    "Edge",
    "Page",
    "list_nodes",
    "neighbours",
    "nodes_by_id",
    "search",
]

Direction = Literal["out", "in"]
# links whose disclosure governs who sees them (a SUPPLIES_FROM with a buyer comes from a sourcing link)
CONFIDENTIAL_RELS = ("SOURCES_FROM", "BUYS_VIA", "SUPPLIES_FROM")


@dataclass(frozen=True)
class Edge:
    """A relationship seen from one end: its properties and the node at the other end."""

    type: str
    props: dict[str, Any]
    node: Node
    anchor: str = ""

    def get(self, name: str) -> Any:
        return self.props.get(name)


@dataclass(frozen=True)
class Page:
    items: list[Node]
    total: int
    offset: int
    extra: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------

def _edges_py(view: GraphView, *, label: str, type_: str, direction: Direction,
              ids: Sequence[str]) -> list[dict[str, Any]]:
    step = view.out if direction == "out" else view.inc
    rows = []
    for i in ids:
        for props, other_label, other in step(label, i, type_):
            rows.append({"anchor": i, "rel": dict(props.items()), "label": other_label,
                         "other": other})
    return rows


@cache
def _edges_query(label: str, type_: str, direction: Direction) -> ReadQuery:
    node_type(label)
    rel_type(type_)
    pattern = (f"(a:{label} {{id: i}})-[r:{type_}]->(b)" if direction == "out"
               else f"(a:{label} {{id: i}})<-[r:{type_}]-(b)")
    cypher = (f"UNWIND $ids AS i MATCH {pattern} "
              f"RETURN i AS anchor, properties(r) AS rel, labels(b)[0] AS label, b {{.*}} AS other")
    return ReadQuery(f"edges_{label}_{type_}_{direction}", cypher,
                     lambda view, ids, l_=label, t_=type_, d_=direction:
                     _edges_py(view, label=l_, type_=t_, direction=d_, ids=ids))


def _visible(viewer: Viewer, type_: str, label: str, direction: Direction, anchor: str,
             rel: dict[str, Any], other: Node, co_signatories: frozenset[str]) -> bool:
    if viewer.is_secretariat:
        return True
    if type_ == "FORWARDED_TO":          # whom a grievance was forwarded to: a company sees only itself
        company = other.id if direction == "out" else anchor
        return viewer.role == "company" and company == viewer.company_id
    if type_ == "HAS_EVENT":             # the steps: through imvo.queries.grievances (notes hidden there)
        return False
    if type_ not in CONFIDENTIAL_RELS:
        return True
    if type_ == "SUPPLIES_FROM":
        buyer = rel.get("buyer")
        return buyer is None or viewer.sees_link(buyer, rel.get("disclosure") or "confidential", co_signatories)
    buyer = anchor if (direction == "out" and label == "Company") else other.id
    return viewer.sees_link(buyer, rel.get("disclosure") or "confidential", co_signatories)


def co_signatories(store: GraphStore, viewer: Viewer, on: dt.date) -> frozenset[str]:
    """The companies sharing an active covenant with a company viewer on ``on`` (empty otherwise)."""
    if viewer.role != "company" or viewer.company_id is None:
        return frozenset()
    from .leverage import day, index_for
    idx = index_for(store)
    me = idx.company_code.get(viewer.company_id)
    if me is None:
        return frozenset()
    return frozenset(idx.companies[int(c)] for c in np.flatnonzero(idx.co_signatories(me, day(on))))


def _audit(type_: str, label: str, direction: Direction, anchor: str, rel: dict[str, Any], other: Node) -> None:
    """audit: a supply-chain link handed out (imvo.kernel.audit records the non-public ones)."""
    if type_ == "SUPPLIES_FROM":
        supplier, factory = (anchor, other.id) if direction == "out" else (other.id, anchor)
        audit.link(type_, rel.get("buyer"), rel.get("disclosure"), supplier=supplier, factory=factory)
        return
    mine, theirs = (anchor, other.id) if direction == "out" else (other.id, anchor)   # Company -> Factory/Supplier
    where = {"factory": theirs} if type_ == "SOURCES_FROM" else {"supplier": theirs}
    audit.link(type_, mine, rel.get("disclosure"), **where)


def neighbours(store: GraphStore, viewer: Viewer, label: str, ids: Sequence[str], type_: str,
               direction: Direction, *, as_of: dt.date | None = None) -> dict[str, list[Edge]]:
    """For each id: the edges of ``type_`` in ``direction`` the viewer may see (one round trip).

    With ``as_of``, only relationships active on that date.  Edges are ordered
    by the other node's id.
    """
    rt = rel_type(type_)
    if (direction == "out" and label not in rt.sources) or (direction == "in" and label not in rt.targets):
        return {i: [] for i in ids}
    rows = store.read(_edges_query(label, type_, direction), ids=list(dict.fromkeys(ids)))
    cosig = co_signatories(store, viewer, as_of or args.today()) \
        if type_ in CONFIDENTIAL_RELS and not viewer.is_secretariat else frozenset()
    out: dict[str, list[Edge]] = defaultdict(list)
    for r in rows:
        rel = {k: v for k, v in r["rel"].items() if k != "key"}
        if as_of is not None and not is_active(rel, as_of):
            continue
        other = Node.of(r["label"], r["other"])
        if _visible(viewer, type_, label, direction, r["anchor"], rel, other, cosig):
            out[r["anchor"]].append(Edge(type_, rel, other, r["anchor"]))
            if type_ in CONFIDENTIAL_RELS:
                _audit(type_, label, direction, r["anchor"], rel, other)   # audit: handed out
    for edges in out.values():
        edges.sort(key=lambda e: (e.node.id, str(e.props.get("since") or "")))
    return {i: out.get(i, []) for i in ids}


# ---------------------------------------------------------------------------

def _list_py(view: GraphView, *, label: str, country: str | None, text: str | None,
             where: dict[str, str], ids: list[str] | None, skip: int, limit: int) -> list[dict[str, Any]]:
    total, items = view.find(label, country=country, text=text, ids=ids, where=where, skip=skip, limit=limit)
    return [{"total": total, "items": items}]


@cache
def _list_query(label: str) -> ReadQuery:
    node_type(label)
    country = "n.id = $country" if label == "Country" else "n.country = $country"
    cond = (f"($country IS NULL OR {country}) AND ($text IS NULL OR "
            f"toLower(coalesce(n.name, '')) CONTAINS toLower($text) OR toLower(n.id) = toLower($text)) "
            f"AND ($ids IS NULL OR n.id IN $ids) AND all(k IN keys($where) WHERE n[k] = $where[k])")
    cypher = (f"CALL () {{ MATCH (n:{label}) WHERE {cond} RETURN count(n) AS total }} "
              f"CALL () {{ MATCH (n:{label}) WHERE {cond} WITH n ORDER BY n.id SKIP $skip LIMIT $limit "
              f"RETURN collect(n {{.*}}) AS items }} RETURN total, items")
    return ReadQuery(f"list_{label}", cypher,
                     lambda view, l_=label, **kw: _list_py(view, label=l_, **kw))


def list_nodes(store: GraphStore, label: str, *, country: str | None = None, text: str | None = None,
               where: dict[str, str] | None = None, ids: Sequence[str] | None = None,
               offset: int = 0, limit: int = 50) -> Page:
    """Nodes of one label ordered by id, one page, with the total count.

    Filters: ``country``, a name substring (or the exact id) ``text``,
    equality on declared properties ``where`` (e.g. ``{"kind": "bank"}``) and
    a set of ``ids``.
    """
    nt = node_type(label)
    declared = {p.name for p in nt.props}
    unknown = set(where or {}) - declared
    if unknown:
        raise ValueError(f"{label} has no properties {sorted(unknown)}")
    rows = store.read(_list_query(label), country=country, text=text or None, where=dict(where or {}),
                      ids=list(ids) if ids is not None else None, skip=max(offset, 0), limit=max(limit, 0))
    items: list[dict[str, Any]] = rows[0]["items"] if rows else []
    total = int(rows[0]["total"]) if rows else 0
    return Page([Node.of(label, n) for n in items], total, offset)


# projects are listed through projects() / Factory.projects, which filter their participants by role
SEARCHABLE = tuple(n.label for n in NODES if any(p.name == "name" for p in n.props) and n.label != "Project")


def search(store: GraphStore, text: str, *, labels: Sequence[str] = SEARCHABLE,
           limit: int = 20) -> list[Node]:
    """Nodes whose name contains ``text`` (case-insensitive) or whose id equals it."""
    out: list[Node] = []
    for label in labels:
        out.extend(list_nodes(store, label, text=text, limit=limit).items)
    out.sort(key=lambda n: (str(n.name or "").lower().find(text.lower()) != 0, n.label, n.id))
    return out[:limit]


