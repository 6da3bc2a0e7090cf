"""A view's data for other tools: nodes and links as CSV (spreadsheets), GEXF and GraphML (Gephi, yEd).

Built from the :class:`~viz.model.ViewGraph` the page draws, so a download
holds exactly what the role saw -- no more.  CSV cells go through
:func:`imvo.kernel.spreadsheet.safe_cell` and carry a first line with the role
and date (:mod:`imvo.viz.exports`).
"""
from __future__ import annotations

import io
from typing import Any

import networkx as nx

from .exports import ExportMeta, to_csv
from .model import EDGE_STYLES, ViewGraph

__all__ = ["DOWNLOADS", "download"]

#: format -> (media type, file extension)
DOWNLOADS = {"nodes.csv": ("text/csv; charset=utf-8", "nodes.csv"),
             "edges.csv": ("text/csv; charset=utf-8", "links.csv"),
             "gexf": ("application/gexf+xml", "gexf"), "graphml": ("application/graphml+xml", "graphml")}


def _meta(g: ViewGraph, what: str) -> ExportMeta:
    return ExportMeta.now(f"{g.title} ({g.kind} view, {what})", g.viewer, g.as_of)


def _facts(facts: tuple[tuple[str, str], ...]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in facts)


def _graph(g: ViewGraph) -> nx.MultiDiGraph:
    out = nx.MultiDiGraph(name=g.title, view=g.kind, subject=g.subject, as_of=g.as_of.isoformat(),
                          role=g.viewer)
    for n in g.nodes:
        x, y, _ = g.positions.get(n.key, (0.0, 0.0, ""))
        attrs: dict[str, Any] = {"label": n.label, "kind": n.kind, "entity_id": n.id, "weight": float(n.value),
                                 "details": _facts(n.facts)}
        if n.key in g.positions:
            attrs["viz"] = {"position": {"x": float(x), "y": float(-y), "z": 0.0}}
        out.add_node(n.key, **attrs)
    for e in g.edges:
        out.add_edge(e.source, e.target, key=e.type, type=e.type, label=e.label or EDGE_STYLES[e.type].legend,
                     weight=float(e.width or EDGE_STYLES[e.type].width), details=_facts(e.facts))
    return out


def download(g: ViewGraph, fmt: str) -> bytes:
    """The view's data in ``fmt`` (one of :data:`DOWNLOADS`)."""
    if fmt == "nodes.csv":
        rows: list[list[Any]] = [[n.id, n.label, n.kind, round(n.value, 3), _facts(n.facts)] for n in g.nodes]
        return to_csv(["id", "name", "kind", "size", "details"], rows, _meta(g, "nodes"))
    if fmt == "edges.csv":
        names = {n.key: n for n in g.nodes}
        rows = [[names[e.source].id, names[e.source].label, names[e.target].id, names[e.target].label, e.type,
                 e.label, _facts(e.facts)] for e in g.edges]
        return to_csv(["from id", "from", "to id", "to", "link", "label", "details"], rows, _meta(g, "links"))
    graph = _graph(g)
    buf = io.BytesIO()
    if fmt == "gexf":
        nx.write_gexf(graph, buf)
    elif fmt == "graphml":
        for _, d in graph.nodes(data=True):
            d.pop("viz", None)
        nx.write_graphml(graph, buf)
    else:
        raise KeyError(fmt)
    return buf.getvalue()
