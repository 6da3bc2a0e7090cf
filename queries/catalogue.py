"""Reads the ingest adapters need from the store (so that no Cypher lives in ``ingest/``).

Each is a :class:`~imvo.graph.store.ReadQuery`: a Cypher text for Neo4j and an
equivalent Python function over the embedded graph, returning equal rows.
"""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import Any

from imvo.graph.model import RELS, node_type, rel_key, rel_type
from imvo.graph.store import GraphView, ReadQuery

__all__ = ["BUYER_LINKS", "COMPANY_NAMES", "FACTORIES_FOR_MATCHING", "FACTORY_NAMES", "SUPPLIERS_FOR_MATCHING",
           "node_props", "node_rels"]


def _factories_py(view: GraphView, *, countries: Sequence[str], os_ids: Sequence[str]) -> list[dict[str, Any]]:
    want_c, want_o = set(countries), set(os_ids)
    rows = [{"id": f["id"], "name": f.get("name"), "address": f.get("address"),
             "country": f.get("country"), "os_id": f.get("os_id")}
            for f in view.nodes("Factory") if f.get("country") in want_c or f.get("os_id") in want_o]
    rows.sort(key=lambda r: r["id"])
    return rows


#: the factories of some countries (and those with some OS IDs), as the matcher indexes them
FACTORIES_FOR_MATCHING = ReadQuery("factories_for_matching", """
MATCH (f:Factory) WHERE f.country IN $countries OR f.os_id IN $os_ids
RETURN f.id AS id, f.name AS name, f.address AS address, f.country AS country, f.os_id AS os_id
ORDER BY id
""", _factories_py)


def _factory_names_py(view: GraphView, *, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"id": f["id"], "name": f.get("name")} for i in sorted(set(ids)) if (f := view.node("Factory", i))]


#: the names of some factories
FACTORY_NAMES = ReadQuery("factory_names", """
MATCH (f:Factory) WHERE f.id IN $ids RETURN f.id AS id, f.name AS name ORDER BY id
""", _factory_names_py)


def _suppliers_py(view: GraphView) -> list[dict[str, Any]]:
    rows = [{"id": s["id"], "name": s.get("name"), "kind": s.get("kind")} for s in view.nodes("Supplier")]
    rows.sort(key=lambda r: r["id"])
    return rows


#: every supplier (agents, vendors, groups): matched by name across countries
SUPPLIERS_FOR_MATCHING = ReadQuery("suppliers_for_matching", """
MATCH (s:Supplier) RETURN s.id AS id, s.name AS name, s.kind AS kind ORDER BY id
""", _suppliers_py)


def _companies_py(view: GraphView) -> list[dict[str, Any]]:
    rows = [{"id": c["id"], "name": c.get("name")} for c in view.nodes("Company")]
    rows.sort(key=lambda r: r["id"])
    return rows


#: every company's id and name (the buyers a compiled list may name)
COMPANY_NAMES = ReadQuery("company_names", "MATCH (c:Company) RETURN c.id AS id, c.name AS name ORDER BY id",
                          _companies_py)


def _keyed(type_: str, props: dict[str, Any]) -> dict[str, Any]:
    """The relationship's properties with its ``key`` (stored by Neo4j, derived on the embedded graph)."""
    return {**props, "key": rel_key(rel_type(type_), props)}


def _sort_key(r: dict[str, Any]) -> tuple[str, str, str, str]:
    return r["type"], r["start"], r["end"], str(r["props"].get("key") or "")


def _buyer_links_py(view: GraphView, *, buyers: Sequence[str]) -> list[dict[str, Any]]:
    want = set(buyers)
    rows: list[dict[str, Any]] = []
    for b in sorted(want):
        for type_ in ("SOURCES_FROM", "BUYS_VIA"):
            for props, _, other in view.out("Company", b, type_):
                rows.append({"type": type_, "start": b, "end": other["id"], "props": _keyed(type_, props)})
    for _, s, props, _, f in view.edges("SUPPLIES_FROM"):
        if props.get("buyer") in want:
            rows.append({"type": "SUPPLIES_FROM", "start": s["id"], "end": f["id"],
                         "props": _keyed("SUPPLIES_FROM", props)})
    rows.sort(key=_sort_key)
    return rows


#: the sourcing links of some buyers: their SOURCES_FROM, BUYS_VIA, and the SUPPLIES_FROM naming them
BUYER_LINKS = ReadQuery("buyer_links", """
CALL {
  MATCH (c:Company)-[r:SOURCES_FROM]->(f:Factory) WHERE c.id IN $buyers
  RETURN 'SOURCES_FROM' AS type, c.id AS start, f.id AS end, properties(r) AS props
  UNION ALL
  MATCH (c:Company)-[r:BUYS_VIA]->(s:Supplier) WHERE c.id IN $buyers
  RETURN 'BUYS_VIA' AS type, c.id AS start, s.id AS end, properties(r) AS props
  UNION ALL
  MATCH (s:Supplier)-[r:SUPPLIES_FROM]->(f:Factory) WHERE r.buyer IN $buyers
  RETURN 'SUPPLIES_FROM' AS type, s.id AS start, f.id AS end, properties(r) AS props
}
RETURN type, start, end, props ORDER BY type, start, end, coalesce(props.key, '')
""", _buyer_links_py)


def _node_rels_py(view: GraphView, *, label: str, id: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for rt in RELS:
        if label in rt.sources:
            for props, other_label, other in view.out(label, id, rt.type):
                rows.append({"type": rt.type, "out": True, "label": other_label, "other": other["id"],
                             "props": _keyed(rt.type, props)})
        if label in rt.targets:
            for props, other_label, other in view.inc(label, id, rt.type):
                rows.append({"type": rt.type, "out": False, "label": other_label, "other": other["id"],
                             "props": _keyed(rt.type, props)})
    rows.sort(key=lambda r: (r["type"], not r["out"], r["other"], str(r["props"].get("key") or "")))
    return rows


def _node_props_py(view: GraphView, *, label: str, ids: Sequence[str]) -> list[dict[str, Any]]:
    return [{"n": n} for i in sorted(set(ids)) if (n := view.node(label, i)) is not None]


@cache
def node_props(label: str) -> ReadQuery:
    """Every property of some nodes of ``label`` (``$ids``): rows ``{"n": {...}}`` by id."""
    node_type(label)
    return ReadQuery(f"node_props_{label}",
                     f"MATCH (n:{label}) WHERE n.id IN $ids RETURN n {{.*}} AS n ORDER BY n.id",
                     lambda view, ids, label=label: _node_props_py(view, label=label, ids=ids))


@cache
def node_rels(label: str) -> ReadQuery:
    """Every relationship of one node of ``label`` (``$id``), either direction, with its properties."""
    node_type(label)
    return ReadQuery(f"node_rels_{label}", f"""
MATCH (n:{label} {{id: $id}})-[r]-(m)
RETURN type(r) AS type, startNode(r) = n AS out, labels(m)[0] AS label, m.id AS other, properties(r) AS props
ORDER BY type, out DESC, other, coalesce(props.key, '')
""", lambda view, id, label=label: _node_rels_py(view, label=label, id=id))
