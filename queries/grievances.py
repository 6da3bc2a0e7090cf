"""The complaints mechanism (DESIGN section 11): a grievance's steps, its current status and whom the
secretariat informed, as each role may see them (docs/access.md#grievances).

- A grievance's **current status** is the status of its latest event (``grievance_events.csv`` or
  ``imvo grievances event``; ties on one day go by process order), or the status grievances.csv
  gives when it has no event.  It is open unless that status is ``resolved`` or ``rejected``.
- **Events** (status, date) are shown to every role; their **notes** only to the secretariat (a note
  may name a buyer).
- **Forwarded to** (``FORWARDED_TO``, recorded by ``imvo grievances forward``): the secretariat sees
  every company informed; a company sees at most itself (``informed``: whether it was one of them);
  the public nothing, not even how many.  ``forward`` always records a ``forwarded`` step, also when
  no buyer was informed, so that the step itself never tells that a signatory buys at the factory.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from imvo.graph.store import GraphStore, GraphView, ReadQuery

from .access import SECRETARIAT, Viewer
from .base import Node, nodes_by_id
from .grievance_status import (
    CURRENT_STATUS_CYPHER,
    STATUS_ORDER_CYPHER,
    current_statuses,
    event_id,
    is_open,
    latest,
    status_rank,
)
from .leverage import day, index_for

__all__ = [
    "CURRENT_STATUS_CYPHER",
    "GrievanceStep",
    "current_status",
    "current_statuses",
    "event_id",
    "events_of",
    "forward_candidates",
    "forwarded_to",
    "informed",
    "is_open",
    "latest",
    "open_days",
    "status_rank",
]

# ---------------------------------------------------------------------------
# reads
# ---------------------------------------------------------------------------

def _events_py(view: GraphView, *, ids: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for gid in ids:
        g = view.node("Grievance", gid)
        if g is None:
            continue
        evs = [{"status": e.get("status"), "on": e.get("on"), "note": e.get("note")}
               for _, _, e in view.out("Grievance", gid, "HAS_EVENT")]
        evs.sort(key=lambda e: (str(e["on"]), status_rank(e["status"])))
        fwd = sorted(({"company": c["id"], "on": p.get("on")}
                      for p, _, c in view.out("Grievance", gid, "FORWARDED_TO")), key=lambda r: r["company"])
        rows.append({"id": gid, "status": g.get("status"), "filed_on": g.get("filed_on"), "events": evs,
                     "forwarded": fwd})
    return rows


EVENTS = ReadQuery("grievance_events", f"""
UNWIND $ids AS gid
MATCH (g:Grievance {{id: gid}})
RETURN g.id AS id, g.status AS status, g.filed_on AS filed_on,
  COLLECT {{ MATCH (g)-[:HAS_EVENT]->(e:GrievanceEvent)
            RETURN {{status: e.status, on: e.on, note: e.note}}
            ORDER BY toString(e.on), {STATUS_ORDER_CYPHER} }} AS events,
  COLLECT {{ MATCH (g)-[r:FORWARDED_TO]->(c:Company) RETURN {{company: c.id, on: r.on}} ORDER BY c.id }}
    AS forwarded
