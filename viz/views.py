"""The network views (docs/views.md), each built only from query-layer results.

One function per view returns a :class:`~viz.model.ViewGraph`; every function
takes the viewer and passes it to the query layer, which applies the access
rules of section 6.  Nothing here reads the store any other way, so a
confidential link the query layer hides is never drawn, labelled or counted;
the only counts shown are those the query layer hands to every role (a
factory's buyer count, a country's factory counts).

A view that would draw more than :data:`~viz.model.MAX_NODES` nodes is built in
an aggregated form instead (factories grouped by country, the busiest
companies kept and the rest grouped), with counts on the edges.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from imvo.graph.model import rel_type
from imvo.graph.store import GraphStore
from imvo.kernel.errors import InvalidInput, NotFound
from imvo.queries import args
from imvo.queries.access import Viewer
from imvo.queries.analytics import country_overview, find_node, paths
from imvo.queries.core import Node, co_buyers, country_parties, factory_leverage, shared_factories
from imvo.queries.navigate import Edge, neighbours, nodes_by_id

from .layout import circle, columns
from .model import MAX_NODES, ViewEdge, ViewGraph, ViewNode, node_key

__all__ = [
    "COVENANT_MODES",
    "TOP_COUNTRIES",
    "TOP_MEMBERS",
    "VIEW_KINDS",
    "ViewFilters",
    "build_view",
    "company_view",
    "country_view",
    "covenant_view",
    "factory_view",
    "path_view",
]

VIEW_KINDS = ("factory", "company", "covenant", "country", "path")
COVENANT_MODES = ("cobuyers", "factories")
TOP_COBUYERS = 150        # companies drawn in a covenant's co-buyer network (the most connected)


@dataclass(frozen=True)
class ViewFilters:
    """Filters on the shared factories a view is built from (docs/views.md#filters).

    ``min_buyers``: at least this many active signatory buyers; ``union``: only
    factories where a union represents workers; ``country``: only factories in
    it; ``risk``: only factories in a country with a medium or high level of
    that risk, or with an open grievance about it; ``mode``: the covenant view
    as the co-buyer network of companies (``cobuyers``, the default) or as
    companies and their shared factories (``factories``).
    """

    min_buyers: int = 2
    union: bool = False
    country: str | None = None
    risk: str | None = None
    mode: str = "cobuyers"

    @classmethod
    def read(cls, *, min_buyers: int | str | None = None, union: bool | str | None = None,
             country: str | None = None, risk: str | None = None, mode: str | None = None) -> ViewFilters:
        """Filters as typed by a user (through :mod:`imvo.queries.args`)."""
        mb = 2
        if min_buyers not in (None, ""):
            try:
                mb = int(min_buyers)
            except ValueError:
                raise InvalidInput("minBuyers must be a whole number") from None
        u = union in (True, "1", "true", "yes", "on")
        m = (mode or "cobuyers").strip().lower()
        if m not in COVENANT_MODES:
            raise InvalidInput(f"unknown mode {mode!r}: use {' or '.join(COVENANT_MODES)}")
        return cls(args.min_buyers(mb), u, args.country(country) if country else None,
                   args.risk(risk) if risk else None, m)

    def as_dict(self) -> dict[str, Any]:
        return {"minBuyers": self.min_buyers, "union": self.union, "country": self.country,
                "risk": self.risk, "mode": self.mode}


def _filter_shared(store: GraphStore, viewer: Viewer, shared: Sequence[Any], f: ViewFilters,
                   as_of: dt.date) -> list[Any]:
    """The shared factories that pass the union and risk filters (from navigation, same viewer)."""
    out = list(shared)
    if f.union and out:
        reps = neighbours(store, viewer, "Factory", [s.factory.id for s in out], "REPRESENTS", "in")
        out = [s for s in out if reps[s.factory.id]]
    if f.risk and out:
        codes = sorted({str(s.factory.props.get("country") or "") for s in out})
        levels = neighbours(store, viewer, "Country", codes, "HAS_RISK", "out")
        risky = {c for c, es in levels.items()
                 if any(e.node.id == f.risk and e.get("level") in ("medium", "high") for e in es)}
        griev = neighbours(store, viewer, "Factory", [s.factory.id for s in out], "CONCERNS", "in")
        out = [s for s in out if str(s.factory.props.get("country") or "") in risky
               or any(e.node.props.get("risk") == f.risk and e.node.props.get("status") == "open"
                      for e in griev[s.factory.id])]
    return out
TOP_MEMBERS = 25          # companies kept by name in an aggregated view; the rest are grouped
TOP_COUNTRIES = 3         # edges drawn per named company in an aggregated view (all counts in its tooltip)
Facts = tuple[tuple[str, str], ...]


# ---------------------------------------------------------------------------
# formatting: tooltips are plain text (vis-network shows string titles as text)
# ---------------------------------------------------------------------------

def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (list, tuple)):
        return ", ".join(_fmt(v) for v in value)
    text = str(value)
    for scheme in ("https://", "http://"):      # a page carries no URL, not even as text
        text = text.replace(scheme, "")
    return text


def _pct(share: float | None) -> str:
    return "unknown" if share is None else f"{share * 100:.0f}%"


_NODE_FACTS = ("id", "kind", "country", "sector", "signed_on", "address", "workers", "products", "os_id",
               "level", "focus", "ituc_rating", "living_wage_gap", "category", "risk", "filed_on", "status",
               "summary", "website")


def _facts(props: dict[str, Any], names: Iterable[str] = _NODE_FACTS) -> Facts:
    out = []
    for name in names:
        v = props.get(name)
        if v is not None and v != "" and v != []:
            out.append((name.replace("_", " "), _pct(v) if name == "share" else _fmt(v)))
    return tuple(out)


_LINK_FACTS = ("role", "share", "products", "since", "until", "disclosure", "members", "has_cba", "level",
               "kind", "amount_eur")


def _link_facts(edges: Sequence[Edge]) -> Facts:
    """Tooltip lines of one drawn edge (several periods of one link are listed one after another)."""
    out: list[tuple[str, str]] = []
    for e in edges:
        out.extend(_facts({"disclosure": "confidential", **e.props} if e.type == "SOURCES_FROM" else e.props,
                          _LINK_FACTS))
    return tuple(out)


def _node(n: Node, kind: str | None = None, value: float = 1.0, extra: Facts = ()) -> ViewNode:
    name = n.name or n.id
    return ViewNode(node_key(n.label, n.id), kind or n.label, str(name), value,
                    (("type", n.label), *_facts(n.props), *extra))


def _new(kind: str, subject: str, title: str, viewer: Viewer, as_of: dt.date, focus: str | None) -> ViewGraph:
    return ViewGraph(kind, subject, title, as_of, str(viewer), focus=focus)


def _estimate_note(viewer: Viewer, others: Sequence[int | None], where: str) -> list[str]:
    """What the view says of buyers the viewer cannot see: only the published estimate (otherBuyers)."""
    if viewer.is_secretariat:
        return []
    known = [n for n in others if n]
    if known:
        return [(f"Drawn from the links your role may see. The latest published snapshot estimates further "
                 f"signatory buyer links you cannot see {where}: at least {sum(known)} in all.")]
    return ["Drawn from the links your role may see (confidential links are neither drawn nor counted)."]


# ---------------------------------------------------------------------------
# factory leverage
# ---------------------------------------------------------------------------

def factory_view(store: GraphStore, viewer: Viewer, factory_id: str, *,
                 as_of: dt.date | None = None) -> ViewGraph:
    """A factory's leverage: buyers, suppliers, unions, NGOs in its country and open grievances.

    Built from :func:`queries.core.factory_leverage` (buyers, counts, unions,
    NGOs, grievances) and :func:`queries.navigate.neighbours` (the link
    details, suppliers and the country).  Hidden buyers appear only in the
    factory's buyer count.
    """
    as_of = args.as_of(as_of)
    lev = factory_leverage(store, viewer, factory_id=factory_id, as_of=as_of)
    if lev is None:
        raise NotFound(f"unknown factory {factory_id!r}")
    f = lev.factory
    others = "withheld" if lev.other_buyers is None else str(lev.other_buyers)
    g = _new("factory", f.id, f"Factory {f.name or f.id}", viewer, as_of, node_key("Factory", f.id))
    fk = g.add_node(_node(f, value=max(lev.signatory_buyer_count, 1), extra=(
        ("buyers", f"{lev.buyer_count} ({lev.signatory_buyer_count} covenant signatories)"),
        ("further signatory buyers (published estimate)", others),
        ("combined share of the signatories shown", _pct(lev.combined_share))))).key
    g.notes += _estimate_note(viewer, [lev.other_buyers], "here")

    links: dict[str, list[Edge]] = defaultdict(list)
    for e in neighbours(store, viewer, "Factory", [f.id], "SOURCES_FROM", "in", as_of=as_of)[f.id]:
        links[e.node.id].append(e)
    signatory = {c.id for c in lev.signatory_buyers}
    for c in lev.buyers:
        share = sum(e.props.get("share") or 0.0 for e in links[c.id])
        ck = g.add_node(_node(c, "Company" if c.id in signatory else "Buyer", 1 + 10 * share, (
            ("covenant signatory", "yes" if c.id in signatory else "no"),))).key
        g.add_edge(ViewEdge(ck, fk, "SOURCES_FROM", _link_facts(links[c.id]), 1.5 + 6 * share))

    for type_ in ("SUPPLIES_FROM", "OWNS"):
        for e in neighbours(store, viewer, "Factory", [f.id], type_, "in", as_of=as_of)[f.id]:
            sk = g.add_node(_node(e.node)).key
            g.add_edge(ViewEdge(sk, fk, type_, _link_facts([e])))
    if lev.buyers and any(n.kind == "Supplier" for n in g.nodes):
        via = neighbours(store, viewer, "Company", [c.id for c in lev.buyers], "BUYS_VIA", "out", as_of=as_of)
        for cid, edges in via.items():
            for e in edges:
                if g.has(node_key("Supplier", e.node.id)):
                    g.add_edge(ViewEdge(node_key("Company", cid), node_key("Supplier", e.node.id),
                                        "BUYS_VIA", _link_facts([e])))

    for u in lev.unions:
        uk = g.add_node(_node(u.union, value=1 + math.log10(1 + (u.members or 0)), extra=(
            ("members here", _fmt(u.members) if u.members is not None else "unknown"),
            ("collective agreement (CBA)", "unknown" if u.has_cba is None else _fmt(u.has_cba))))).key
        g.add_edge(ViewEdge(uk, fk, "REPRESENTS", _facts({"members": u.members, "has_cba": u.has_cba},
                                                          _LINK_FACTS), 4.0 if u.has_cba else 1.5))
    code = f.props.get("country")
    country = nodes_by_id(store, "Country", [code]).get(code) if code else None
    if country is not None:
        kk = g.add_node(_node(country)).key
        g.add_edge(ViewEdge(fk, kk, "LOCATED_IN"))
        for n in lev.ngos:
            g.add_edge(ViewEdge(g.add_node(_node(n)).key, kk, "ACTIVE_IN"))
        for o in lev.organisations:          # embassies first (the embassy that talks to the government)
            g.add_edge(ViewEdge(g.add_node(_node(o)).key, kk, "ACTIVE_IN"))
    for gr in lev.open_grievances:
        g.add_edge(ViewEdge(g.add_node(_node(gr, value=1.5)).key, fk, "CONCERNS"))
    cols = {"Company": 0, "Buyer": 0, "Supplier": 1, "Factory": 2, "Union": 3, "Grievance": 3, "Country": 4,
            "NGO": 5, "Organisation": 5}
    columns(g, lambda n: cols[n.kind])
    return g


# ---------------------------------------------------------------------------
# company co-buyer network
# ---------------------------------------------------------------------------

def company_view(store: GraphStore, viewer: Viewer, company_id: str, *,
                 as_of: dt.date | None = None, filters: ViewFilters | None = None) -> ViewGraph:
    """A company's co-buyers: the other signatories it shares factories with, and those factories.

    Built from :func:`queries.core.co_buyers`; the link details in the
    tooltips come from :func:`queries.navigate.neighbours` (same viewer).
    Aggregated (company to company, labelled with the number of shared
    factories) when the factories would not fit.
    """
    as_of = args.as_of(as_of)
    company = nodes_by_id(store, "Company", [args.company(store, company_id)])[company_id.strip()]
    found = co_buyers(store, viewer, company_id=company_id, as_of=as_of)
    flt = filters or ViewFilters()
    if flt.union or flt.country or flt.risk:
        candidates = {x.id: x for cb in found for x in cb.shared_factories}
        keep = {s.factory.id for s in _filter_shared(
            store, viewer, [_Shared(x) for x in candidates.values()
                            if flt.country is None or x.props.get("country") == flt.country], flt, as_of)}
        found = [replace(cb, shared_factories=mine, shared_count=len(mine)) for cb in found
                 if (mine := [x for x in cb.shared_factories if x.id in keep])]
    factories: dict[str, Node] = {x.id: x for cb in found for x in cb.shared_factories}
    buyers_at: Counter[str] = Counter(f.id for cb in found for f in cb.shared_factories)
    me = node_key("Company", company.id)
    g = _new("company", company.id, f"Co-buyers of {company.name or company.id}", viewer, as_of, me)
    covenants = neighbours(store, viewer, "Company", [company.id], "PARTY_TO", "out", as_of=as_of)[company.id]
    signs = sorted({e.node.id for e in covenants if e.get("role") == "signatory"})
    g.add_node(_node(company, "Company" if signs else "Buyer", 1 + len(factories), (
        ("signatory of", ", ".join(signs) or "none"), ("co-buyers", str(len(found))),
        ("shared factories", str(len(factories))))))
    if not found:
        g.notes.append("No co-buyers visible to your role on this date.")
    if 1 + len(found) + len(factories) > MAX_NODES:
        g.aggregated = True
        g.notes.append(f"Aggregated: {len(factories)} shared factories are summarised as edge labels.")
        kept, rest = found[:2 * TOP_MEMBERS], found[2 * TOP_MEMBERS:]
        for cb in kept:
            ck = g.add_node(_node(cb.company, value=1 + cb.shared_count,
                                  extra=(("shared factories", str(cb.shared_count)),))).key
            g.add_edge(ViewEdge(me, ck, "SHARES_FACTORIES", (("shared factories", str(cb.shared_count)),),
                                _width(cb.shared_count), str(cb.shared_count)))
        if rest:
            total = sum(cb.shared_count for cb in rest)
            gk = g.add_node(ViewNode("CompanyGroup:rest", "CompanyGroup", f"{len(rest)} more co-buyers",
                                     1 + len(rest), (("companies", str(len(rest))),)))
            g.add_edge(ViewEdge(me, gk.key, "SHARES_FACTORIES", (("shared factories", str(total)),),
                                _width(total), str(total)))
        g.positions.clear()
        circle(g, [[n.key for n in g.nodes]])
        return g
    ids = [company.id] + [cb.company.id for cb in found]
    links = neighbours(store, viewer, "Company", ids, "SOURCES_FROM", "out", as_of=as_of)
    for fn in factories.values():
        g.add_node(_node(fn, value=1 + buyers_at[fn.id], extra=(("co-buyers here", str(buyers_at[fn.id])),)))
    for cb in found:
        ck = g.add_node(_node(cb.company, value=1 + cb.shared_count,
                              extra=(("shared factories", str(cb.shared_count)),))).key
        for fn in cb.shared_factories:
            _sourcing_edge(g, ck, fn.id, links[cb.company.id])
    for fn in factories.values():
        _sourcing_edge(g, me, fn.id, links[company.id])
    g.filters = (filters or ViewFilters()).as_dict()
    columns(g, lambda n: 0 if n.key == me else 1 if n.kind == "Factory" else 2)
    return g


@dataclass(frozen=True)
class _Shared:
    """A factory in the shape of a shared-factory answer (for the filters)."""

    factory: Node


def _sourcing_edge(g: ViewGraph, company_key: str, factory_id: str, edges: Sequence[Edge]) -> None:
    mine = [e for e in edges if e.node.id == factory_id]
    share = sum(e.props.get("share") or 0.0 for e in mine)
    g.add_edge(ViewEdge(company_key, node_key("Factory", factory_id), "SOURCES_FROM", _link_facts(mine),
                        1.5 + 6 * share))


def _width(n: int) -> float:
    return 1.0 + 2.0 * math.log10(1 + n)


# ---------------------------------------------------------------------------
# covenant shared-factory network
# ---------------------------------------------------------------------------

def covenant_view(store: GraphStore, viewer: Viewer, covenant_id: str, *,
                  as_of: dt.date | None = None, filters: ViewFilters | None = None) -> ViewGraph:
    """A covenant's shared factories, as the co-buyer network of its signatories (``cobuyers``, the
    default) or as the signatories, their shared factories and the unions there (``factories``).

    Built from :func:`queries.core.shared_factories` (factories, the buyers the
    viewer may see, every buyer count) and :func:`queries.navigate.neighbours`
    (active parties, unions at the factories).  The factories picture is
    aggregated by country when it would not fit.
    """
    as_of = args.as_of(as_of)
    f = filters or ViewFilters()
    cov = nodes_by_id(store, "Covenant", [args.covenant(store, covenant_id) or ""])[covenant_id.strip()]
    shared = _filter_shared(store, viewer, shared_factories(store, viewer, covenant_id=cov.id,
                                                            country=f.country, min_buyers=f.min_buyers,
                                                            as_of=as_of), f, as_of)
    if f.mode == "cobuyers":
        g = _cobuyer_network(store, viewer, cov, shared, as_of)
    else:
        g = _covenant_factories(store, viewer, cov, shared, as_of)
    g.filters, g.mode = f.as_dict(), f.mode
    return g


def _cobuyer_network(store: GraphStore, viewer: Viewer, cov: Node, shared: Sequence[Any],
                     as_of: dt.date) -> ViewGraph:
    """Signatories joined by the shared factories where the viewer sees both (weight = how many)."""
    import networkx as nx
    g = _new("covenant", cov.id, f"{cov.name or cov.id}: who buys at the same factories", viewer, as_of, None)
    weight: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], list[str]] = defaultdict(list)
    companies: dict[str, Node] = {}
    per_company: Counter[str] = Counter()
    for s in shared:
        ids = sorted(b.id for b in s.buyers)
        for b in s.buyers:
            companies[b.id] = b
            per_company[b.id] += 1
        for i, a in enumerate(ids):
            for b in ids[i + 1:]:
                weight[(a, b)] += 1
                where[(a, b)].append(str(s.factory.name or s.factory.id))
    strength: Counter[str] = Counter()
    for (a, b), w in weight.items():
        strength[a] += w
        strength[b] += w
    ranked = sorted(companies, key=lambda c: (-strength[c], -per_company[c], c))
    kept = set(ranked[:TOP_COBUYERS])
    if len(companies) > TOP_COBUYERS:
        g.aggregated = True
        g.notes.append(f"The {TOP_COBUYERS} signatories with most co-buying are drawn, of {len(companies)}.")
    g.notes += _estimate_note(viewer, [s.other_buyers for s in shared], "at the shared factories")
    if not shared:
        g.notes.append("No factory has that many active signatory buyers on this date (with these filters).")
    g.notes.append(f"{len(shared)} shared factories; a line joins two signatories that buy at the same "
                   f"factory, thicker for more. 'Companies and factories' shows the factories themselves.")
    embassies = [(c, o) for c, os in _organisations_by_country(store, shared).items()
                 for o in os if o.props.get("kind") == "embassy"]
    if embassies:
        g.notes.append("Embassies in the shared factories' countries: " + "; ".join(
            f"{o.name or o.id} ({c})" for c, o in embassies) + ". 'Companies and factories' draws them.")
    top = max(strength.values(), default=1)
    for cid in sorted(kept, key=ranked.index):
        g.add_node(_node(companies[cid], "Company", 1 + 9 * strength[cid] / top, (
            ("shared factories (visible)", str(per_company[cid])), ("co-buying links", str(strength[cid])))))
    graph = nx.Graph()
    for (a, b), w in sorted(weight.items()):
        if a in kept and b in kept:
            names = where[(a, b)]
            g.add_edge(ViewEdge(node_key("Company", a), node_key("Company", b), "CO_BUYS", (
                ("shared factories", str(w)), ("factories", ", ".join(names[:6]) + (" …" if len(names) > 6 else ""))),
                1.0 + 2.5 * math.log2(w)))
            graph.add_edge(a, b, weight=w)
    groups: list[list[str]] = []
    if graph.number_of_edges():
        comms = nx.community.greedy_modularity_communities(graph, weight="weight")
        groups = [[node_key("Company", c) for c in sorted(comm, key=ranked.index)]
                  for comm in sorted(comms, key=lambda c: (-len(c), min(c)))]
    circle(g, groups)
    return g


def _covenant_factories(store: GraphStore, viewer: Viewer, cov: Node, shared: Sequence[Any],
                        as_of: dt.date) -> ViewGraph:
    parties = neighbours(store, viewer, "Covenant", [cov.id], "PARTY_TO", "in", as_of=as_of)[cov.id]
    ck = node_key("Covenant", cov.id)
    g = _new("covenant", cov.id, f"{cov.name or cov.id}: shared factories", viewer, as_of, ck)
    member_count: Counter[str] = Counter(b.id for s in shared for b in s.buyers)
    signatories = {e.node.id for e in parties if e.node.label == "Company" and e.get("role") == "signatory"}
    g.add_node(_node(cov, value=1 + len(signatories), extra=(
        ("active signatories", str(len(signatories))), ("shared factories", str(len(shared))))))
    g.notes += _estimate_note(viewer, [s.other_buyers for s in shared], "at these factories")
    if not shared:
        g.notes.append("No factory has that many active signatory buyers on this date (with these filters).")
    by_party: dict[tuple[str, str], list[Edge]] = defaultdict(list)
    for e in parties:
        by_party[(e.node.label, e.node.id)].append(e)
    reps = {} if 1 + len(by_party) + len(shared) > MAX_NODES else \
        neighbours(store, viewer, "Factory", [s.factory.id for s in shared], "REPRESENTS", "in")
    unions = {e.node.id for es in reps.values() for e in es}
    orgs = _organisations_by_country(store, shared)
    coalition = len(orgs) + len({o.id for os in orgs.values() for o in os})
    if 1 + len(by_party) + len(shared) + len(unions) + coalition > MAX_NODES:
        _aggregate_covenant(g, ck, by_party, shared, member_count, orgs)
        parties_drawn = {e.source for e in g.edges if e.type == "PARTY_TO"}
        columns(g, lambda n: 3 if n.kind == "Organisation" and n.key not in parties_drawn
                else _COVENANT_COLUMNS.get(n.kind, 0))
        return g
    # companies | their shared factories | the unions there (the parties are listed on the covenant's page)
    g.nodes.clear()
    g._keys.clear()
    g.focus = None
    for s in sorted(shared, key=lambda s: (-s.buyer_count, s.factory.id)):
        fk = g.add_node(_node(s.factory, value=s.buyer_count, extra=(
            ("signatory buyers", str(s.buyer_count)),
            ("further buyers (published estimate)", "withheld" if s.other_buyers is None
             else str(s.other_buyers))))).key
        for b in s.buyers:
            bk = g.add_node(_node(b, "Company", 1 + member_count[b.id], (
                ("shared factories (visible)", str(member_count[b.id])),))).key
            g.add_edge(ViewEdge(bk, fk, "SOURCES_FROM", (("buyer", b.name or b.id),)))
        for e in reps.get(s.factory.id, []):
            uk = g.add_node(_node(e.node)).key
            g.add_edge(ViewEdge(uk, fk, "REPRESENTS", _link_facts([e]), 4.0 if e.get("has_cba") else 1.5))
    # the rest of the coalition: the factories' countries and the organisations active there, embassies first
    countries = nodes_by_id(store, "Country", sorted(orgs))
    for code, os in sorted(orgs.items()):
        if code not in countries:
            continue
        here = [s for s in shared if s.factory.props.get("country") == code]
        kk = g.add_node(_node(countries[code], extra=(("shared factories here", str(len(here))),))).key
        for s in here:
            g.add_edge(ViewEdge(node_key("Factory", s.factory.id), kk, "LOCATED_IN"))
        for o in os:
            g.add_edge(ViewEdge(g.add_node(_node(o)).key, kk, "ACTIVE_IN"))
    if orgs:
        g.notes.append("Embassies and other organisations active in the factories' countries are drawn "
                       "beside each country (embassies first in every list).")
    columns(g, lambda n: {"Company": 0, "Factory": 1, "Union": 2, "Country": 2}.get(n.kind, 3))
    return g


def _organisations_by_country(store: GraphStore, shared: Sequence[Any]) -> dict[str, list[Node]]:
    """The organisations (embassies first) active in each country that has a shared factory."""
    parties = country_parties(store).organisations
    codes = {str(s.factory.props.get("country") or "") for s in shared}
    return {c: list(parties[c]) for c in sorted(codes) if parties.get(c)}


_COVENANT_COLUMNS = {"Covenant": 0, "NGO": 0, "Organisation": 0, "Union": 0, "NGOGroup": 0,
                     "OrganisationGroup": 0, "UnionGroup": 0, "Company": 1, "Buyer": 1, "CompanyGroup": 1,
                     "Factory": 2, "FactoryGroup": 2}


def _aggregate_covenant(g: ViewGraph, ck: str, by_party: dict[tuple[str, str], list[Edge]],
                        shared: Sequence[Any], member_count: Counter[str],
                        orgs: dict[str, list[Node]]) -> None:
    """Factories grouped by country; the busiest companies by name, the rest grouped per label."""
    g.aggregated = True
    g.notes.append(f"Aggregated: {len(shared)} shared factories grouped by country. The {TOP_MEMBERS} "
                   f"signatories with most visible shared factories are named, each linked to its "
                   f"{TOP_COUNTRIES} main countries (all counts in its tooltip); the others are grouped.")
    per_country: dict[str, list[Any]] = defaultdict(list)
    for s in shared:
        per_country[str(s.factory.props.get("country") or "?")].append(s)
    for code, items in sorted(per_country.items()):
        g.add_node(ViewNode(f"FactoryGroup:{code}", "FactoryGroup", f"{code}: {len(items)} factories",
                            len(items), (("country", code), ("shared factories", str(len(items))),
                                         ("signatory buyer links", str(sum(s.buyer_count for s in items))))))
    companies = sorted((k for k in by_party if k[0] == "Company"), key=lambda k: (-member_count[k[1]], k[1]))
    kept = set(companies[:TOP_MEMBERS])
    per_label = Counter(k[0] for k in by_party)
    groups: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for k in by_party:
        if k not in kept and (k[0] == "Company" or per_label[k[0]] > 10):
            groups[k[0]].append(k)
    grouped = {k: f"{label}Group:rest" for label, ks in groups.items() for k in ks}
    for label, ks in groups.items():
        kind = f"{label}Group"
        weight = sum(member_count[k[1]] for k in ks) or len(ks)
        g.add_node(ViewNode(f"{label}Group:rest", kind,
                            f"{len(ks)} more {label.lower()} parties".replace("company parties", "companies"),
                            1 + weight, (("parties", str(len(ks))),
                                         ("shared factories (visible)", str(sum(member_count[k[1]] for k in ks))))))
        g.add_edge(ViewEdge(f"{label}Group:rest", ck, "PARTY_TO", (("parties", str(len(ks))),),
                            _width(len(ks)), str(len(ks))))
    links: Counter[tuple[str, str]] = Counter()          # (company or group key, country) -> factories
    for code, items in per_country.items():
        for s in items:
            for b in s.buyers:
                links[(grouped.get(("Company", b.id), node_key("Company", b.id)), code)] += 1
    by_source: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (src, code), n in links.items():
        by_source[src].append((n, code))
    for k, es in sorted(by_party.items()):
        if k not in grouped:
            key = node_key(*k)
            spread = ", ".join(f"{c} {n}" for n, c in sorted(by_source[key], key=lambda x: (-x[0], x[1])))
            g.add_node(_node(es[0].node, value=1 + member_count[k[1]], extra=(
                ("shared factories (visible)", str(member_count[k[1]])),
                ("by country", spread or "none")) if k[0] == "Company" else ()))
            g.add_edge(ViewEdge(key, ck, "PARTY_TO", _link_facts(es)))
    for src, counts in sorted(by_source.items()):
        if g.has(src):
            top = sorted(counts, key=lambda x: (-x[0], x[1]))
            for n, code in top if src.endswith("Group:rest") else top[:TOP_COUNTRIES]:
                g.add_edge(ViewEdge(src, f"FactoryGroup:{code}", "SOURCES_FROM", (("shared factories", str(n)),),
                                    _width(n), str(n)))
    for code, os in sorted(orgs.items()):        # embassies and others, beside their country's factories
        for o in os:
            g.add_edge(ViewEdge(g.add_node(_node(o)).key, f"FactoryGroup:{code}", "ACTIVE_IN",
                                (("country", code),)))


# ---------------------------------------------------------------------------
# country
# ---------------------------------------------------------------------------

def country_view(store: GraphStore, viewer: Viewer, code: str, *, as_of: dt.date | None = None,
                 filters: ViewFilters | None = None) -> ViewGraph:
    """A country: its risks, unions, NGOs and organisations, and the factories signatories share there.

    Built from :func:`queries.analytics.country_overview` (counts, unions,
    NGOs, risk levels), :func:`queries.core.shared_factories` (factories and
    visible buyers) and :func:`queries.navigate.neighbours`.
    """
    as_of = args.as_of(as_of)
    try:
        code = args.country(code) or ""
    except InvalidInput:
        raise NotFound(f"no country with code {code!r}") from None
    ov = country_overview(store, viewer, code, as_of=as_of)
    if ov is None:
        raise NotFound(f"no country with code {code!r}")
    f = filters or ViewFilters()
    shared = _filter_shared(store, viewer, shared_factories(store, viewer, country=code,
                                                            min_buyers=f.min_buyers, as_of=as_of), f, as_of)
    kk = node_key("Country", code)
    g = _new("country", code, f"{ov.country.name or code}", viewer, as_of, kk)
    g.add_node(_node(ov.country, value=1 + ov.shared_factory_count, extra=(
        ("factories", str(ov.factory_count)), ("shared factories", str(ov.shared_factory_count)),
        ("signatory buyers", str(ov.signatory_buyer_count)))))
    risks = nodes_by_id(store, "Risk", list(ov.risk_levels))
    for rid, level in sorted(ov.risk_levels.items()):
        rk = g.add_node(_node(risks.get(rid) or Node("Risk", rid, {"id": rid}), extra=(("level", _fmt(level)),)))
        g.add_edge(ViewEdge(kk, rk.key, "HAS_RISK", (("level", _fmt(level)),),
                            {"low": 1.0, "medium": 2.5, "high": 4.5}.get(str(level), 1.5)))
    active = neighbours(store, viewer, "Country", [code], "ACTIVE_IN", "in")[code]
    active_ids = {e.node.id for e in active}
    actors = list(ov.unions) + list(ov.ngos) + [e.node for e in active if e.node.label == "Organisation"]
    per_label = Counter(n.label for n in actors)
    for label, n in sorted(per_label.items()):
        if n > TOP_MEMBERS * 2:                         # too many to draw: one node with the count
            what = {"NGO": "NGOs"}.get(label, f"{label.lower()}s")
            gk = g.add_node(ViewNode(f"{label}Group:{code}", f"{label}Group", f"{n} {what}", 1 + n,
                                     ((what, str(n)),))).key
            g.add_edge(ViewEdge(gk, kk, "ACTIVE_IN" if label != "Union" else "LOCATED_IN", ((what, str(n)),),
                                _width(n), str(n)))
    for actor in actors:
        if per_label[actor.label] <= TOP_MEMBERS * 2:
            rel = "LOCATED_IN" if actor.label == "Union" or actor.id not in active_ids else "ACTIVE_IN"
            g.add_edge(ViewEdge(g.add_node(_node(actor)).key, kk, rel))
    g.notes += _estimate_note(viewer, [s.other_buyers for s in shared], "at shared factories here")
    buyers = {b.id: b for s in shared for b in s.buyers}
    if len(g.nodes) + len(shared) + len(buyers) > MAX_NODES:
        g.aggregated = True
        g.notes.append(f"Aggregated: {len(shared)} shared factories summarised as buyer edge labels.")
        per_buyer = Counter(b.id for s in shared for b in s.buyers)
        ranked = sorted(per_buyer, key=lambda c: (-per_buyer[c], c))
        for cid in ranked[:TOP_MEMBERS]:
            bk = g.add_node(_node(buyers[cid], value=1 + per_buyer[cid])).key
            g.add_edge(ViewEdge(bk, kk, "SOURCES_FROM", (("shared factories here", str(per_buyer[cid])),),
                                _width(per_buyer[cid]), str(per_buyer[cid])))
        rest = ranked[TOP_MEMBERS:]
        if rest:
            n = sum(per_buyer[c] for c in rest)
            gk = g.add_node(ViewNode("CompanyGroup:rest", "CompanyGroup", f"{len(rest)} more buyers",
                                     1 + len(rest), (("companies", str(len(rest))),))).key
            g.add_edge(ViewEdge(gk, kk, "SOURCES_FROM", (("shared factories here", str(n)),), _width(n), str(n)))
        g.filters = f.as_dict()
        columns(g, lambda n: _COUNTRY_COLUMNS.get(n.kind, 4))
        return g
    reps = neighbours(store, viewer, "Factory", [s.factory.id for s in shared], "REPRESENTS", "in")
    for s in shared:
        fk = g.add_node(_node(s.factory, value=s.buyer_count, extra=(
            ("signatory buyers", str(s.buyer_count)),
            ("further buyers (published estimate)", "withheld" if s.other_buyers is None
             else str(s.other_buyers))))).key
        g.add_edge(ViewEdge(fk, kk, "LOCATED_IN"))
        for b in s.buyers:
            g.add_edge(ViewEdge(g.add_node(_node(b)).key, fk, "SOURCES_FROM", (("buyer", b.name or b.id),)))
        for e in reps.get(s.factory.id, []):
            uk = g.add_node(_node(e.node)).key
            g.add_edge(ViewEdge(uk, fk, "REPRESENTS", _link_facts([e]), 4.0 if e.get("has_cba") else 1.5))
    g.filters = f.as_dict()
    columns(g, lambda n: _COUNTRY_COLUMNS.get(n.kind, 4))
    return g


_COUNTRY_COLUMNS = {"Company": 0, "Buyer": 0, "CompanyGroup": 0, "Factory": 1, "Union": 2, "UnionGroup": 2,
                    "Country": 3, "Risk": 4, "NGO": 4, "Organisation": 4, "NGOGroup": 4,
                    "OrganisationGroup": 4}


def path_view(store: GraphStore, viewer: Viewer, source_id: str, target_id: str, *,
              as_of: dt.date | None = None, max_hops: int = 4, limit: int = 5) -> ViewGraph:
    """The shortest paths (up to ``limit``) between two nodes, over links the viewer may see.

    Built from :func:`queries.analytics.paths`; each hop is drawn in the
    direction the model declares for its relationship type.
    """
    as_of = args.as_of(as_of)
    a, b = find_node(store, source_id), find_node(store, target_id)
    for id_, n in ((source_id, a), (target_id, b)):
        if n is None:
            raise NotFound(f"no node with id {id_!r}")
    assert a is not None and b is not None
    if not 1 <= max_hops <= 6:
        raise InvalidInput("max_hops must be between 1 and 6")
    found = paths(store, viewer, a.id, b.id, max_hops=max_hops, limit=limit, as_of=as_of)
    g = _new("path", f"{a.id},{b.id}", f"Paths from {a.name or a.id} to {b.name or b.id}", viewer, as_of,
             node_key(a.label, a.id))
    g.add_node(replace(_node(a, value=2), level=0))
    if not found:
        g.notes.append(f"No path of at most {max_hops} steps over links visible to your role.")
    g.add_node(replace(_node(b, value=2), level=len(found[0].nodes) - 1 if found else 1))
    for p in found:
        for i, n in enumerate(p.nodes):
            g.add_node(replace(_node(n), level=i))
        for x, y, type_ in zip(p.nodes, p.nodes[1:], p.rels):
            rt = rel_type(type_)
            src, dst = (x, y) if x.label in rt.sources and y.label in rt.targets else (y, x)
            g.add_edge(ViewEdge(node_key(src.label, src.id), node_key(dst.label, dst.id), type_,
                                label=type_.lower().replace("_", " ")))
    columns(g, lambda n: n.level or 0, gap=300.0, row=70.0)
    return g


def build_view(store: GraphStore, viewer: Viewer, kind: str, ids: Sequence[str], *,
               as_of: dt.date | None = None, filters: ViewFilters | None = None) -> ViewGraph:
    """Dispatch by kind: one id for factory/company/covenant/country, two for path.

    ``filters`` apply to the company, covenant and country views."""
    if kind not in VIEW_KINDS:
        raise InvalidInput(f"unknown view {kind!r}: use one of {', '.join(VIEW_KINDS)}")
    want = 2 if kind == "path" else 1
    if len(ids) != want or not all(i.strip() for i in ids):
        raise InvalidInput(f"the {kind} view needs {want} id{'s' if want > 1 else ''}")
    if kind == "path":
        return path_view(store, viewer, ids[0].strip(), ids[1].strip(), as_of=as_of)
    if kind == "factory":
        return factory_view(store, viewer, ids[0].strip(), as_of=as_of)
    fn = {"company": company_view, "covenant": covenant_view, "country": country_view}[kind]
    return fn(store, viewer, ids[0].strip(), as_of=as_of, filters=filters)
