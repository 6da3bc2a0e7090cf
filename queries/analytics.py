"""Analyst questions beyond the contract: country overview, paths between actors,
companies in several covenants, investors behind a factory, and networkx
analytics of the co-buyer network (communities, centrality).

Everything goes through the query layer's access rules: hidden sourcing links
are neither traversed, drawn nor counted beyond what docs/access.md allows.
"""
from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np

from imvo.graph.model import ACTOR_LABELS, INTERNAL_RELS, PROJECT_RELS, RELS, is_active
from imvo.graph.store import GraphStore
from imvo.kernel import audit, deadline

from . import args
from .access import SECRETARIAT, Viewer
from .base import Node
from .core import shared_rows
from .leverage import day, index_for
from .navigate import list_nodes, neighbours, nodes_by_id

__all__ = [
    "CoBuyerNetwork",
    "CountryOverview",
    "FactoryInvestor",
    "MultiCovenantCompany",
    "Path",
    "co_buyer_network",
    "country_overview",
    "factory_investors",
    "find_node",
    "multi_covenant_companies",
    "paths",
]


@dataclass(frozen=True)
class CountryOverview:
    country: Node
    factory_count: int
    signatory_buyer_count: int       # distinct active signatory buyers with a factory here
    shared_factory_count: int        # factories with >= 2 active signatory buyers
    unions: list[Node]
    ngos: list[Node]
    risk_levels: dict[str, str]


def country_overview(store: GraphStore, viewer: Viewer, code: str, *, covenant_id: str | None = None,
                     as_of: dt.date | None = None) -> CountryOverview | None:
    """Factories, signatory buyers, shared factories, unions, NGOs and risk levels of one country.

    The buyer counts come from the links the viewer may see (docs/access.md); no buyer is named.
    """
    as_of = args.as_of(as_of)
    code = args.country(code) or ""
    covenant_id = args.covenant(store, covenant_id)
    country = nodes_by_id(store, "Country", [code]).get(code)
    if country is None:
        return None
    idx = index_for(store)
    cc = idx.country_code.get(code, -1)
    factories = int((idx.factory_country == cc).sum())
    sourced = shared_rows(idx, viewer, day(as_of), covenant_id=covenant_id, country=code, min_buyers=1)
    buyers = len(np.unique(sourced.pair_comp))          # min_buyers=1: the pairs of every factory counted
    unions = list_nodes(store, "Union", country=code, limit=100_000).items
    ngos = list_nodes(store, "NGO", country=code, limit=100_000).items
    active = neighbours(store, viewer, "Country", [code], "ACTIVE_IN", "in")[code]
    risks = neighbours(store, viewer, "Country", [code], "HAS_RISK", "out")[code]
    return CountryOverview(
        country, factories, buyers, int((sourced.counts >= 2).sum()), unions,
        sorted({n.id: n for n in [*ngos, *(e.node for e in active if e.node.label == "NGO")]}.values(),
               key=lambda n: n.id),
        {e.node.id: str(e.props.get("level") or "") for e in risks})


# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Path:
    nodes: list[Node]
    rels: list[str]        # relationship type of each hop (len(nodes) - 1)


_LOOKUP_LABELS = (*ACTOR_LABELS, "Covenant", "Country", "Grievance", "Risk")


def find_node(store: GraphStore, id_: str, labels: Sequence[str] = _LOOKUP_LABELS) -> Node | None:
    """The node with this id (actor ids are unique; other labels are tried in order)."""
    for label in labels:
        found = nodes_by_id(store, label, [id_]).get(id_)
        if found is not None:
            return found
    return None


_ADJ: dict[str, list[tuple[str, str, str]]] = defaultdict(list)   # label -> (type, direction, other)
for _r in RELS:
    if _r.type in INTERNAL_RELS or _r.type in PROJECT_RELS:     # projects: see queries.projects
        continue
    for _s in _r.sources:
        _ADJ[_s].append((_r.type, "out", ""))
    for _t in _r.targets:
        _ADJ[_t].append((_r.type, "in", ""))


def _key(n: Node) -> tuple[str, str]:
    return (n.label, n.id)


