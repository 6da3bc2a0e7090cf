"""A grievance's current status, shared by the leverage index, the factory context and the complaints
mechanism (:mod:`imvo.queries.grievances`): the status of its latest event (by date, then process
order), else the status grievances.csv gives; open unless resolved or rejected."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from imvo.graph.model import GRIEVANCE_CLOSED, GRIEVANCE_FILE_STATUSES
from imvo.graph.store import GraphView

__all__ = ["CURRENT_STATUS_CYPHER", "OPEN_CYPHER", "current_statuses", "event_id", "is_open", "latest",
           "status_in_view", "status_rank"]

#: process order of the statuses (ties on one day: the later step is the current one)
_RANK = {s: i for i, s in enumerate(GRIEVANCE_FILE_STATUSES)}


def status_rank(status: str | None) -> int:
    return _RANK.get(status or "", -1)


def event_id(grievance_id: str, status: str, on: dt.date) -> str:
    """The id of an event node: one per grievance, status and date (a reload updates, never duplicates)."""
    return f"{grievance_id}|{status}|{on.isoformat()}"


def is_open(status: str | None) -> bool:
    """Open unless resolved or rejected (a missing status counts as open, as grievances.csv requires one)."""
    return status not in GRIEVANCE_CLOSED


def latest(file_status: str | None, events: Sequence[tuple[Any, str]]) -> str | None:
    """The current status: the latest event's (by date, then process order), else the file's.

    >>> latest("open", [("2024-01-02", "received"), ("2024-03-01", "forwarded"), ("2024-03-01", "admissible")])
    'forwarded'
    >>> latest("resolved", [])
    'resolved'
    """
    if not events:
        return file_status
    return max(events, key=lambda e: (str(e[0]), status_rank(e[1])))[1]


STATUS_ORDER_CYPHER = _CASE = ("CASE e.status " + " ".join(f"WHEN '{s}' THEN {i}" for s, i in _RANK.items())
                               + " ELSE -1 END")

#: the current status of the grievance bound to ``g``, in Cypher (statuses are constants, not values)
CURRENT_STATUS_CYPHER = (
    "coalesce(head(COLLECT { MATCH (g)-[:HAS_EVENT]->(e:GrievanceEvent) "
    f"RETURN e.status ORDER BY toString(e.on) DESC, {_CASE} DESC LIMIT 1 }}), g.status)")


def current_statuses(view: GraphView) -> dict[str, str | None]:
    """{grievance id: current status} for every grievance (columnar; embedded side of the feeds)."""
    g = view.node_columns("Grievance", ["status"])
    ev = view.node_columns("GrievanceEvent", ["status", "on"])
    of_event = dict(zip(ev["id"], zip(ev["on"], ev["status"], strict=True), strict=True))
    steps: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    has = view.edge_columns("HAS_EVENT", [])
    for gid, eid in zip(has["start"], has["end"], strict=True):
        if eid in of_event:
            steps[gid].append(of_event[eid])
    return {gid: latest(st, steps.get(gid, [])) for gid, st in zip(g["id"], g["status"], strict=True)}


def status_in_view(view: GraphView, grievance: dict[str, Any]) -> str | None:
    """The current status of one grievance (its properties as ``view`` hands them out)."""
    steps = [(e.get("on"), str(e.get("status"))) for _, _, e in view.out("Grievance", grievance["id"], "HAS_EVENT")]
    return latest(grievance.get("status"), steps)


#: true when the grievance bound to ``g`` is open, in Cypher
OPEN_CYPHER = f"NOT ({CURRENT_STATUS_CYPHER}) IN {list(GRIEVANCE_CLOSED)!r}"
