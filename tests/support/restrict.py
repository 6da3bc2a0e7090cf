"""The graph a role sees, built independently of the query layer: the oracle of the access tests.

:func:`dump` reads every node and relationship of a store (either backend, one ReadQuery per
label and per relationship type and endpoint labels); :func:`restricted_copy` writes them into a
fresh in-memory store, leaving out every sourcing link the viewer may not see on a date, and the
BUYS_VIA / SUPPLIES_FROM facts that came from such a link.  By docs/access.md a role's answer must
equal the secretariat's answer on that copy.  The visibility rule here is written from the
documentation, not taken from :mod:`imvo.queries`.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from imvo.graph.embedded import EmbeddedStore
from imvo.graph.model import NODES, RELS, is_active
from imvo.graph.store import GraphStore, GraphView, NodeRow, ReadQuery, RelRow
from imvo.queries.access import Viewer


@dataclass
class Dump:
    nodes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rels: dict[tuple[str, str, str], list[tuple[str, str, dict[str, Any]]]] = field(default_factory=dict)


def _nodes_query(label: str) -> ReadQuery:
    def py(view: GraphView) -> list[dict[str, Any]]:
        return [{"n": n} for n in view.nodes(label)]
    return ReadQuery(f"dump_{label}", f"MATCH (n:{label}) RETURN n {{.*}} AS n", py)


def _rels_query(type_: str, source: str, target: str) -> ReadQuery:
    def py(view: GraphView) -> list[dict[str, Any]]:
        return [{"s": a["id"], "e": b["id"], "p": dict(p)} for la, a, p, lb, b in view.edges(type_)
                if la == source and lb == target]
    return ReadQuery(f"dump_{type_}_{source}_{target}",
                     f"MATCH (a:{source})-[r:{type_}]->(b:{target}) RETURN a.id AS s, b.id AS e, "
                     f"properties(r) AS p", py)


def dump(store: GraphStore) -> Dump:
    out = Dump()
    for n in NODES:
        out.nodes[n.label] = [r["n"] for r in store.read(_nodes_query(n.label))]
    for r in RELS:
        for s in r.sources:
            for t in r.targets:
                rows = store.read(_rels_query(r.type, s, t))
                if rows:
                    out.rels[(r.type, s, t)] = [(x["s"], x["e"], {k: v for k, v in x["p"].items() if k != "key"})
                                                for x in rows]
    return out


def memberships(d: Dump) -> list[tuple[str, str, dict[str, Any]]]:
    return [(s, e, p) for s, e, p in d.rels.get(("PARTY_TO", "Company", "Covenant"), [])
            if p.get("role") == "signatory"]


def sees(viewer: Viewer, buyer: str, disclosure: str | None, on: dt.date,
         members: Iterable[tuple[str, str, dict[str, Any]]]) -> bool:
    """docs/access.md, literally."""
    disc = disclosure or "confidential"
    if viewer.role == "secretariat" or disc == "public":
        return True
    if viewer.role != "company":
        return False
    if buyer == viewer.company_id:
        return True
    if disc != "covenant":
        return False
    members = list(members)
    mine = {c for s, c, p in members if s == viewer.company_id and is_active(p, on)}
    theirs = {c for s, c, p in members if s == buyer and is_active(p, on)}
    return bool(mine & theirs)


def restricted_copy(d: Dump, viewer: Viewer, on: dt.date) -> EmbeddedStore:
    members = memberships(d)
    out = EmbeddedStore(None)
    with out.writer() as w:
        for label, rows in d.nodes.items():
            w.merge_nodes(label, [NodeRow(r["id"], {k: v for k, v in r.items() if k != "id"}) for r in rows])
        for (type_, s, t), rows in d.rels.items():
            keep = []
            for a, b, p in rows:
                if type_ == "SOURCES_FROM" and not sees(viewer, a, p.get("disclosure"), on, members):
                    continue
                if type_ == "BUYS_VIA" and not sees(viewer, a, p.get("disclosure"), on, members):
                    continue
                if type_ == "SUPPLIES_FROM" and p.get("buyer") and \
                        not sees(viewer, p["buyer"], p.get("disclosure"), on, members):
                    continue
                keep.append(RelRow(a, b, p))
            w.merge_rels(type_, s, t, keep)
    return out