def paths(store: GraphStore, viewer: Viewer, source_id: str, target_id: str, *, max_hops: int = 4,
          limit: int = 5, as_of: dt.date | None = None) -> list[Path]:
    """Shortest paths between two nodes (up to ``max_hops``), over relationships the viewer may see.

    A breadth-first search from both ends, one batched neighbour query per
    label and relationship type per level; time-bound relationships count
    only when active on ``as_of`` (default today).  Country and Risk nodes are
    hubs and are only ends of a path, never stops on it.
    """
    as_of = args.as_of(as_of)
    start, goal = find_node(store, source_id), find_node(store, target_id)
    if start is None or goal is None or max_hops < 1:
        return []
    g = nx.MultiGraph()
    g.add_node(_key(start), node=start)
    g.add_node(_key(goal), node=goal)
    frontier = {_key(start): start, _key(goal): goal}
    seen = set(frontier)
    with audit.quiet():                     # audit: links explored are not handed out; those on a path are
        _explore(store, viewer, g, start, goal, frontier, seen, max_hops, as_of)
    out: list[Path] = []
    try:
        for p in nx.all_shortest_paths(g, _key(start), _key(goal)):
            deadline.check()
            if len(p) - 1 > max_hops:
                break
            rels = [next(iter(g.get_edge_data(a, b).values()))["type"] for a, b in itertools.pairwise(p)]
            for a, b in itertools.pairwise(p):                  # audit: the links on a returned path
                _audit_hop(g, a, b)
            out.append(Path([g.nodes[k]["node"] for k in p], rels))
            if len(out) >= limit:
                break
    except nx.NetworkXNoPath:
        return []
    return out


def _audit_hop(g: nx.MultiGraph, a: tuple[str, str], b: tuple[str, str]) -> None:
    """audit: the supply-chain links between two consecutive nodes of a returned path."""
    if not audit.active():
        return
    ends = dict([a, b])                    # label -> id (a hop joins two different labels)
    for d in g.get_edge_data(a, b).values():
        t, props = d["type"], d.get("props") or {}
        if t == "SOURCES_FROM":
            audit.link(t, ends.get("Company"), props.get("disclosure"), factory=ends.get("Factory"))
        elif t == "BUYS_VIA":
            audit.link(t, ends.get("Company"), props.get("disclosure"), supplier=ends.get("Supplier"))
        elif t == "SUPPLIES_FROM":
            audit.link(t, props.get("buyer"), props.get("disclosure"), supplier=ends.get("Supplier"),
                       factory=ends.get("Factory"))


def _explore(store: GraphStore, viewer: Viewer, g: nx.MultiGraph, start: Node, goal: Node,
             frontier: dict[tuple[str, str], Node], seen: set[tuple[str, str]], max_hops: int,
             as_of: dt.date) -> None:
    """The bidirectional breadth-first search of :func:`paths`, into ``g``."""
    for _ in range(max_hops):
        by_label: dict[str, list[str]] = defaultdict(list)
        for (label, id_) in frontier:
            by_label[label].append(id_)
        nxt: dict[tuple[str, str], Node] = {}
        for label, ids in by_label.items():
            for type_, direction, _ in _ADJ[label]:
                found = neighbours(store, viewer, label, ids, type_, direction, as_of=as_of)  # type: ignore[arg-type]
                for anchor, edges in found.items():
                    deadline.check()
                    for e in edges:
                        if ("since" in e.props or "until" in e.props) and not is_active(e.props, as_of):
                            continue
                        other = _key(e.node)
                        if e.node.label in ("Country", "Risk") and other not in (_key(start), _key(goal)):
                            continue    # hubs: every factory of a country would connect through them
                        g.add_node(other, node=e.node)
                        g.add_edge((label, anchor), other, type=type_, props=e.props)
                        if other not in seen:
                            seen.add(other)
                            nxt[other] = e.node
        try:
            length = nx.shortest_path_length(g, _key(start), _key(goal))
        except nx.NetworkXNoPath:
            length = None
        if length is not None and length <= max_hops:
            break
        if not nxt:
            break
        frontier = nxt


# ---------------------------------------------------------------------------

@dataclass(frozen=True)
class MultiCovenantCompany:
    company: Node
    covenants: list[Node]


def multi_covenant_companies(store: GraphStore, *, min_covenants: int = 2,
                             as_of: dt.date | None = None) -> list[MultiCovenantCompany]:
    """Companies that are active parties to at least ``min_covenants`` covenants (most first)."""
    as_of = args.as_of(as_of)
    covenants = list_nodes(store, "Covenant", limit=10_000).items
    edges = neighbours(store, SECRETARIAT, "Covenant", [c.id for c in covenants], "PARTY_TO", "in", as_of=as_of)
    by_company: dict[str, list[Node]] = defaultdict(list)
    companies: dict[str, Node] = {}
    cov = {c.id: c for c in covenants}
    for cid, es in edges.items():
        for e in es:
            if e.node.label == "Company" and cov[cid] not in by_company[e.node.id]:
                by_company[e.node.id].append(cov[cid])
                companies[e.node.id] = e.node
    out = [MultiCovenantCompany(companies[c], sorted(cs, key=lambda n: n.id))
           for c, cs in by_company.items() if len(cs) >= min_covenants]
    out.sort(key=lambda m: (-len(m.covenants), m.company.id))
    return out


