"""The secretariat's steps in the complaints mechanism (``imvo grievances ...``): record an event,
forward a grievance to the active signatory buyers of its factory on its filing date.

Every write goes through ``store.writer()``; what is read comes from the query layer
(:mod:`imvo.queries.grievances`).  Both operations are idempotent: an event is keyed by grievance,
status and date, a forwarding by grievance and company, and forwarding again changes nothing.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from imvo.graph.model import GRIEVANCE_STATUSES
from imvo.graph.store import GraphStore, NodeRow, RelRow
from imvo.kernel.errors import InvalidInput
from imvo.queries.access import SECRETARIAT
from imvo.queries.base import Node, nodes_by_id
from imvo.queries.grievances import event_id, facts, forward_candidates

__all__ = ["Forwarded", "forward", "grievance", "record_event"]


def grievance(store: GraphStore, grievance_id: str) -> Node:
    """The grievance with this id (InvalidInput, one line, when there is none)."""
    gid = (grievance_id or "").strip()
    found = nodes_by_id(store, "Grievance", [gid]).get(gid) if gid else None
    if found is None:
        raise InvalidInput(f"unknown grievance id {grievance_id!r}")
    return found


def _check_date(g: Node, on: dt.date) -> None:
    filed = g.props.get("filed_on")
    if isinstance(filed, dt.date) and on < filed:
        raise InvalidInput(f"{on.isoformat()} is before grievance {g.id} was filed ({filed.isoformat()})")


def record_event(store: GraphStore, grievance_id: str, status: str, on: dt.date,
                 note: str | None = None, *, source: str = "imvo grievances event") -> bool:
    """Record one step; True when it is new (the same grievance, status and date only updates the
    note)."""
    g = grievance(store, grievance_id)
    if status not in GRIEVANCE_STATUSES:
        raise InvalidInput(f"unknown status {status!r}: use {', '.join(GRIEVANCE_STATUSES)}")
    _check_date(g, on)
    eid = event_id(g.id, status, on)
    new = nodes_by_id(store, "GrievanceEvent", [eid]).get(eid) is None
    with store.writer() as w:
        props: dict[str, object] = {"status": status, "on": on}
        if note is not None:
            props["note"] = note.strip() or None
        w.merge_nodes("GrievanceEvent", [NodeRow(eid, props)])
        w.merge_rels("HAS_EVENT", "Grievance", "GrievanceEvent", [RelRow(g.id, eid, {"source": source})])
    return new


@dataclass(frozen=True)
class Forwarded:
    grievance: Node
    companies: list[str]          # the buyers informed (all of them, also those informed before)
    on: dt.date
    new: bool                     # False: it had been forwarded already; nothing changed


def forward(store: GraphStore, grievance_id: str, on: dt.date | None = None) -> Forwarded:
    """Inform the active signatory buyers of the grievance's factory on its filing date: one
    ``FORWARDED_TO`` per buyer and a ``forwarded`` event on ``on`` (today by default) -- the event
    also when there is no such buyer, so that the step never tells that a signatory buys there."""
    g = grievance(store, grievance_id)
    day = on or dt.date.today()
    _check_date(g, day)
    before = facts(store, SECRETARIAT, [g.id])[g.id]
    done = [e for e in before.events if e.status == "forwarded"]
    if done:
        return Forwarded(g, before.forwarded_to, done[0].on, False)
    buyers = forward_candidates(store, g)
    eid = event_id(g.id, "forwarded", day)
    n = len(buyers)
    with store.writer() as w:
        w.merge_rels("FORWARDED_TO", "Grievance", "Company",
                     [RelRow(g.id, c, {"on": day, "source": "imvo grievances forward"}) for c in buyers])
        w.merge_nodes("GrievanceEvent", [NodeRow(eid, {
            "status": "forwarded", "on": day,
            "note": f"forwarded to {n} active signatory buyer{'s' if n != 1 else ''} of the factory"})])
        w.merge_rels("HAS_EVENT", "Grievance", "GrievanceEvent",
                     [RelRow(g.id, eid, {"source": "imvo grievances forward"})])
    return Forwarded(g, buyers, day, True)