""", _events_py)


@dataclass(frozen=True)
class GrievanceStep:
    status: str
    on: dt.date
    note: str | None          # None for every role but the secretariat


@dataclass(frozen=True)
class GrievanceFacts:
    """What the complaints mechanism holds about one grievance, already cut to the viewer."""

    id: str
    status: str | None                      # current status
    filed_on: dt.date | None
    events: list[GrievanceStep]
    forwarded_to: list[str]                 # company ids the viewer may learn were informed
    informed: bool | None                   # for a company: whether it was informed; None otherwise


def _facts(store: GraphStore, viewer: Viewer, ids: Sequence[str]) -> dict[str, GrievanceFacts]:
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return {}
    out = {}
    for r in store.read(EVENTS, ids=wanted):
        evs = [GrievanceStep(str(e["status"]), _date(e["on"]),
                             e.get("note") if viewer.is_secretariat else None) for e in r["events"]]
        status = latest(r["status"], [(e.on, e.status) for e in evs])
        companies = [str(f["company"]) for f in r["forwarded"]]
        if viewer.is_secretariat:
            shown, told = companies, None
        elif viewer.role == "company":
            told = viewer.company_id in companies
            shown = [viewer.company_id] if told and viewer.company_id else []
        else:
            shown, told = [], None
        out[r["id"]] = GrievanceFacts(r["id"], status, _date(r["filed_on"]) if r["filed_on"] else None,
                                      evs, shown, told)
    return out


def _date(v: Any) -> dt.date:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    if hasattr(v, "to_native"):
        return v.to_native()  # type: ignore[no-any-return]
    return dt.date.fromisoformat(str(v))


def facts(store: GraphStore, viewer: Viewer, ids: Sequence[str]) -> dict[str, GrievanceFacts]:
    """Events, current status and whom the viewer may learn was informed, for these grievances."""
    return _facts(store, viewer, ids)


def events_of(store: GraphStore, viewer: Viewer, ids: Sequence[str]) -> dict[str, list[GrievanceStep]]:
    f = _facts(store, viewer, ids)
    return {i: f[i].events if i in f else [] for i in ids}


def current_status(store: GraphStore, ids: Sequence[str]) -> dict[str, str | None]:
    f = _facts(store, SECRETARIAT, ids)
    return {i: f[i].status for i in f}


def forwarded_to(store: GraphStore, viewer: Viewer, ids: Sequence[str]) -> dict[str, list[Node]]:
    """The companies informed of each grievance, as the viewer may see them (at most itself for a
    company, none for the public)."""
    f = _facts(store, viewer, ids)
    names = nodes_by_id(store, "Company", sorted({c for x in f.values() for c in x.forwarded_to}))
    return {i: [names[c] for c in f[i].forwarded_to if c in names] if i in f else [] for i in ids}


def informed(store: GraphStore, viewer: Viewer, ids: Sequence[str]) -> dict[str, bool | None]:
    f = _facts(store, viewer, ids)
    return {i: f[i].informed if i in f else None for i in ids}


def open_days(filed_on: dt.date | None, as_of: dt.date) -> int | None:
    """Days from filing to ``as_of`` (None when not yet filed or no date).

    >>> open_days(dt.date(2026, 1, 1), dt.date(2026, 1, 31))
    30
    """
    if filed_on is None or filed_on > as_of:
        return None
    return (as_of - filed_on).days


def forward_candidates(store: GraphStore, grievance: Node) -> list[str]:
    """The active signatory buyers of the grievance's factory on its filing date (every link: this
    is the secretariat's decision, made on the whole graph), ordered by id."""
    factory = _factory_of(store, grievance.id)
    filed = grievance.props.get("filed_on")
    if factory is None or filed is None:
        return []
    idx = index_for(store)
    f = idx.factory_code.get(factory)
    if f is None:
        return []
    d = day(_date(filed))
    pos = idx.factory_links(f)
    pos = pos[idx.usable(SECRETARIAT, d, pos)]
    comps = np.unique(idx.l_comp[pos])
    comps = comps[idx.signatories(d)[comps]]
    return sorted(idx.companies[int(c)] for c in comps)


def _factory_py(view: GraphView, *, id: str) -> list[dict[str, Any]]:
    return [{"factory": f["id"]} for _, _, f in view.out("Grievance", id, "CONCERNS")]


_FACTORY = ReadQuery("grievance_factory",
                     "MATCH (:Grievance {id: $id})-[:CONCERNS]->(f:Factory) RETURN f.id AS factory ORDER BY f.id",
                     _factory_py)


def _factory_of(store: GraphStore, gid: str) -> str | None:
    rows = store.read(_FACTORY, id=gid)
    return str(rows[0]["factory"]) if rows else None