@dataclass(frozen=True)
class FactoryInvestor:
    investor: Node
    company: Node           # the buyer the investor finances
    kind: str | None
    amount_eur: float | None


def factory_investors(store: GraphStore, viewer: Viewer, factory_id: str, *,
                      as_of: dt.date | None = None) -> list[FactoryInvestor]:
    """Banks, insurers and pension funds financing the active buyers of a factory.

    Only buyers the viewer may see are followed, so an investor never reveals
    a hidden sourcing link.
    """
    as_of = args.as_of(as_of)
    buyers = neighbours(store, viewer, "Factory", [factory_id], "SOURCES_FROM", "in", as_of=as_of)[factory_id]
    ids = sorted({e.node.id for e in buyers})
    inv = neighbours(store, viewer, "Company", ids, "INVESTS_IN", "in", as_of=as_of) if ids else {}
    names = {e.node.id: e.node for e in buyers}
    out = [FactoryInvestor(e.node, names[c], e.get("kind"), e.get("amount_eur"))
           for c, es in inv.items() for e in es]
    out.sort(key=lambda f: (f.investor.id, f.company.id))
    return out


# ---------------------------------------------------------------------------

def _betweenness(g: nx.Graph, chunk: int = 16) -> dict[tuple[str, str], float]:
    """``nx.betweenness_centrality(g)`` (normalised, undirected), computed ``chunk`` sources at a time
    with a look at the request's deadline in between: on a few thousand nodes it is minutes of work
    that could not be stopped otherwise (the sums agree with networkx's to ~1e-16)."""
    nodes = list(g)
    total = dict.fromkeys(nodes, 0.0)
    for i in range(0, len(nodes), chunk):
        deadline.check()
        part = nx.betweenness_centrality_subset(g, nodes[i:i + chunk], nodes, normalized=False)
        for k, v in part.items():
            total[k] += v
    n = len(nodes)
    if n <= 2:
        return total
    scale = 2.0 / ((n - 1) * (n - 2))     # the subset sums are already halved (undirected)
    return {k: v * scale for k, v in total.items()}


@dataclass(frozen=True)
class CoBuyerNetwork:
    graph: nx.Graph                     # company ids, edge attr weight = shared factories
    companies: dict[str, Node]
    communities: list[list[str]]        # largest first
    company_centrality: dict[str, float]
    factory_centrality: dict[str, float]


def co_buyer_network(store: GraphStore, viewer: Viewer, *, covenant_id: str | None = None,
                     as_of: dt.date | None = None) -> CoBuyerNetwork:
    """The co-buyer network of a covenant's signatories, its clusters and most central members.

    Edges join two signatories per shared factory the viewer may see both of
    (weight = number of such factories).  Communities by greedy modularity;
    company centrality = weighted degree centrality; factory centrality =
    betweenness in the bipartite company-factory graph.
    """
    covenant_id, as_of = args.covenant(store, covenant_id), args.as_of(as_of)
    idx = index_for(store)
    sh = shared_rows(idx, viewer, day(as_of), covenant_id=covenant_id, country=None, min_buyers=2)
    g = nx.Graph()
    b = nx.Graph()
    codes = sorted({int(c) for i in range(len(sh)) for c in sh.buyers(i)})
    companies = nodes_by_id(store, "Company", [idx.companies[c] for c in codes])
    for i in range(len(sh)):
        deadline.check()
        visible = [idx.companies[int(c)] for c in sh.buyers(i)]
        fid = idx.factories[int(sh.facs[i])]
        for c in visible:
            g.add_node(c)
            b.add_edge(("c", c), ("f", fid))
        for j, c1 in enumerate(visible):
            for c2 in visible[j + 1:]:
                w = g.get_edge_data(c1, c2, {"weight": 0})["weight"]
                g.add_edge(c1, c2, weight=w + 1)
    deadline.check()
    communities: list[list[str]] = []
    if g.number_of_edges():
        communities = [sorted(c) for c in nx.community.greedy_modularity_communities(g, weight="weight")]
        communities.sort(key=lambda c: (-len(c), c[0]))
    total = sum(d["weight"] for _, _, d in g.edges(data=True)) or 1
    strength = Counter({n: sum(d["weight"] for _, _, d in g.edges(n, data=True)) / total for n in g})
    between = _betweenness(b) if b.number_of_nodes() <= 5000 else {}
    factory_c = {k[1]: v for k, v in between.items() if k[0] == "f"}
    return CoBuyerNetwork(g, companies, communities, dict(strength), factory_c)

