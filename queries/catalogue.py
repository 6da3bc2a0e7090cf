"""Reads the ingest adapters need from the store (so that no Cypher lives in ``ingest/``)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from imvo.graph.store import GraphView, ReadQuery

__all__ = ["FACTORIES_FOR_MATCHING"]


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
