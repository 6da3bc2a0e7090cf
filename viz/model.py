"""The typed graph description every view is built into, and the look of each node and edge type.

A view function (:mod:`viz.views`) turns query-layer results into a
:class:`ViewGraph`; :mod:`viz.render` turns that into HTML.  Tests compare the
page's network with the ``ViewGraph`` and the ``ViewGraph`` with the query
results, so nothing reaches the page that the query layer did not return.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EDGE_STYLES",
    "MAX_NODES",
    "NODE_STYLES",
    "EdgeStyle",
    "NodeStyle",
    "ViewEdge",
    "ViewGraph",
    "ViewNode",
    "node_key",
]

MAX_NODES = 500          # above this a view switches to its aggregated form


@dataclass(frozen=True)
class NodeStyle:
    """How one node type looks: vis-network shape and colour, and its legend text."""

    shape: str
    color: str
    legend: str


@dataclass(frozen=True)
class EdgeStyle:
    """How one relationship type looks: colour, dash pattern (``()`` = solid), width and arrow."""

    color: str
    legend: str
    dashes: tuple[int, ...] = ()
    width: float = 1.5
    arrow: bool = True


# shapes with the label underneath, so node size can carry meaning (vis-network draws
# box/ellipse labels inside and ignores size for them)
NODE_STYLES: dict[str, NodeStyle] = {
    "Covenant": NodeStyle("star", "#7b3294", "Covenant"),
    "Company": NodeStyle("dot", "#1f78b4", "Company"),
    "Buyer": NodeStyle("dot", "#8fbfe0", "Company, not an active signatory"),
    "Supplier": NodeStyle("triangle", "#a6611a", "Supplier / agent"),
    "Factory": NodeStyle("square", "#f28e2b", "Factory"),
    "Country": NodeStyle("hexagon", "#6b6b6b", "Country"),
    "Union": NodeStyle("diamond", "#2ca02c", "Union"),
    "NGO": NodeStyle("triangleDown", "#e7298a", "NGO"),
    "Organisation": NodeStyle("dot", "#17a2b8", "Organisation"),
    "Risk": NodeStyle("triangle", "#d62728", "Risk"),
    "Grievance": NodeStyle("diamond", "#8c1c13", "Open grievance"),
    "FactoryGroup": NodeStyle("square", "#f9c48f", "Factories (grouped, with count)"),
    "CompanyGroup": NodeStyle("dot", "#b9d3e8", "Companies (grouped, with count)"),
    "UnionGroup": NodeStyle("diamond", "#a8dca8", "Unions (grouped, with count)"),
    "NGOGroup": NodeStyle("triangleDown", "#f4a9cf", "NGOs (grouped, with count)"),
    "OrganisationGroup": NodeStyle("dot", "#9fdbe4", "Organisations (grouped, with count)"),
}

EDGE_STYLES: dict[str, EdgeStyle] = {
    "SOURCES_FROM": EdgeStyle("#3b6ea5", "buys from (sourcing)", (), 2.0),
    "PARTY_TO": EdgeStyle("#b59bc9", "party to covenant", (2, 4), 1.0),
    "BUYS_VIA": EdgeStyle("#a6611a", "buys via supplier", (6, 4), 1.5),
    "SUPPLIES_FROM": EdgeStyle("#a6611a", "supplier uses factory", (), 1.5),
    "OWNS": EdgeStyle("#5c3a0e", "owns factory", (10, 3), 2.5),
    "LOCATED_IN": EdgeStyle("#b0b0b0", "located in", (1, 4), 1.0),
    "REPRESENTS": EdgeStyle("#2ca02c", "union represents workers (thick = has CBA)", (), 2.0),
    "AFFILIATED_WITH": EdgeStyle("#2ca02c", "union affiliated with", (1, 3), 1.0),
    "ACTIVE_IN": EdgeStyle("#e7298a", "active in country", (3, 3), 1.0),
    "HAS_RISK": EdgeStyle("#d62728", "country risk (thicker = higher)", (), 1.5),
    "PRIORITISES": EdgeStyle("#d62728", "covenant prioritises risk", (4, 4), 1.0),
    "CONCERNS": EdgeStyle("#8c1c13", "grievance about factory", (), 2.0),
    "ABOUT": EdgeStyle("#8c1c13", "grievance about risk", (2, 2), 1.0),
    "FILED": EdgeStyle("#8c1c13", "filed grievance", (6, 2), 1.0),
    "INVESTS_IN": EdgeStyle("#c9a227", "invests in", (), 1.5),
    "SHARES_FACTORIES": EdgeStyle("#3b6ea5", "share factories (label = how many)", (), 2.0, False),
    "CO_BUYS": EdgeStyle("#3b6ea5", "buy at the same factories (thicker = more)", (), 2.0, False),
}


def node_key(label: str, id_: str) -> str:
    """The id of a node on the page: label and id, since ids are unique only per label."""
    return f"{label}:{id_}"


@dataclass(frozen=True)
class ViewNode:
    """One node on the page.

    ``kind`` picks the style (a label of the model, or ``Buyer``/``FactoryGroup``/
    ``CompanyGroup``); ``value`` sets the size (leverage); ``facts`` are the
    tooltip lines, in order.
    """

    key: str
    kind: str
    label: str
    value: float = 1.0
    facts: tuple[tuple[str, str], ...] = ()
    level: int | None = None         # a column in a left-to-right layout (the path view)

    @property
    def label_type(self) -> str:
        """The model label (``Company`` for a ``Buyer``)."""
        return {"Buyer": "Company"}.get(self.kind, self.kind)

    @property
    def id(self) -> str:
        return self.key.split(":", 1)[1]

    def facts_dict(self) -> dict[str, str]:
        return dict(self.facts)


@dataclass(frozen=True)
class ViewEdge:
    """One edge on the page: a relationship type from one node key to another."""

    source: str
    target: str
    type: str
    facts: tuple[tuple[str, str], ...] = ()
    width: float | None = None       # None: the type's width
    label: str = ""


@dataclass
class ViewGraph:
    """A view: what is drawn, for whom and when; ``notes`` say what is counted but not drawn."""

    kind: str                        # factory | company | covenant | country | path
    subject: str                     # the id the view is about
    title: str
    as_of: dt.date
    viewer: str
    nodes: list[ViewNode] = field(default_factory=list)
    edges: list[ViewEdge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    aggregated: bool = False
    focus: str | None = None         # node key to highlight (the subject)
    #: node key -> (x, y, label side: left | right | radial), from :mod:`viz.layout`
    positions: dict[str, tuple[float, float, str]] = field(default_factory=dict)
    #: the filters this view was built with (shown and editable on the page)
    filters: dict[str, Any] = field(default_factory=dict)
    mode: str = ""                   # the covenant view: cobuyers | factories
    _keys: dict[str, ViewNode] = field(default_factory=dict, init=False, repr=False, compare=False)
    _sigs: set[tuple[str, str, str]] = field(default_factory=set, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._keys.update((n.key, n) for n in self.nodes)
        self._sigs.update((e.source, e.target, e.type) for e in self.edges)

    def add_node(self, node: ViewNode) -> ViewNode:
        """Add a node unless one with the same key is there; return the one kept."""
        if node.key in self._keys:
            return self._keys[node.key]
        self.nodes.append(node)
        self._keys[node.key] = node
        return node

    def add_edge(self, edge: ViewEdge) -> None:
        """Add an edge between two nodes already in the view (once per source, target and type)."""
        if edge.source not in self._keys or edge.target not in self._keys:
            raise ValueError(f"edge {edge.type} between nodes not in the view: {edge.source} {edge.target}")
        sig = (edge.source, edge.target, edge.type)
        if sig not in self._sigs:
            self._sigs.add(sig)
            self.edges.append(edge)

    def has(self, key: str) -> bool:
        return key in self._keys

    def node(self, key: str) -> ViewNode:
        return self._keys[key]

    def counts(self) -> dict[str, Any]:
        """Nodes and edges per kind/type (what the tests compare)."""
        by_kind: dict[str, int] = {}
        for n in self.nodes:
            by_kind[n.kind] = by_kind.get(n.kind, 0) + 1
        by_type: dict[str, int] = {}
        for e in self.edges:
            by_type[e.type] = by_type.get(e.type, 0) + 1
        return {"nodes": len(self.nodes), "edges": len(self.edges), "node_kinds": by_kind,
                "edge_types": by_type}
