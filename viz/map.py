"""The map of factories (offline: bundled country shapes, no tile server), built from query results.

Every factory with coordinates, as :func:`imvo.queries.navigate.list_nodes`
lists them (factories are visible to every role), marked from what the
viewer's role may see: *shared* (two or more active signatory buyers, from
:func:`imvo.queries.core.shared_factories` for that viewer), *union* (a union
represents workers there) and the factory country's level of a chosen risk.
``covenant`` narrows the map to factories with an active signatory buyer of
that covenant that the role may see; ``country`` to one country.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from imvo.graph.model import RISKS
from imvo.graph.store import GraphStore
from imvo.queries import args
from imvo.queries.access import Viewer
from imvo.queries.core import shared_factories
from imvo.queries.navigate import list_nodes, neighbours, nodes_by_id

__all__ = ["MAX_POINTS", "FactoryMap", "factory_map"]

MAX_POINTS = 20_000


@dataclass
class FactoryMap:
    viewer: str
    as_of: dt.date
    risk: str
    points: list[dict[str, Any]] = field(default_factory=list)
    covenant: str | None = None
    country: str | None = None
    focus: str | None = None
    notes: list[str] = field(default_factory=list)
    title: str = "Map of factories"


def factory_map(store: GraphStore, viewer: Viewer, *, as_of: dt.date | None = None, covenant: str | None = None,
                country: str | None = None, risk: str | None = None, focus: str | None = None) -> FactoryMap:
    day = args.as_of(as_of)
    cov = args.covenant(store, covenant) if covenant else None
    cc = args.country(country) if country else None
    rk = args.risk(risk) if risk else "living_wage"
    m = FactoryMap(str(viewer), day, rk, covenant=cov, country=cc, focus=focus)
    shared = {s.factory.id: s for s in shared_factories(store, viewer, covenant_id=cov, country=cc, min_buyers=1,
                                                         as_of=day)}
    if cov:
        cov_node = nodes_by_id(store, "Covenant", [cov])[cov]
        m.title = f"Factories of {cov_node.name or cov}"
        factories = [s.factory for s in shared.values()]
    else:
        page = list_nodes(store, "Factory", country=cc, limit=MAX_POINTS)
        factories = page.items
        if page.total > len(factories):
            m.notes.append(f"The first {len(factories)} of {page.total} factories are shown.")
        if cc:
            c = nodes_by_id(store, "Country", [cc]).get(cc)
            m.title = f"Factories in {c.name if c else cc}"
    placed = [f for f in factories if f.props.get("lat") is not None and f.props.get("lon") is not None]
    if len(placed) < len(factories):
        m.notes.append(f"{len(factories) - len(placed)} factories have no coordinates and are not on the map.")
    ids = [f.id for f in placed]
    reps = neighbours(store, viewer, "Factory", ids, "REPRESENTS", "in") if ids else {}
    codes = sorted({str(f.props.get("country") or "") for f in placed})
    levels = neighbours(store, viewer, "Country", codes, "HAS_RISK", "out") if codes else {}
    level = {c: next((str(e.get("level")) for e in es if e.node.id == rk), "") for c, es in levels.items()}
    for f in sorted(placed, key=lambda f: f.id):
        s = shared.get(f.id)
        n = len(s.buyers) if s else 0
        m.points.append({"id": f.id, "name": f.name or f.id, "country": f.props.get("country"),
                         "lat": f.props["lat"], "lon": f.props["lon"],
                         "buyers": s.buyer_count if s else 0, "shown": n,
                         "shared": bool(s and s.buyer_count >= 2), "union": bool(reps.get(f.id)),
                         "risk": level.get(str(f.props.get("country") or ""), "")})
    return m


RISK_CHOICES = RISKS
